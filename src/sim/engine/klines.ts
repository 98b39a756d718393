/**
 * Candles (klines) built from trades, per symbol, for GET /api/v3/klines, the @kline streams and the
 * 24h ticker. Each of Binance's 16 intervals keeps a bounded window of UTC klines. An interval in
 * another time zone (`timeZone`, `@kline_1d@+08:00`) is assembled from the coarsest stored interval
 * whose boundaries line up in that zone (1h for +08:00, 15m for +05:45). Intervals without trades
 * are filled as Binance shows them: the previous close, no volume.
 */
import { ZERO, mul, type Decimal } from '../../model/decimal.js';
import { Window } from '../../util/window.js';

export const KLINE_INTERVALS = ['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Fixed lengths; 1w and 1M follow the calendar (weeks start on Monday). */
const LENGTH: Partial<Record<KlineInterval, number>> = {
  '1s': SECOND, '1m': MINUTE, '3m': 3 * MINUTE, '5m': 5 * MINUTE, '15m': 15 * MINUTE, '30m': 30 * MINUTE,
  '1h': HOUR, '2h': 2 * HOUR, '4h': 4 * HOUR, '6h': 6 * HOUR, '8h': 8 * HOUR, '12h': 12 * HOUR, '1d': DAY, '3d': 3 * DAY,
};
/** 1970-01-01 was a Thursday: Mondays are 4 days after the epoch, modulo a week. */
const MONDAY = 4 * DAY;

/** Open time of the kline of `interval` containing `t`, in a zone `offset` ms east of UTC. */
export function openTimeOf(interval: KlineInterval, t: number, offset = 0): number {
  const local = t + offset;
  if (interval === '1M') {
    const d = new Date(local);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - offset;
  }
  if (interval === '1w') return Math.floor((local - MONDAY) / (7 * DAY)) * 7 * DAY + MONDAY - offset;
  const len = LENGTH[interval]!;
  return Math.floor(local / len) * len - offset;
}

/** Open time of the kline after the one opening at `open`. */
export function nextOpenTime(interval: KlineInterval, open: number, offset = 0): number {
  if (interval === '1M') {
    const d = new Date(open + offset);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - offset;
  }
  return open + (interval === '1w' ? 7 * DAY : LENGTH[interval]!);
}

export interface Kline {
  openTime: number;
  closeTime: number;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
  quoteVolume: Decimal;
  trades: number;
  takerBuyBase: Decimal;
  takerBuyQuote: Decimal;
  /** First and last trade ids (-1 when no trade). */
  firstId: number;
  lastId: number;
}

/** A trade as candles see it. */
export interface KlineTrade {
  tradeId: number;
  time: number;
  price: Decimal;
  qty: Decimal;
  /** Whether the taker bought (Binance's taker buy volume). */
  takerBuys: boolean;
}

export interface KlineQuery {
  startTime?: number;
  endTime?: number;
  limit: number;
  /** Zone offset in ms east of UTC. */
  offset?: number;
}

/** Which stored interval builds `interval` in a zone `offset` ms from UTC. */
function sourceFor(interval: KlineInterval, offset: number): KlineInterval {
  if (offset === 0) return interval;
  const target = LENGTH[interval] ?? DAY; // 1w and 1M start at local midnights
  const fits = KLINE_INTERVALS.filter((i) => i !== '3d' && LENGTH[i] !== undefined && LENGTH[i]! <= target && target % LENGTH[i]! === 0 && offset % LENGTH[i]! === 0);
  return fits.at(-1) ?? '1s';
}

export class KlineStore {
  private readonly windows = new Map<KlineInterval, Window<Kline>>();

  /** `capacity` klines per interval; 1m keeps at least 7 days and a minute (the rolling tickers, up to `windowSize=7d`). */
  constructor(capacity: number) {
    for (const i of KLINE_INTERVALS) this.windows.set(i, new Window<Kline>(i === '1m' ? Math.max(capacity, ROLLING_MINUTES) : capacity));
  }

  record(t: KlineTrade): void {
    const quote = mul(t.price, t.qty, 'down');
    for (const [interval, w] of this.windows) {
      const open = openTimeOf(interval, t.time);
      let k = w.last();
      if (!k || k.openTime < open) {
        k = emptyKline(open, nextOpenTime(interval, open) - 1, t.price);
        k.firstId = t.tradeId;
        w.push(k);
      }
      if (t.price > k.high) k.high = t.price;
      if (t.price < k.low) k.low = t.price;
      k.close = t.price;
      k.volume += t.qty;
      k.quoteVolume += quote;
      k.trades++;
      k.lastId = t.tradeId;
      if (t.takerBuys) {
        k.takerBuyBase += t.qty;
        k.takerBuyQuote += quote;
      }
    }
  }

  /**
   * Klines of `interval` as GET /api/v3/klines selects them (oldest first): with startTime the
   * oldest from there, otherwise the latest up to endTime (or now); at most `limit`; none before the
   * first trade still remembered.
   */
  query(interval: KlineInterval, now: number, q: KlineQuery): Kline[] {
    const offset = q.offset ?? 0;
    const src = this.windows.get(sourceFor(interval, offset))!.toArray();
    if (src.length === 0) return [];
    // The first whole kline the stored window still covers.
    const firstOpen = openTimeOf(interval, src[0]!.openTime, offset);
    const earliest = src.length < this.windows.get(sourceFor(interval, offset))!.capacity || firstOpen === src[0]!.openTime ? firstOpen : nextOpenTime(interval, firstOpen, offset);
    const latest = openTimeOf(interval, Math.min(now, q.endTime ?? now), offset);
    const opens: number[] = [];
    if (q.startTime !== undefined) {
      let b = openTimeOf(interval, q.startTime, offset);
      if (b < q.startTime) b = nextOpenTime(interval, b, offset);
      b = Math.max(b, earliest);
      for (; b <= latest && opens.length < q.limit; b = nextOpenTime(interval, b, offset)) opens.push(b);
    } else {
      for (let b = latest; b >= earliest && opens.length < q.limit; b = openTimeOf(interval, b - 1, offset)) opens.push(b);
      opens.reverse();
    }
    return opens.map((open) => aggregate(src, open, nextOpenTime(interval, open, offset)));
  }
}

function emptyKline(openTime: number, closeTime: number, price: Decimal): Kline {
  return { openTime, closeTime, open: price, high: price, low: price, close: price, volume: ZERO, quoteVolume: ZERO, trades: 0, takerBuyBase: ZERO, takerBuyQuote: ZERO, firstId: -1, lastId: -1 };
}

/** Index of the first kline of `src` (sorted by open time) opening at or after `t`. */
function lowerBound(src: Kline[], t: number): number {
  let lo = 0;
  let hi = src.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (src[mid]!.openTime < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The kline [open, end) made of the source klines inside it; empty ones carry the previous close. */
function aggregate(src: Kline[], open: number, end: number): Kline {
  let i = lowerBound(src, open);
  const previous = i > 0 ? src[i - 1]!.close : src[0]!.open;
  const k = emptyKline(open, end - 1, previous);
  for (; i < src.length && src[i]!.openTime < end; i++) {
    const s = src[i]!;
    if (k.trades === 0) {
      k.open = s.open;
      k.high = s.high;
      k.low = s.low;
      k.firstId = s.firstId;
    }
    if (s.high > k.high) k.high = s.high;
    if (s.low < k.low) k.low = s.low;
    k.close = s.close;
    k.volume += s.volume;
    k.quoteVolume += s.quoteVolume;
    k.trades += s.trades;
    k.takerBuyBase += s.takerBuyBase;
    k.takerBuyQuote += s.takerBuyQuote;
    k.lastId = s.lastId;
  }
  return k;
}

/** 1m klines kept at least: the longest rolling window (7 days) and the minute it starts in. */
export const ROLLING_MINUTES = 7 * 1440 + 1;

/** The klines of `store`'s 1m window opening at or after `since`, merged into one (the rolling tickers' statistics). */
export function summarySince(store: KlineStore, since: number, now: number): Kline | undefined {
  const limit = Math.min(ROLLING_MINUTES, Math.ceil((now - openTimeOf('1m', since)) / MINUTE) + 1);
  const minutes = store.query('1m', now, { startTime: openTimeOf('1m', since), limit }).filter((k) => k.trades > 0);
  if (minutes.length === 0) return undefined;
  return aggregate(minutes, minutes[0]!.openTime, now + 1);
}
