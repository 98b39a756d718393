/**
 * The public trade tape per symbol: recent trades (GET /api/v3/trades) and rolling 24-hour
 * statistics (GET /api/v3/ticker/24hr, the @ticker stream), fed by the engine's trade events.
 */
import { ZERO, div, mul, roundToStep, type Decimal } from '../../model/decimal.js';
import type { EngineEvent, PublicTrade } from './types.js';

const DAY_MS = 86_400_000;
const RECENT = 1000;

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

export class Tape {
  private readonly trades = new Map<string, PublicTrade[]>();

  constructor(private readonly now: () => number = Date.now) {}

  record(events: EngineEvent[]): void {
    for (const ev of events) {
      if (ev.kind !== 'trade') continue;
      let list = this.trades.get(ev.trade.symbol);
      if (!list) this.trades.set(ev.trade.symbol, (list = []));
      list.push(ev.trade);
    }
  }

  /** Trades of the last 24 hours, oldest first; older ones are forgotten here. */
  private window(symbol: string): PublicTrade[] {
    const list = this.trades.get(symbol) ?? [];
    const since = this.now() - DAY_MS;
    let drop = 0;
    while (drop < list.length && list[drop]!.time < since && list.length - drop > RECENT) drop++;
    if (drop > 0) list.splice(0, drop);
    return list.filter((t) => t.time >= since);
  }

  recent(symbol: string, limit: number): PublicTrade[] {
    const list = this.trades.get(symbol) ?? [];
    return list.slice(Math.max(0, list.length - limit));
  }

  ticker(symbol: string): Ticker24h {
    const day = this.window(symbol);
    const closeTime = this.now();
    const first = day[0];
    const last = day[day.length - 1];
    let high = ZERO;
    let low = ZERO;
    let volume = ZERO;
    let quoteVolume = ZERO;
    for (const t of day) {
      if (high === ZERO || t.price > high) high = t.price;
      if (low === ZERO || t.price < low) low = t.price;
      volume += t.qty;
      quoteVolume += mul(t.price, t.qty, 'half-even');
    }
    const open = first?.price ?? ZERO;
    const lastPrice = last?.price ?? ZERO;
    const change = lastPrice - open;
    return {
      symbol,
      openPrice: open,
      highPrice: high,
      lowPrice: low,
      lastPrice,
      lastQty: last?.qty ?? ZERO,
      volume,
      quoteVolume,
      weightedAvgPrice: volume === ZERO ? ZERO : div(quoteVolume, volume, 'half-even'),
      priceChange: change,
      priceChangePercent: open === ZERO ? ZERO : roundToStep(div(change * 100n, open, 'half-even'), 100_000n, 'half-even'),
      openTime: closeTime - DAY_MS,
      closeTime,
      firstId: first?.tradeId ?? -1,
      lastId: last?.tradeId ?? -1,
      count: day.length,
    };
  }
}
