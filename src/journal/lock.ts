/**
 * One writer per journal: a lock file holding the writer's pid and kernel start time. A lock whose
 * process is gone (killed with SIGKILL, say) is stale and taken over; a live one refuses the
 * second writer. The start time guards against a recycled pid.
 */
import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning, startTimeOf } from '../util/process.js';
import { JournalError } from './errors.js';
import { hex8, lockFileName } from './format.js';

function isAlive(pid: number, startTime: string): boolean {
  if (!isRunning(pid)) return false;
  const now = startTimeOf(pid);
  return startTime === '' || now === '' || now === startTime;
}

const held = new Set<string>();
process.on('exit', () => {
  for (const file of held) {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
});

/** Takes the writer lock of journal `dest` in `dir`; returns the release function. */
export function acquireWriterLock(dir: string, dest: number, what: string, onStale?: (message: string) => void): () => void {
  const file = join(dir, lockFileName(dest));
  const me = `${process.pid} ${startTimeOf(process.pid)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new JournalError(`cannot create the journal lock ${file}: ${code ?? (err as Error).message}; check that KF_HOME is writable`, 'not-writable');
      let owner = '';
      try {
        owner = readFileSync(file, 'utf8');
      } catch {
        continue; // released between our open and read: try again
      }
      const [pidText = '', startTime = ''] = owner.trim().split(' ');
      const pid = Number(pidText);
      if (held.has(file) || (Number.isInteger(pid) && pid > 0 && isAlive(pid, startTime))) {
        throw new JournalError(
          `journal ${what} (dest ${hex8(dest)}) is already being written by pid ${pid}: only one process may write a journal; stop that process or use another location`,
          'second-writer',
        );
      }
      onStale?.(`journal ${what}: taking over the lock of pid ${pidText || '?'}, which is no longer running`);
      try {
        unlinkSync(file);
      } catch {
        // someone else removed it first
      }
      continue;
    }
    writeSync(fd, me);
    closeSync(fd);
    held.add(file);
    return () => {
      if (!held.delete(file)) return;
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    };
  }
  throw new JournalError(`journal ${what}: could not take the writer lock ${file}; another process keeps taking it`, 'second-writer');
}
