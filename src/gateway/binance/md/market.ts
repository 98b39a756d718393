/**
 * Market data from the feed to the journal: each stream message is mapped (mapping.ts) and
 * published; depth diffs go through one BookSync per symbol, whose snapshots come over REST
 * (snapshots.ts). Messages both connections deliver during a switch-over are dropped by their
 * ids. A bad message is logged once per kind and skipped; the connection goes on.
 */
import { nowNs } from '../../../journal/clock.js';
import type { Logger } from '../../../util/log.js';
import type { BinanceRest } from '../common/rest.js';
import { Activity } from './activity.js';
import { BookSync } from './book-sync.js';
import { emptyDiff, parseDepthDiff, type DepthDiff } from './depth-json.js';
import { DATA_PREFIX, hasAt, scanDepthUpdate, STREAM_PREFIX } from './depth-scan.js';
import { mapAggTrade, mapBookTicker, mapKline, mapTicker, mapTrade, MappingError, parseStreamName, streamName, type StreamKey } from './mapping.js';
import { BookState, type MdPublisher } from './publish.js';
import { Snapshots } from './snapshots.js';

export interface MarketOptions {
  rest: BinanceRest;
  publisher: MdPublisher;
  log: Logger;
  /** The tick size (fixed-point units) of a listed symbol. */
  tickUnits(symbol: string): number | undefined;
  /** How many depth levels to publish for a symbol, whether in-progress bars are wanted. */
  depthLevels(symbol: string): number;
  barPartial(symbol: string, interval: string): boolean;
  /** Something that changes the gateway's state happened (a book went stale or live, a ban). */
  changed(): void;
  /** Retry delays after a failed snapshot (default 1 s doubling to 30 s). */
  snapshotRetry?: { initialMs: number; maxMs: number };
}

/** A depth stream the hot path reads from bytes: its name and symbol as bytes, its book. */
interface FastDepth {
  name: Buffer;
  symbol: Buffer;
  sync: BookSync;
  last: Last;
}

/**
 * FNV-1a of bytes [start, end), in 30 bits: the key of a stream name without making a string of
 * it. 30 bits keep it a small integer: a larger one is a heap number when it is passed to Map.get.
 */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h & 0x3fffffff;
}

/** Per symbol: ids of what was published last, to drop what a second connection repeats. */
interface Last {
  quote: number;
  trade: number;
  aggTrade: number;
  ticker: number;
  klines: Map<string, string>;
  /** Messages of any stream of the symbol (idle detection): dated by sample(), every second. */
  activity: Activity;
}

/** Symbols whose last ids are kept (Binance lists about 3000). */
const MAX_SYMBOLS = 20_000;

export class MarketData {
  readonly books = new Map<string, BookSync>();
  private readonly last = new Map<string, Last>();
  private readonly keys = new Map<string, StreamKey | null>();
  private readonly diff: DepthDiff = emptyDiff();
  /** Depth streams by the FNV-1a hash of their name. */
  private readonly fastDepth = new Map<number, FastDepth>();
  /** The depth stream of the last frame read: usually the next frame's too. */
  private lastFast: FastDepth | undefined;
  private readonly reported = new Set<string>();
  private readonly snapshots: Snapshots;

  constructor(private readonly opts: MarketOptions) {
    this.snapshots = new Snapshots({
      rest: opts.rest,
      log: opts.log,
      ...(opts.snapshotRetry ? { retry: opts.snapshotRetry } : {}),
      kept: (sync) => this.books.get(sync.symbol) === sync,
      arrived: (sync, epoch, snapshot) => {
        sync.onSnapshot(epoch, snapshot);
        this.flushDepth(nowNs());
      },
      changed: () => opts.changed(),
    });
  }

  /** When a 418 ban on REST ends (ms), while one is in force. */
  get banUntil(): number {
    return this.snapshots.banUntil;
  }

