import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDecimal as d, formatDecimal } from '../../src/model/decimal.js';
import { PositionState } from '../../src/ledger/position.js';

const show = (p: PositionState) => ({ volume: formatDecimal(p.volume), cost: formatDecimal(p.cost), realized: formatDecimal(p.realized) });

describe('position at average cost', () => {
  it('opens, adds, reduces, closes and flips with exact realized PnL', () => {
    const p = new PositionState();
    p.fill(true, d('1'), d('100'));
    p.fill(true, d('1'), d('110'));
    assert.deepEqual(show(p), { volume: '2', cost: '210', realized: '0' });
    p.fill(false, d('0.5'), d('60')); // avg 105: realizes 60 - 52.5
    assert.deepEqual(show(p), { volume: '1.5', cost: '157.5', realized: '7.5' });
    p.fill(false, d('2'), d('240')); // closes 1.5 at 120/unit (+22.5), opens a 0.5 short at 120
    assert.deepEqual(show(p), { volume: '-0.5', cost: '-60', realized: '30' });
    p.fill(true, d('0.5'), d('50')); // covers at 100: +10
    assert.deepEqual(show(p), { volume: '0', cost: '0', realized: '40' });
  });

  it('closing a position whose average price does not divide leaves no residue', () => {
    const p = new PositionState();
    p.fill(true, d('3'), d('100')); // average 33.333...
    p.fill(false, d('1'), d('40'));
    p.fill(false, d('1'), d('40'));
    p.fill(false, d('1'), d('40'));
    assert.equal(p.volume, 0n);
    assert.equal(p.cost, 0n);
    assert.equal(formatDecimal(p.realized), '20');
  });

  it('commissions: in base reduce the volume received, in quote reduce PnL', () => {
    const p = new PositionState();
    p.fill(true, d('1'), d('100'), d('0.001')); // 0.1% of the BTC bought
    assert.deepEqual(show(p), { volume: '0.999', cost: '100', realized: '0' });
    p.fill(false, d('0.999'), d('110'), 0n, d('0.11'));
    assert.deepEqual(show(p), { volume: '0', cost: '0', realized: '9.89' });
    assert.equal(formatDecimal(p.quoteFees), '0.11');
  });

  it('marks unrealized PnL at a price', () => {
    const p = new PositionState();
    p.fill(true, d('2'), d('200'));
    assert.equal(formatDecimal(p.unrealized(d('105'))), '10');
    p.fill(false, d('3'), d('315')); // short 1 at 105
    assert.equal(formatDecimal(p.unrealized(d('100'))), '5');
  });
});
