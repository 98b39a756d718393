/**
 * Starting PM2 apps in order through one connection to the PM2 daemon (the pm2 CLI costs ~0.5 s
 * per call to load): each app once the previous one is registered and ready (wait_ready, and the
 * master's registry to confirm it). run.sh start and npm start use it.
 */
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

/** Starts each (app file, location) in order, each once the previous is registered and ready. */
export async function startInOrder(pm2: Pm2, apps: { file: string; location: string }[], master: MasterEndpoint, onReady: (file: string, location: string) => void): Promise<void> {
  for (const { file, location } of apps) {
    await startApp(pm2, file);
    await waitForProcesses(master, [location], 30_000);
    onReady(file, location);
  }
}

/** Whether PM2 runs an app of this name and it is online. */
export function isOnline(pm2: Pm2, name: string): Promise<boolean> {
  return new Promise((resolve) => pm2.describe(name, (err: Error | null, list: { pm2_env?: { status?: string } }[]) => resolve(!err && list.some((p) => p.pm2_env?.status === 'online'))));
}

export function stopApp(pm2: Pm2, name: string): Promise<void> {
  return new Promise((resolve) => pm2.stop(name, () => resolve()));
}
