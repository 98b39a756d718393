/**
 * The chaos run in short (about a minute of faults; `npm run chaos -- --minutes 10` is the long
 * one): the whole stack under PM2 on the sim, every kind of fault at least once, and after each the
 * invariants (reliability/invariants.ts): nothing lost, nothing doubled, the books exact.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { FAULT_KINDS } from '../../reliability/faults.js';
import { runNode } from '../fixtures/child.js';

const CHAOS = fileURLToPath(new URL('../../reliability/chaos.ts', import.meta.url));

describe('chaos (short)', { timeout: 420_000 }, () => {
  it('every kind of fault heals, and the invariants hold after each', async () => {
    const run = runNode(['--import', 'tsx', CHAOS, '--seconds', '50', '--seed', '7']);
    const { code } = await run.exited;
    const out = run.lines.join('\n');
    assert.equal(code, 0, `${out.slice(-3000)}\n${run.stderr().slice(-2000)}`);
    assert.match(out, /^chaos: passed$/m);
    for (const kind of FAULT_KINDS) {
      const m = new RegExp(`^ {2}${kind.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')} +(\\d+)$`, 'm').exec(out);
      assert.ok(m && Number(m[1]) >= 1, `${kind} injected (summary:\n${out.slice(-1500)})`);
    }
    const checked = /orders checked (\d+), fills checked (\d+), invariant violations 0/.exec(out);
    assert.ok(checked && Number(checked[1]) > 0 && Number(checked[2]) > 0, 'orders and fills were checked');
  });
});