  private lastOf(symbol: string): Last {
    let l = this.last.get(symbol);
    if (!l) this.last.set(symbol, (l = { quote: -1, trade: -1, aggTrade: -1, ticker: -1, klines: new Map(), activity: new Activity(Date.now()) }));
    return l;
  }

  /** A message that cannot be used: said once per kind (with the first example), then counted silently. */
  bad(kind: string, message: string): void {
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    this.opts.log.warn(`market streams: skipped a message (${message}); further "${kind}" problems are not logged again`);
  }

  /** Dates the messages counted since the last call at `now`: call it every second, whatever the gateway's state. */
  sample(now = Date.now()): void {
    for (const l of this.last.values()) l.activity.last(now);
  }

  /** Local ms since `symbol` last had a message of any stream (to within the interval between two samples). */
  silentFor(symbol: string, now = Date.now()): number {
    return now - this.lastOf(symbol).activity.last(now);
  }

  /**
   * The hot path: a depth diff read from the frame's bytes (depth-scan.ts). False for any other
   * frame, or one it does not read: that one comes back parsed, through data().
   */
  fast(frame: Buffer, start: number, end: number, receivedAt: bigint): boolean {
    if (!hasAt(frame, start, STREAM_PREFIX)) return false;
    const from = start + STREAM_PREFIX.length;
    let entry = this.lastFast;
    let to = entry === undefined ? from : from + entry.name.length;
    if (entry === undefined || !hasAt(frame, from, entry.name) || !hasAt(frame, to, DATA_PREFIX)) {
      to = from;
      const limit = Math.min(end, from + 64);
      while (to < limit && frame[to] !== 34) to++;
      entry = this.fastDepth.get(hashBytes(frame, from, to));
      if (!entry || entry.name.length !== to - from || !hasAt(frame, from, entry.name) || !hasAt(frame, to, DATA_PREFIX)) return false;
      this.lastFast = entry;
    }
    const diff = this.diff;
    if (!scanDepthUpdate(frame, to + DATA_PREFIX.length, end, entry.symbol, diff)) return false;
    diff.symbol = entry.sync.symbol;
    entry.last.activity.note();
    entry.sync.onDiff(diff);
    this.flushDepth(receivedAt);
    return true;
  }

  data(stream: string, data: unknown, receivedAt: bigint): void {
    let key = this.keys.get(stream);
    if (key === undefined) {
      key = parseStreamName(stream) ?? null;
      if (this.keys.size < 100_000) this.keys.set(stream, key);
    }
    if (key === null) return this.bad('unknown stream', `a message of stream "${stream.slice(0, 60)}", which this gateway did not subscribe to`);
    try {
      this.route(key, data, receivedAt);
    } catch (err) {
      if (err instanceof MappingError) return this.bad(err.kind, err.message);
      throw err;
    }
  }

  private route(key: StreamKey, data: unknown, receivedAt: bigint): void {
    const p = this.opts.publisher;
    // Only so many symbols are kept: a stream the exchange sends unasked must not grow memory.
    const last = this.last.size < MAX_SYMBOLS ? this.lastOf(key.symbol) : this.last.get(key.symbol);
    if (last === undefined) return this.bad('too many symbols', `a message for ${key.symbol.slice(0, 20)}: past the ${MAX_SYMBOLS} symbols this gateway keeps`);
    last.activity.note();
    switch (key.kind) {
      case 'depth': {
        const d = parseDepthDiff(data, this.diff);
        if (d.symbol !== key.symbol) throw new MappingError('depthUpdate', `depthUpdate: symbol ${d.symbol} on the stream of ${key.symbol}`);
        this.books.get(key.symbol)?.onDiff(d);
        return this.flushDepth(receivedAt);
      }
      case 'bookTicker': {
        const q = mapBookTicker(data);
        const id = Number(q.update_id);
        if (id <= last.quote) return;
        last.quote = id;
        return p.quote(q, receivedAt);
      }
      case 'trade': {
        const t = mapTrade(data);
        const id = Number(t.trade_id);
        if (id <= last.trade) return;
        last.trade = id;
        return p.transaction(t, receivedAt);
      }
      case 'aggTrade': {
        const t = mapAggTrade(data);
        const id = Number(t.trade_id);
        if (id <= last.aggTrade) return;
        last.aggTrade = id;
        return p.transaction(t, receivedAt);
      }
      case 'ticker': {
        const t = mapTicker(data);
        const id = Number(t.data_time / 1_000_000n);
        if (id <= last.ticker) return;
        last.ticker = id;
        return p.ticker(t, receivedAt);
      }
      case 'kline': {
        const b = mapKline(data);
        if (!b.closed && !this.opts.barPartial(key.symbol, b.interval)) return;
        const id = `${b.start_time}:${b.data_time}:${b.closed}`;
        if (last.klines.get(b.interval) === id) return;
        last.klines.set(b.interval, id);
        return p.bar(b, receivedAt);
      }
    }
  }

