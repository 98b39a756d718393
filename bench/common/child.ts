/**
 * The benches' child processes: started with node, their stdout kept as lines to wait on, all of
 * them killed when the bench exits (however it exits).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export interface Child {
  proc: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** The first stdout line matching `re` (one seen before, or the next); rejects after `timeoutMs`, if given. */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * Starts `command args` (default: this node) with `env` added to this process's environment.
 * stderr goes to the bench's stderr unless `stderr` says otherwise; stdin is a pipe if asked;
 * `onLine` sees each stdout line as it comes.
 */
export function startChild(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; command?: string; stdin?: boolean; stderr?: 'inherit' | 'ignore'; onLine?: (line: string) => void } = {},
): Child {
  const proc = spawn(opts.command ?? process.execPath, args, {
    env: { ...process.env, ...opts.env },
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', opts.stderr ?? 'inherit'],
  });
  children.add(proc);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    lines.push(l);
    opts.onLine?.(l);
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.re.test(l)) waiters.splice(i, 1)[0]!.resolve(l);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => (children.delete(proc), resolve(code))));
  const line = (re: RegExp, timeoutMs?: number) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return resolve(seen);
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => reject(new Error(`${args.slice(0, 3).join(' ')}: no line ${re} within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  return { proc, lines, line, exited };
}

/** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
export async function stopChild(c: Child, signal: NodeJS.Signals = 'SIGINT', graceMs = 10_000): Promise<number | null> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return c.proc.exitCode;
  c.proc.kill(signal);
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  const code = await c.exited;
  clearTimeout(timer);
  return code;
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
