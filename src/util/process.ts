/** Process facts from the kernel, shared by the journal lock, the master and the CLI. */
import { readFileSync } from 'node:fs';

function stat(pid: number): string[] | undefined {
  try {
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a running process. A zombie (exited, not yet reaped by its parent) is not. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = stat(pid);
  return fields === undefined || fields[0] !== 'Z'; // no /proc (not Linux): trust kill(0)
}

/** The kernel's start time of `pid` (clock ticks since boot), '' if unknown: guards against pid reuse. */
export function startTimeOf(pid: number): string {
  return stat(pid)?.[19] ?? '';
}

/** The parent of `pid`, undefined if unknown. */
export function parentOf(pid: number): number | undefined {
  const ppid = stat(pid)?.[1];
  return ppid === undefined ? undefined : Number(ppid);
}

/** CPU time `pid` has used, all its threads, user + system, in clock ticks (CLK_TCK); undefined if unknown. */
export function cpuTicksOf(pid: number): number | undefined {
  const fields = stat(pid);
  return fields === undefined ? undefined : Number(fields[11]) + Number(fields[12]);
}

/** Resident memory of `pid` in bytes (VmRSS), undefined if unknown. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
