#!/usr/bin/env node
// npm start: builds kungfu-ts if needed, then runs the demo stack (src/deploy/demo.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'dist', 'cli', 'kfc.js');
const newest = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
if (!existsSync(join(root, 'node_modules'))) {
  console.error('npm start: no node_modules: run npm ci first');
  process.exit(1);
}
if (!existsSync(built) || newest(join(root, 'src')) > statSync(built).mtimeMs) {
  console.log('npm start: building (npm run build)');
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
await import(join(root, 'dist', 'deploy', 'demo.js'));