  /** Set by the BookSync callbacks, written once the diff is applied (fields, not an object: no garbage per diff). */
  private pendingSync: BookSync | undefined;
  private pendingDiff: DepthDiff | undefined;

  private flushDepth(receivedAt: bigint): void {
    const sync = this.pendingSync;
    if (!sync) return;
    const diff = this.pendingDiff;
    this.pendingSync = this.pendingDiff = undefined;
    this.opts.publisher.depth(sync.symbol, sync.book, sync.levels, BookState.Live, diff, receivedAt);
  }

  /** Starts keeping the book of `symbol` (its depth stream is wanted). */
  track(symbol: string): void {
    if (this.books.has(symbol)) return;
    const tick = this.opts.tickUnits(symbol) ?? 1;
    const sync: BookSync = new BookSync(symbol, tick, {
      needSnapshot: (epoch) => this.snapshots.request(sync, epoch),
      changed: (diff) => {
        this.pendingSync = sync;
        this.pendingDiff = diff;
      },
      live: (diff) => {
        this.opts.log.info(`book ${symbol}: in sync at update ${sync.book.updateId} (${sync.book.bids.size} bids, ${sync.book.asks.size} asks)`);
        this.pendingSync = sync;
        this.pendingDiff = diff;
        this.opts.changed();
      },
      stale: (why, wasLive) => {
        this.opts.log.warn(`book ${symbol}: resyncing (${why})`);
        if (wasLive) this.opts.publisher.depth(symbol, sync.book, sync.levels, BookState.Stale, undefined, 0n);
        this.opts.changed();
      },
    });
    sync.levels = this.opts.depthLevels(symbol);
    this.books.set(symbol, sync);
    const name = Buffer.from(streamName({ symbol, kind: 'depth' }));
    this.fastDepth.set(hashBytes(name, 0, name.length), { name, symbol: Buffer.from(symbol), sync, last: this.lastOf(symbol) });
  }

  untrack(symbol: string): void {
    const sync = this.books.get(symbol);
    if (!sync) return;
    sync.epoch++; // any snapshot on its way is for a book that is gone
    this.books.delete(symbol);
    const name = Buffer.from(streamName({ symbol, kind: 'depth' }));
    this.fastDepth.delete(hashBytes(name, 0, name.length));
    this.lastFast = undefined;
    this.opts.changed();
  }

  /** The depth levels wanted changed: publish the book with the new count at once. */
  setLevels(symbol: string, levels: number): void {
    const sync = this.books.get(symbol);
    if (!sync || sync.levels === levels) return;
    sync.levels = levels;
    if (sync.state === 'live') this.opts.publisher.depth(symbol, sync.book, levels, BookState.Live, undefined, 0n);
  }

  /** The depth stream of these symbols stopped or restarted on a new connection: their books start over. */
  restart(symbols: Iterable<string>, why: string): void {
    for (const s of symbols) {
      const sync = this.books.get(s);
      if (sync?.fresh) sync.epoch++;
      else sync?.restart(why);
    }
  }

  close(): void {
    this.snapshots.close();
  }
}
