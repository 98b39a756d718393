/**
 * Starts PM2 apps in order, each once the previous one is registered and ready:
 *     node dist/deploy/pm2-start.js <app.json> <location> [<app.json> <location> ...]
 * run.sh start uses it. One connection to the PM2 daemon for all apps (the pm2 CLI costs ~0.5 s
 * per call to load); with wait_ready, PM2 answers each start once the app said "ready", and the
 * master's registry confirms it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForProcesses } from '../cli/master-api.js';
import { runCli, UserError } from '../cli/errors.js';
import { masterEndpoint } from '../cli/options.js';

type Pm2 = typeof import('pm2');

await runCli(async () => {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.length % 2 !== 0) throw new UserError('usage: pm2-start <app.json> <location> [...]');
  const mod = (await import('pm2')) as unknown as { default?: Pm2 } & Pm2;
  const pm2 = mod.default ?? mod;
  await new Promise<void>((resolve, reject) => pm2.connect((err: Error | null) => (err ? reject(err) : resolve())));
  const master = masterEndpoint(); // KF_MASTER_HOST/PORT and KF_HOME from the environment, as run.sh passes them
  try {
    for (let i = 0; i < args.length; i += 2) {
      const file = args[i]!;
      const location = args[i + 1]!;
      await new Promise<void>((resolve, reject) =>
        pm2.start(file, (err: Error | null) => (err ? reject(new UserError(`pm2 could not start ${file}: ${err.message}`)) : resolve())),
      );
      await waitForProcesses(master, [location], 30_000);
      process.stdout.write(`run.sh: ${file.replace(/\.json$/, '')} ready (${location})\n`);
    }
  } finally {
    pm2.disconnect();
    await sleep(0);
  }
});
