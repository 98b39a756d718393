/**
 * Market data from the feed to the journal: each stream message is mapped (mapping.ts) and
 * published; depth diffs go through one BookSync per symbol, whose snapshots this class fetches
 * over REST (at most two at a time, within Binance's weight budget, waiting out a 429's
 * Retry-After and a 418 ban). Messages both connections deliver during a switch-over are dropped
 * by their ids. A bad message is logged once per kind and skipped; the connection goes on.
 */
import { nowNs } from '../../../journal/clock.js';
import type { Logger } from '../../../util/log.js';
import { RateLimited } from '../common/errors.js';
import type { BinanceRest } from '../common/rest.js';
import { BookSync } from './book-sync.js';
import { emptyDiff, parseDepthDiff, parseDepthSnapshot, type DepthDiff } from './depth-json.js';
import { DATA_PREFIX, hasAt, scanDepthUpdate, STREAM_PREFIX } from './depth-scan.js';
import { mapAggTrade, mapBookTicker, mapKline, mapTicker, mapTrade, MappingError, parseStreamName, streamName, type StreamKey } from './mapping.js';
import { BookState, type MdPublisher } from './publish.js';

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
  /**
   * Messages counted (wrapping at 2^30), and the local ms at which the count was last seen to
   * change (idle detection, silentFor): a clock read per message would be a heap number per message.
   */
  count: number;
  countSeen: number;
  seen: number;
}

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
  private fetching = 0;
  private readonly queue: { sync: BookSync; epoch: number }[] = [];
  /** When a 418 ban on REST ends (ms), while one is in force. */
  banUntil = 0;
  private closed = false;

  constructor(private readonly opts: MarketOptions) {}

  private lastOf(symbol: string): Last {
    let l = this.last.get(symbol);
    if (!l) this.last.set(symbol, (l = { quote: -1, trade: -1, aggTrade: -1, ticker: -1, klines: new Map(), count: 0, countSeen: 0, seen: Date.now() }));
    return l;
  }

  /** A message that cannot be used: said once per kind (with the first example), then counted silently. */
  bad(kind: string, message: string): void {
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    this.opts.log.warn(`market streams: skipped a message (${message}); further "${kind}" problems are not logged again`);
  }

  /** Local ms since `symbol` last had a message of any stream (to within the interval between two calls). */
  silentFor(symbol: string, now = Date.now()): number {
    const l = this.lastOf(symbol);
    if (l.count !== l.countSeen) {
      l.countSeen = l.count;
      l.seen = now;
    }
    return now - l.seen;
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
    entry.last.count = (entry.last.count + 1) & 0x3fffffff;
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
    const last = this.lastOf(key.symbol);
    last.count = (last.count + 1) & 0x3fffffff;
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
      needSnapshot: (epoch) => this.fetch(sync, epoch),
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

  // ---- snapshots ---------------------------------------------------------------------------------

  private fetch(sync: BookSync, epoch: number): void {
    this.queue.push({ sync, epoch });
    this.pump();
  }

  private pump(): void {
    while (this.fetching < 2 && this.queue.length > 0 && !this.closed) {
      const job = this.queue.shift()!;
      if (job.sync.epoch !== job.epoch || this.books.get(job.sync.symbol) !== job.sync) continue;
      this.fetching++;
      void this.snapshot(job.sync, job.epoch).finally(() => {
        this.fetching--;
        this.pump();
      });
    }
  }

  private async snapshot(sync: BookSync, epoch: number): Promise<void> {
    const { rest, log } = this.opts;
    const retry = this.opts.snapshotRetry ?? { initialMs: 1000, maxMs: 30_000 };
    for (let failures = 0; !this.closed && sync.epoch === epoch; failures++) {
      const hold = rest.budgetDelayMs(250);
      if (hold > 0) await sleep(hold);
      try {
        const body = await rest.call('GET', '/api/v3/depth', { symbol: sync.symbol, limit: 5000 });
        if (this.banUntil) {
          this.banUntil = 0;
          this.opts.changed();
        }
        sync.onSnapshot(epoch, parseDepthSnapshot(body));
        return this.flushDepth(nowNs());
      } catch (err) {
        if (err instanceof RateLimited) {
          if (err.status === 418 && this.banUntil !== err.until) {
            this.banUntil = err.until;
            this.opts.changed();
          }
          log.warn(`book ${sync.symbol}: snapshot refused (${err.message}); waiting ${Math.ceil((err.until - Date.now()) / 1000)} s`);
          await sleep(Math.max(0, err.until - Date.now()));
          continue;
        }
        const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(failures, 10));
        if (failures === 0 || err instanceof MappingError) log.warn(`book ${sync.symbol}: snapshot failed (${(err as Error).message}); retrying in ${delay} ms, then with backoff`);
        await sleep(delay);
      }
    }
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
