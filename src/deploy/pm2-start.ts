/**
 * Starts PM2 apps in order, each once the previous one is registered and ready:
 *     node dist/deploy/pm2-start.js <app.json> <location> [<app.json> <location> ...]
 * run.sh start uses it (see pm2-apps.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli, UserError } from '../cli/errors.js';
import { masterEndpoint } from '../cli/options.js';
import { connectPm2, startInOrder } from './pm2-apps.js';

await runCli(async () => {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.length % 2 !== 0) throw new UserError('usage: pm2-start <app.json> <location> [...]');
  const pm2 = await connectPm2();
  const apps: { file: string; location: string }[] = [];
  for (let i = 0; i < args.length; i += 2) apps.push({ file: args[i]!, location: args[i + 1]! });
  try {
    // KF_MASTER_HOST/PORT and KF_HOME from the environment, as run.sh passes them.
    await startInOrder(pm2, apps, masterEndpoint(), (file, location) => process.stdout.write(`run.sh: ${file.replace(/\.json$/, '')} ready (${location})\n`));
  } finally {
    pm2.disconnect();
    await sleep(0);
  }
});
