/**
 * The public market data per symbol, fed by the engine's trade events and bounded whatever the
 * trade rate: the recent trades (GET /api/v3/trades), aggregate trades (GET aggTrades, the @aggTrade
 * stream), klines (klines.ts) and the rolling 24-hour statistics derived from the 1m klines (GET
 * ticker/24hr, the @ticker stream; Binance's rolling windows are minute-precise too).
 */
import { ZERO, div, roundToStep, type Decimal } from '../../model/decimal.js';
import { KlineStore, nextOpenTime, openTimeOf, summarySince, type Kline } from './klines.js';
import type { EngineEvent, PublicTrade } from './types.js';
import { Window } from '../../util/window.js';

const DAY_MS = 86_400_000;

/** How much market data is kept per symbol. */
export interface TapeRetention {
  /** Recent trades for GET /api/v3/trades (its limit is at most 1000). Default 1000. */
  publicTrades?: number;
  /** Aggregate trades for GET /api/v3/aggTrades. Default 10000. */
  aggTrades?: number;
  /** Klines per interval (1m keeps at least 1441, for the 24h ticker). Default 1000. */
  klines?: number;
}

export const DEFAULT_TAPE_RETENTION: Required<TapeRetention> = { publicTrades: 1000, aggTrades: 10_000, klines: 1000 };

/** Trades of one taker order at one price and time (Binance's aggregate trade). */
export interface AggTrade {
  symbol: string;
  aggId: number;
  price: Decimal;
  qty: Decimal;
  firstId: number;
  lastId: number;
  time: number;
  buyerIsMaker: boolean;
  takerOrderId: number;
}

export interface Ticker24h {
  symbol: string;
  openPrice: Decimal;
  highPrice: Decimal;
  lowPrice: Decimal;
  lastPrice: Decimal;
  lastQty: Decimal;
  volume: Decimal;
  quoteVolume: Decimal;
  weightedAvgPrice: Decimal;
  priceChange: Decimal;
  /** Percent, 3 decimals as Binance prints it. */
  priceChangePercent: Decimal;
  openTime: number;
  closeTime: number;
  firstId: number;
  lastId: number;
  count: number;
}

class SymbolTape {
  readonly trades: Window<PublicTrade>;
  readonly aggTrades: Window<AggTrade>;
  readonly klines: KlineStore;
  nextAggId = 0;

  constructor(r: Required<TapeRetention>) {
    this.trades = new Window(r.publicTrades);
    this.aggTrades = new Window(r.aggTrades);
    this.klines = new KlineStore(r.klines);
  }
}

export class Tape {
  private readonly symbols = new Map<string, SymbolTape>();
  private readonly retention: Required<TapeRetention>;

  constructor(
    private readonly now: () => number = Date.now,
    retention: TapeRetention = {},
  ) {
    this.retention = { ...DEFAULT_TAPE_RETENTION, ...retention };
  }

  private of(symbol: string): SymbolTape {
    let s = this.symbols.get(symbol);
    if (!s) this.symbols.set(symbol, (s = new SymbolTape(this.retention)));
    return s;
  }

  /** Takes an operation's events; returns the aggregate trades they made (complete: one taker order each). */
  record(events: EngineEvent[]): AggTrade[] {
    const made: AggTrade[] = [];
    for (const ev of events) {
      if (ev.kind !== 'trade') continue;
      const t = ev.trade;
      const s = this.of(t.symbol);
      s.trades.push(t);
      s.klines.record({ tradeId: t.tradeId, time: t.time, price: t.price, qty: t.qty, takerBuys: !t.buyerIsMaker });
      const last = made.at(-1);
      if (last && last.symbol === t.symbol && last.takerOrderId === t.takerOrderId && last.price === t.price && last.time === t.time) {
        last.qty += t.qty;
        last.lastId = t.tradeId;
        continue;
      }
      const agg: AggTrade = { symbol: t.symbol, aggId: s.nextAggId++, price: t.price, qty: t.qty, firstId: t.tradeId, lastId: t.tradeId, time: t.time, buyerIsMaker: t.buyerIsMaker, takerOrderId: t.takerOrderId };
      s.aggTrades.push(agg);
      made.push(agg);
    }
    return made;
  }

