/**
 * When something last happened, for a hot path that must not read the clock each time it happens:
 * events are counted (a small integer, no allocation), and whoever asks when the last one was
 * (a timer) dates the events counted since it last asked at the time it asks. So the answer is
 * late by at most the interval between two questions: ask from a timer that runs whatever state
 * the rest is in.
 */
export class Activity {
  /** Events counted, wrapping at 2^30 (a small integer in V8: a larger one is a heap number). */
  private count = 0;
  private countSeen = 0;
  private lastAt: number;

  constructor(now: number) {
    this.lastAt = now;
  }

  /** One more event. */
  note(): void {
    this.count = (this.count + 1) & 0x3fffffff;
  }

  /** An event now (a cold path that has the time). */
  touch(now: number): void {
    this.countSeen = this.count;
    this.lastAt = now;
  }

  /** Local ms of the last event, as of `now`: events counted since the last call are dated `now`. */
  last(now: number): number {
    if (this.count !== this.countSeen) this.touch(now);
    return this.lastAt;
  }
}
