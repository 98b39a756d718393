import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFixture } from '../fixtures/child.js';
import { tmpHome } from '../helpers.js';

async function anchorOf(home: string, offsetMs?: number): Promise<bigint> {
  const child = runFixture('clock-anchor.ts', offsetMs === undefined ? [home] : [home, String(offsetMs)]);
  const line = await child.line(/^\d+$/);
  await child.exited;
  return BigInt(line);
}

describe('journal clock', () => {
  it('every process of a KF_HOME reads the same clock, even across a wall-clock step', async () => {
    const home = tmpHome();
    const first = await anchorOf(home);
    // The wall clock jumps an hour between two starts: the second process still uses the anchor
    // the boot's first process published, so their journal times agree to the nanosecond.
    assert.equal(await anchorOf(home, 3_600_000), first);
    assert.equal(await anchorOf(home, -3_600_000), first);
    // Another KF_HOME (no published anchor yet) derives its own from the (stepped) wall clock.
    const other = await anchorOf(tmpHome(), 3_600_000);
    assert.ok(other - first > 3_500_000_000_000n, 'a fresh anchor follows the wall clock');
  });
});
