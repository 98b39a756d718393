#!/usr/bin/env node
// npm stop: the demo stack stopped in order (strategies, gateways, ledger, master), then the simulator.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const kfc = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'kfc.js'), 'shutdown'], { stdio: 'inherit' });
const pm2 = spawnSync(join(root, 'node_modules', '.bin', 'pm2'), ['stop', 'sim'], { stdio: 'ignore' });
console.log(pm2.status === 0 ? 'npm stop: simulator stopped' : 'npm stop: no simulator was running under PM2');
process.exit(kfc.status ?? 1);
