/**
 * One writer per journal, enforced by the kernel: the writer holds an exclusive flock(2) on
 * `<dest>.lock` for as long as it writes. Exactly one process can hold it; the kernel releases it
 * when the holder exits, however it dies (SIGKILL included), so there is no stale lock to take over
 * and no race between openers. The file also holds the holder's pid for people and error messages;
 * the authoritative holder comes from /proc/locks. Lock files are never deleted: unlinking a locked
 * file would let a second opener lock a new inode at the same path.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { JournalError } from './errors.js';
import { hex8, lockFileName } from './format.js';
import { native } from './native.js';

/** Locks held by this process (a second writer in the same process is refused too). */
const held = new Set<string>();

/** The pid holding a flock on the file with this device and inode, from /proc/locks. */
function flockHolder(dev: number, ino: number): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  // "1: FLOCK  ADVISORY  WRITE 12345 fd:01:1234567 0 EOF" (major:minor in hex, then inode)
  const major = (dev >>> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== 'FLOCK' || f[3] !== 'WRITE') continue;
    const [maj, min, inode] = (f[5] ?? '').split(':');
    if (Number(inode) === ino && parseInt(maj ?? '', 16) === major && parseInt(min ?? '', 16) === minor) return Number(f[4]);
  }
  return undefined;
}

/** Takes the writer lock of journal `dest` in `dir`; returns the release function. */
export function acquireWriterLock(dir: string, dest: number, what: string): () => void {
  const file = join(dir, lockFileName(dest));
  const refused = (pid: number | undefined) =>
    new JournalError(
      `journal ${what} (dest ${hex8(dest)}) is already being written by ${pid ? `pid ${pid}` : 'another process'}: only one process may write a journal; stop that process or use another location`,
      'second-writer',
    );
  if (held.has(file)) throw refused(process.pid);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new JournalError(`cannot open the journal lock ${file}: ${code}; check that KF_HOME is writable`, 'not-writable');
  }
  if (!native().flock(fd)) {
    const st = fstatSync(fd);
    closeSync(fd);
    throw refused(flockHolder(st.dev, st.ino) ?? ownerNamedIn(file));
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  held.add(file);
  return () => {
    if (!held.delete(file)) return;
    closeSync(fd); // releases the flock
  };
}

function ownerNamedIn(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pid writing journal `dest` in `dir` right now (its flock's holder), or undefined when no
 * process writes it: how tools tell whether a process runs without asking it or the master.
 */
export function writerPid(dir: string, dest: number): number | undefined {
  const file = join(dir, lockFileName(dest));
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    return flockHolder(st.dev, st.ino);
  } finally {
    closeSync(fd);
  }
}
