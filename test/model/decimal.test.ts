import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecimalError, div, formatDecimal, formatFixed, isMultipleOf, mul, ONE, parseDecimal, roundToStep, stepPrecision } from '../../src/model/decimal.js';

/** Deterministic PRNG (mulberry32) so a failure can be reproduced. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('decimal', () => {
  it('adds 0.1 + 0.2 to exactly 0.3 at 8 decimals', () => {
    assert.equal(parseDecimal('0.1') + parseDecimal('0.2'), parseDecimal('0.3'));
    assert.equal(formatDecimal(parseDecimal('0.1') + parseDecimal('0.2')), '0.3');
    assert.notEqual(0.1 + 0.2, 0.3); // what floats would have done
  });

  it('parses and formats exchange strings exactly', () => {
    const cases: [string, bigint, string][] = [
      ['0', 0n, '0'],
      ['1', ONE, '1'],
      ['0.00000001', 1n, '0.00000001'],
      ['-12.5', -1_250_000_000n, '-12.5'],
      ['65432.10000000', 6_543_210_000_000n, '65432.1'],
      ['0.10000000000', 10_000_000n, '0.1'],
      ['.5', 50_000_000n, '0.5'],
      ['92233720368.54775807', 9_223_372_036_854_775_807n, '92233720368.54775807'],
    ];
    for (const [text, units, canonical] of cases) {
      assert.equal(parseDecimal(text), units, text);
      assert.equal(formatDecimal(units), canonical, text);
    }
    assert.equal(formatFixed(parseDecimal('0.1')), '0.10000000');
    assert.equal(formatFixed(parseDecimal('12'), 2), '12.00');
  });

  it('rejects what is not an exact 8-decimal amount, with a clear message', () => {
    assert.throws(() => parseDecimal('abc'), /"abc" is not a decimal number/);
    assert.throws(() => parseDecimal('1e5'), DecimalError);
    assert.throws(() => parseDecimal(''), DecimalError);
    assert.throws(() => parseDecimal('0.123456789'), /more than 8 decimals/);
    assert.throws(() => parseDecimal('92233720368.54775808'), /out of range/);
    assert.equal(parseDecimal('0.123456785', 'half-even'), 12345678n);
    assert.equal(parseDecimal('0.123456775', 'half-even'), 12345678n);
    assert.equal(parseDecimal('0.123456781', 'up'), 12345679n);
    assert.equal(parseDecimal('-0.123456781', 'floor'), -12345679n);
  });

  it('multiplies and divides with explicit rounding', () => {
    const price = parseDecimal('65432.1');
    const qty = parseDecimal('0.00123');
    assert.equal(formatDecimal(mul(price, qty, 'exact')), '80.481483');
    assert.equal(formatDecimal(div(ONE, parseDecimal('3'), 'down')), '0.33333333');
    assert.equal(formatDecimal(div(ONE * 2n, parseDecimal('3'), 'half-even')), '0.66666667');
    assert.equal(formatDecimal(div(-ONE * 2n, parseDecimal('3'), 'floor')), '-0.66666667');
    assert.throws(() => div(ONE, parseDecimal('3'), 'exact'), /inexact/);
    assert.throws(() => div(ONE, 0n, 'down'), /division by zero/);
    assert.equal(formatDecimal(mul(parseDecimal('0.00000001'), parseDecimal('0.5'), 'half-even')), '0');
    assert.equal(formatDecimal(mul(parseDecimal('0.00000003'), parseDecimal('0.5'), 'half-even')), '0.00000002');
  });

  it('rounds to ticks and lots', () => {
    const tick = parseDecimal('0.01');
    assert.equal(formatDecimal(roundToStep(parseDecimal('100.129'), tick, 'down')), '100.12');
    assert.equal(formatDecimal(roundToStep(parseDecimal('100.121'), tick, 'up')), '100.13');
    assert.ok(isMultipleOf(parseDecimal('100.12'), tick));
    assert.ok(!isMultipleOf(parseDecimal('100.123'), tick));
    assert.equal(stepPrecision(tick), 2);
    assert.equal(stepPrecision(parseDecimal('1')), 0);
    assert.equal(stepPrecision(parseDecimal('0.00000001')), 8);
  });

  it('a million random additions match an independent BigInt reference', () => {
    const random = rng(42);
    let sum = 0n;
    let reference = 0n; // computed from the digit strings, without parseDecimal
    let floatSum = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const whole = Math.floor(random() * 100_000);
      const frac = Math.floor(random() * 100_000_000);
      const negative = random() < 0.3;
      const fracText = String(frac).padStart(8, '0').replace(/0+$/, '');
      const text = `${negative ? '-' : ''}${whole}${fracText ? '.' + fracText : ''}`;
      sum += parseDecimal(text);
      const digits = BigInt(`${whole}${String(frac).padStart(8, '0')}`);
      reference += negative ? -digits : digits;
      floatSum += Number(text);
    }
    assert.equal(sum, reference);
    assert.equal(parseDecimal(formatDecimal(sum)), reference);
    // Floats drift on the same input: this is why money is not a float here.
    assert.notEqual(floatSum.toFixed(8), formatDecimal(reference));
  });
});
