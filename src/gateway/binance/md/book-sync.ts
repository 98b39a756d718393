/**
 * Keeping one symbol's local book equal to Binance's, by Binance's current Spot rule
 * (web-socket-streams.md, "How to manage a local order book correctly"):
 *
 *   1. buffer the `depthUpdate` events; note the first one's U;
 *   2. fetch a snapshot (GET /api/v3/depth?limit=5000); fetch again while its lastUpdateId < U;
 *   3. drop buffered events with u <= lastUpdateId; the first one left must continue the snapshot
 *      (U <= lastUpdateId + 1: with lastUpdateId in [U, u], or starting right after it);
 *   4. apply events in order; one with u <= the book's id is old (ignored: a second connection
 *      during a switch-over repeats events); U > book id + 1 is a gap: start over at 1.
 *
 * Every diff is checked (Nautilus forwards live diffs after the replay unchecked; we do not).
 * Each start-over bumps an epoch; a snapshot fetched for an older epoch is dropped. While the book
 * is not whole its owner hears `stale`, and `live` once it is.
 */
import { BookError, OrderBook } from './book.js';
import type { DepthDiff, DepthSnapshot } from './depth-json.js';

/** Diffs buffered while a snapshot is on its way (Binance sends 10 a second per symbol: 100 min). */
export const MAX_BUFFERED = 60_000;
export const SNAPSHOT_LIMIT = 5000;

export interface BookSyncEvents {
  /** Fetch a snapshot for this epoch (the answer goes to onSnapshot with it). */
  needSnapshot(epoch: number): void;
  /** The book is whole (again); its top changed or it just became whole. */
  live(diff: DepthDiff | undefined): void;
  /** The top `levels` levels changed (book whole). */
  changed(diff: DepthDiff): void;
  /** The book starts over (a gap, a reconnect, a bad price): `why`; `wasLive` if it was whole until now. */
  stale(why: string, wasLive: boolean): void;
}

export type SyncState = 'buffering' | 'live';

function copyDiff(d: DepthDiff): DepthDiff {
  return { symbol: d.symbol, eventTime: d.eventTime, first: d.first, last: d.last, bids: d.bids.copy(), asks: d.asks.copy() };
}

export class BookSync {
  readonly book = new OrderBook();
  state: SyncState = 'buffering';
  epoch = 0;
  private buffer: DepthDiff[] = [];
  private snapshotAsked = false;
  /** How many top levels are published: a change deeper than this is not news. */
  levels = 10;
  /** Times the book started over (gaps, reconnects), for logs and tests. */
  resyncs = 0;

  constructor(
    readonly symbol: string,
    /** The instrument's tick size in fixed-point units. */
    public tickUnits: number,
    private readonly events: BookSyncEvents,
  ) {}

  /** Nothing received yet since the last (re)start: a restart now would change nothing. */
  get fresh(): boolean {
    return this.state === 'buffering' && this.buffer.length === 0 && !this.snapshotAsked;
  }

  /** Starts over from a new snapshot: after a gap, a reconnect, a bad message, a new tick size. */
  restart(why: string): void {
    const wasLive = this.state === 'live';
    this.state = 'buffering';
    this.epoch++;
    this.resyncs++;
    this.buffer = [];
    this.snapshotAsked = false;
    this.events.stale(why, wasLive);
  }

  /** A `depthUpdate` for this symbol. `diff` may be reused by the caller afterwards. */
  onDiff(diff: DepthDiff): void {
    if (this.state === 'buffering') {
      // Too many waiting: forget the oldest half. A snapshot is newer than what is kept (then it
      // applies) or older (then it is fetched again): either way the rule holds, no restart.
      if (this.buffer.length >= MAX_BUFFERED) this.buffer = this.buffer.slice(MAX_BUFFERED / 2);
      this.buffer.push(copyDiff(diff));
      if (!this.snapshotAsked) {
        this.snapshotAsked = true;
        this.events.needSnapshot(this.epoch);
      }
      return;
    }
    const book = this.book;
    if (diff.last <= book.updateId) return; // already applied (an overlapping connection)
    if (diff.first > book.updateId + 1) {
      this.restart(`gap: update ${diff.first} follows ${book.updateId}`);
      this.onDiff(diff);
      return;
    }
    const nearest = this.applyDiff(diff);
    if (nearest < this.levels) this.events.changed(diff);
  }

  /** Applies a continuous diff; returns how near the top it changed, or Infinity (also after a restart). */
  private applyDiff(diff: DepthDiff): number {
    const book = this.book;
    let nearest: number;
    try {
      nearest = Math.min(book.apply(book.bids, diff.bids), book.apply(book.asks, diff.asks));
    } catch (err) {
      this.failed(err as Error);
      return Number.POSITIVE_INFINITY;
    }
    book.updateId = diff.last;
    if (nearest === 0 && !book.uncrossed()) {
      this.restart(`crossed book after update ${diff.last}: best bid ${book.bids.tickAt(0)} >= best ask ${book.asks.tickAt(0)} (ticks)`);
      return Number.POSITIVE_INFINITY;
    }
    return nearest;
  }

  /**
   * A price off the tick grid (Binance changed the tick size, or has old orders off the new grid):
   * the book goes on with the finest grid, 1e-8, from a new snapshot.
   */
  private failed(err: Error): void {
    if (err instanceof BookError && this.tickUnits !== 1) {
      this.tickUnits = 1;
      this.restart(`${err.message}: keeping this book on a 1e-8 grid from now on`);
    } else this.restart(err.message);
  }

  /** The snapshot fetched for `epoch`. */
  onSnapshot(epoch: number, snapshot: DepthSnapshot): void {
    if (epoch !== this.epoch || this.state !== 'buffering') return; // overtaken by a restart
    const first = this.buffer[0];
    if (first === undefined) return; // cannot happen: a snapshot is asked for with the first diff
    if (snapshot.lastUpdateId < first.first) {
      // Older than the stream we buffered: ask again (step 2).
      this.events.needSnapshot(this.epoch);
      return;
    }
    const book = this.book;
    try {
      book.load(snapshot.bids, snapshot.asks, snapshot.lastUpdateId, this.tickUnits, SNAPSHOT_LIMIT);
    } catch (err) {
      this.failed(err as Error);
      return;
    }
    const pending = this.buffer.filter((d) => d.last > snapshot.lastUpdateId);
    this.buffer = [];
    this.snapshotAsked = false;
    let last: DepthDiff | undefined;
    for (const d of pending) {
      if (d.first > book.updateId + 1) {
        // The buffered stream itself has a hole after the snapshot: start over.
        this.restart(`gap in the buffered diffs: update ${d.first} follows ${book.updateId}`);
        return;
      }
      this.applyDiff(d);
      if (this.epoch !== epoch) return; // the diff made it start over
      last = d;
    }
    this.state = 'live';
    this.events.live(last);
  }
}
