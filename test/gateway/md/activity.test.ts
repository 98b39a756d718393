/**
 * Activity (activity.ts): events counted on a hot path, dated by whoever asks. A silent stretch
 * must stay silent however long it lasts, and events are dated no later than the next question.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Activity } from '../../../src/gateway/binance/md/activity.js';

it('dates the events counted since the last question at the time of the next one', () => {
  const a = new Activity(1_000);
  assert.equal(a.last(5_000), 1_000, 'nothing counted: the time it started');
  a.note();
  a.note();
  assert.equal(a.last(6_000), 6_000, 'counted since: dated when asked');
  assert.equal(a.last(306_000), 6_000, 'then five minutes of silence read as such');
  a.touch(400_000);
  assert.equal(a.last(400_500), 400_000, 'an event with its own time');
  a.note();
  assert.equal(a.last(401_000), 401_000);
});

it('keeps counting past 2^30 events (the count wraps; it is only compared)', () => {
  const a = new Activity(0);
  for (let i = 0; i < 1_000; i++) a.note();
  assert.equal(a.last(10), 10);
  (a as unknown as { count: number }).count = 0x3fffffff; // as after 2^30 - 1 events
  a.note();
  assert.equal(a.last(20), 20, 'the wrapped count still differs from the one last seen');
});
