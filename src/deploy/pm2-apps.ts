/**
 * Starting PM2 apps in order through one connection to the PM2 daemon (the pm2 CLI costs ~0.5 s
 * per call to load): each app once the previous one is registered and ready (wait_ready, and the
 * master's registry to confirm it). run.sh start and npm start use it.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { waitForProcesses } from '../cli/master-api.js';
import { UserError } from '../cli/errors.js';
import type { MasterEndpoint } from '../cli/options.js';

export type Pm2 = typeof import('pm2');

export async function connectPm2(): Promise<Pm2> {
  const mod = (await import('pm2')) as unknown as { default?: Pm2 } & Pm2;
  const pm2 = mod.default ?? mod;
  await new Promise<void>((resolve, reject) => pm2.connect((err: Error | null) => (err ? reject(err) : resolve())));
  return pm2;
}

export function startApp(pm2: Pm2, file: string): Promise<void> {
  // PM2 answers an app file's failures as an array of errors.
  const why = (err: Error | Error[]) => (Array.isArray(err) ? err.map((e) => e.message).join('; ') : err.message);
  return new Promise<void>((resolve, reject) => pm2.start(file, (err: Error | Error[] | null) => (err ? reject(new UserError(`pm2 could not start ${file}: ${why(err)}`)) : resolve())));
}

/**
 * Starts each (app file, location) in order, each once the previous is registered and ready as
 * the process PM2 runs for it (not another stack's process on the same port). An app that exits
 * meanwhile with a user error (code 2: PM2 does not restart it) fails at once, with its last
 * error line, instead of at the timeout.
 */
export async function startInOrder(pm2: Pm2, apps: { file: string; location: string }[], master: MasterEndpoint, onReady: (file: string, location: string) => void): Promise<void> {
  for (const { file, location } of apps) {
    await startApp(pm2, file);
    const name = appNameOf(file);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const app = name === undefined ? undefined : await describe(pm2, name);
      if (app && app.exitCode === 2 && app.status !== 'online') throw new UserError(`${name} exited with code 2 (a user error; PM2 does not restart it): ${lastLine(app.errLog) ?? 'see npx pm2 logs ' + name}`);
      // A short wait at a time, so that an app that exits meanwhile is seen at once.
      const rows = await waitForProcesses(master, [location], Math.max(1, Math.min(500, deadline - Date.now()))).catch((err: Error) => err);
      if (rows instanceof Error) {
        if (Date.now() >= deadline) throw rows;
        continue;
      }
      const registered = rows.find((r) => r.location === location);
      if (!app || app.pid <= 0 || registered?.pid === app.pid) break;
      if (Date.now() >= deadline) {
        throw new UserError(`${location} is registered by pid ${registered?.pid}, not by PM2's ${name} (pid ${app.pid}): another stack runs on ${master.host}:${master.port}? Stop it, or set KF_MASTER_PORT`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    onReady(file, location);
  }
}

/** The app's name in a PM2 JSON app file (one app per file, as the guide's). */
function appNameOf(file: string): string | undefined {
  try {
    const spec = JSON.parse(readFileSync(file, 'utf8')) as { apps?: { name?: unknown }[] };
    const name = spec.apps?.[0]?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

function describe(pm2: Pm2, name: string): Promise<{ pid: number; status: string; exitCode: number | undefined; errLog: string | undefined } | undefined> {
  return new Promise((resolve) =>
    pm2.describe(name, (err, list) => {
      const p = err ? undefined : list?.[0];
      const env = p?.pm2_env as { status?: string; exit_code?: number; pm_err_log_path?: string } | undefined;
      resolve(p ? { pid: p.pid ?? 0, status: env?.status ?? '', exitCode: env?.exit_code, errLog: env?.pm_err_log_path } : undefined);
    }),
  );
}

/** The last line of a log file, read from its last 8 KB (PM2's error logs grow without bound). */
function lastLine(file: string | undefined): string | undefined {
  if (!file) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 8192));
    const read = readSync(fd, tail, 0, tail.length, size - tail.length); // fewer if rotated meanwhile
    return tail.subarray(0, read).toString('utf8').trimEnd().split('\n').at(-1) || undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether PM2 runs an app of this name and it is online. */
export function isOnline(pm2: Pm2, name: string): Promise<boolean> {
  return new Promise((resolve) => pm2.describe(name, (err: Error | null, list: { pm2_env?: { status?: string } }[]) => resolve(!err && list.some((p) => p.pm2_env?.status === 'online'))));
}

/** Whether PM2 has app `name` stopped (by a stop, not between restarts). */
export function isStopped(pm2: Pm2, name: string): Promise<boolean> {
  return new Promise((resolve) => pm2.describe(name, (err: Error | null, list: { pm2_env?: { status?: string } }[]) => resolve(!err && list.length > 0 && list.every((p) => p.pm2_env?.status === 'stopped'))));
}

export function stopApp(pm2: Pm2, name: string): Promise<void> {
  return new Promise((resolve) => pm2.stop(name, () => resolve()));
}
