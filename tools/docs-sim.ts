/**
 * `npm run docs:sim`: rewrites the README's table of what the sim serves from the code's own
 * route, method and stream lists (src/sim/api/surface-doc.ts). `--check` only says whether the
 * README is up to date (exit 1 if not).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { surfaceSection, withSection } from '../src/sim/api/surface-doc.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const updated = withSection(readme, surfaceSection());
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('docs:sim: README.md is out of date: run npm run docs:sim');
    process.exit(1);
  }
} else if (updated !== readme) {
  writeFileSync(file, updated);
  console.log('docs:sim: README.md updated');
} else console.log('docs:sim: README.md already up to date');
