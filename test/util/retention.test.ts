/**
 * KF_RETENTION_SCALE, which tests and drills (the soak) use to shrink the windows of finished
 * orders: a bad value is a one-line user error at start (exit code 2), never a window of 0 or NaN.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kept, retentionScale } from '../../src/util/retention.js';
import { UserError } from '../../src/util/errors.js';

describe('KF_RETENTION_SCALE', () => {
  it('is 1 when not set, and scales a window, to at least 1', () => {
    assert.equal(retentionScale(undefined), 1);
    assert.equal(retentionScale(''), 1);
    assert.equal(kept(2000, retentionScale(undefined)), 2000);
    assert.equal(kept(2000, retentionScale('0.1')), 200);
    assert.equal(kept(600, retentionScale('0.1')), 60);
    assert.equal(kept(2000, retentionScale('0.0001')), 1);
  });

  for (const bad of ['0', '-0.5', '1.5', 'ten', 'NaN', 'Infinity', '0x']) {
    it(`refuses ${JSON.stringify(bad)} with one line saying what to give`, () => {
      assert.throws(
        () => retentionScale(bad),
        (err: unknown) => err instanceof UserError && err.exitCode === 2 && !err.message.includes('\n') && err.message.includes(`"${bad}"`) && /above 0 and at most 1/.test(err.message),
      );
    });
  }
});