  recent(symbol: string, limit: number): PublicTrade[] {
    const list = this.symbols.get(symbol)?.trades.toArray() ?? [];
    return list.slice(Math.max(0, list.length - limit));
  }

  /** Aggregate trades as GET aggTrades selects them: from an id, or in a time range, or the latest. */
  aggTrades(symbol: string, q: { fromId?: number; startTime?: number; endTime?: number; limit: number }): AggTrade[] {
    const list = this.symbols.get(symbol)?.aggTrades.toArray() ?? [];
    if (q.fromId !== undefined) return list.filter((a) => a.aggId >= q.fromId!).slice(0, q.limit);
    const inRange = list.filter((a) => (q.startTime === undefined || a.time >= q.startTime) && (q.endTime === undefined || a.time <= q.endTime));
    return q.startTime !== undefined ? inRange.slice(0, q.limit) : inRange.slice(Math.max(0, inRange.length - q.limit));
  }

  klines(symbol: string): KlineStore {
    return this.of(symbol).klines;
  }

  /** The latest trade still remembered, if any. */
  lastTrade(symbol: string): PublicTrade | undefined {
    return this.symbols.get(symbol)?.trades.last();
  }

  /** Trades as GET historicalTrades selects them: from a trade id on (oldest first), or the latest; among those remembered. */
  historical(symbol: string, q: { fromId?: number; limit: number }): PublicTrade[] {
    const list = this.symbols.get(symbol)?.trades.toArray() ?? [];
    if (q.fromId === undefined) return list.slice(Math.max(0, list.length - q.limit));
    return list.filter((t) => t.tradeId >= q.fromId!).slice(0, q.limit);
  }

  /** Statistics of the trades from `openTime` to now, minute-precise (1m klines), as the rolling tickers give them. */
  rolling(symbol: string, openTime: number): Ticker24h {
    return this.statistics(symbol, openTime, this.now());
  }

  /** The trading day (UTC, or a zone `offset` ms east of it) containing now: its statistics, open and close time. */
  tradingDay(symbol: string, offset: number): Ticker24h {
    const now = this.now();
    const day = this.of(symbol).klines.query('1d', now, { limit: 1, offset }).at(-1);
    const openTime = openTimeOf('1d', now, offset);
    return { ...this.statistics(symbol, openTime, now, day?.trades ? day : undefined), openTime, closeTime: nextOpenTime('1d', openTime, offset) - 1 };
  }

  ticker(symbol: string): Ticker24h {
    const closeTime = this.now();
    return this.statistics(symbol, closeTime - DAY_MS, closeTime);
  }

  private statistics(symbol: string, openTime: number, closeTime: number, summary?: Kline): Ticker24h {
    const day = summary ?? summarySince(this.of(symbol).klines, openTime, closeTime);
    const last = this.symbols.get(symbol)?.trades.last();
    const open = day?.open ?? ZERO;
    const lastPrice = day ? day.close : ZERO;
    const volume = day?.volume ?? ZERO;
    const quoteVolume = day?.quoteVolume ?? ZERO;
    const change = lastPrice - open;
    return {
      symbol,
      openPrice: open,
      highPrice: day?.high ?? ZERO,
      lowPrice: day?.low ?? ZERO,
      lastPrice,
      lastQty: day && last ? last.qty : ZERO,
      volume,
      quoteVolume,
      weightedAvgPrice: volume === ZERO ? ZERO : div(quoteVolume, volume, 'half-even'),
      priceChange: change,
      priceChangePercent: open === ZERO ? ZERO : roundToStep(div(change * 100n, open, 'half-even'), 100_000n, 'half-even'),
      openTime,
      closeTime,
      firstId: day?.firstId ?? -1,
      lastId: day?.lastId ?? -1,
      count: day?.trades ?? 0,
    };
  }

  /** Sizes of what the tape holds (memory tests). */
  get retained(): { trades: number; aggTrades: number } {
    let trades = 0;
    let aggTrades = 0;
    for (const s of this.symbols.values()) {
      trades += s.trades.size;
      aggTrades += s.aggTrades.size;
    }
    return { trades, aggTrades };
  }
}
