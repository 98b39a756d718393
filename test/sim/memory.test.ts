/**
 * Memory stays flat however long the sim runs: the synthetic market driven hard (in a child with
 * --expose-gc, on a fast clock) leaves the heap after GC where it was once the windows are full,
 * and every retained structure within its configured window. Measured in rounds, not time, so a
 * loaded machine only makes it slower.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { RateLimits } from '../../src/sim/api/limits.js';

const CHILD = fileURLToPath(new URL('./heap-child.ts', import.meta.url));
const MB = 1024 * 1024;

describe('sim memory', { timeout: 300_000 }, () => {
  it('keeps the heap flat while the synthetic market runs thousands of rounds', () => {
    // 3000 rounds fill every window (5 minutes of market); 6000 more would keep ~120k orders if nothing were forgotten.
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, '3000', '6000'], { encoding: 'utf8', timeout: 280_000 });
    assert.equal(r.status, 0, r.stderr);
    const { first, second } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { first: any; second: any };
    const growth = second.heap - first.heap;
    assert.ok(growth < 8 * MB, `heap grew ${(growth / MB).toFixed(1)} MB over 6000 rounds (${(first.heap / MB).toFixed(1)} -> ${(second.heap / MB).toFixed(1)} MB)`);
    // Two accounts on two symbols, 200 finished orders and 200 trades each, plus the open quotes.
    assert.ok(second.engine.known <= 2 * 2 * 200 + 50, `orders known: ${second.engine.known}`);
    assert.ok(second.engine.clientIds <= second.engine.known, `client ids: ${second.engine.clientIds}`);
    assert.ok(second.engine.trades <= 2 * 2 * 200, `own trades: ${second.engine.trades}`);
    assert.ok(second.tape.trades <= 2 * 200 && second.tape.aggTrades <= 2 * 200, `tape: ${JSON.stringify(second.tape)}`);
    assert.ok(second.engine.known >= first.engine.known - 50 && second.engine.known > 400, 'the windows were full: the market did run');
  });

  it('forgets the weight and order counters of past windows (one entry per client address, per account)', () => {
    let t = 1_700_000_000_000;
    const limits = new RateLimits({ now: () => t });
    for (let i = 0; i < 1000; i++) {
      limits.spend(`10.0.${i >> 8}.${i & 255}`, 1);
      limits.countOrder(`account-${i}`);
    }
    assert.deepEqual(limits.retained, { clients: 1000, accounts: 1000 });
    t += 60_000;
    limits.spend('127.0.0.1', 1);
    limits.countOrder('demo');
    assert.deepEqual(limits.retained, { clients: 1, accounts: 1 });
    assert.equal(limits.weightUsed('10.0.0.1'), 0);
  });
});
