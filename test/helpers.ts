/** Shared test helpers: temp KF_HOME, a logger that records lines, waiting on conditions. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { LineLogger, type Logger } from '../src/util/log.js';

/** A fresh KF_HOME, removed when the test file ends. */
export function tmpHome(prefix = 'kfts-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Retried asynchronously: a closed writer's background page preparation may still be finishing
  // (and then removing) its temporary file, which needs the event loop to turn.
  after(async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        rmSync(dir, { recursive: true, force: true });
        return;
      } catch (err) {
        if (attempt >= 100) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return dir;
}

export interface RecordingLogger extends Logger {
  lines: { level: number; msg: string }[];
  messages(minLevel?: number): string[];
}

/** The project's logger at trace level, its lines kept in memory for assertions. */
export function recordingLogger(): RecordingLogger {
  const lines: { level: number; msg: string }[] = [];
  const logger = new LineLogger('test', 'trace', [(_line, level, msg) => void lines.push({ level, msg })]) as unknown as RecordingLogger;
  logger.lines = lines;
  logger.messages = (minLevel = 0) => lines.filter((l) => l.level >= minLevel).map((l) => l.msg);
  return logger;
}

export const WARN = 40;

/** Polls `condition` until it is truthy or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(what: string, condition: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export { isRunning as alive } from '../src/util/process.js';

/** The master's registry (GET /api/processes) on `port`. */
export async function masterRegistry(port: number | string): Promise<{ location: string; pid: number; state: string }[]> {
  const r = await fetch(`http://127.0.0.1:${port}/api/processes`);
  if (r.status !== 200) throw new Error(`GET /api/processes: ${r.status} ${await r.text()}`);
  return (await r.json()) as { location: string; pid: number; state: string }[];
}
