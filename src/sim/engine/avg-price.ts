/**
 * A symbol's average price as Binance defines it for market orders' NOTIONAL check and
 * GET /api/v3/avgPrice: the volume-weighted average of the trades of the preceding `avgPriceMins`
 * minutes. Trades are summed into one bucket per second, so the memory is fixed (mins x 60
 * buckets) whatever the trade rate. With no trade in the window, the last trade price stands.
 */
import { ZERO, div, type Decimal } from '../../model/decimal.js';

/** Binance's usual `avgPriceMins` (exchangeInfo NOTIONAL filter). */
export const AVG_PRICE_MINS = 5;

interface Bucket {
  second: number;
  quote: Decimal;
  qty: Decimal;
}

export class AvgPrice {
  private readonly buckets: Bucket[];
  private lastPrice: Decimal = ZERO;
  private lastTime = 0;

  constructor(readonly mins: number = AVG_PRICE_MINS) {
    this.buckets = Array.from({ length: mins * 60 }, () => ({ second: -1, quote: ZERO, qty: ZERO }));
  }

  record(time: number, price: Decimal, qty: Decimal, quote: Decimal): void {
    const second = Math.floor(time / 1000);
    const b = this.buckets[second % this.buckets.length]!;
    if (b.second !== second) {
      b.second = second;
      b.quote = ZERO;
      b.qty = ZERO;
    }
    b.quote += quote;
    b.qty += qty;
    this.lastPrice = price;
    this.lastTime = time;
  }

  /** The average over the window ending at `now` (0 before the first trade), and the last trade's time. */
  at(now: number): { price: Decimal; closeTime: number } {
    const second = Math.floor(now / 1000);
    let quote = ZERO;
    let qty = ZERO;
    for (const b of this.buckets) {
      if (b.second > second - this.buckets.length && b.second <= second) {
        quote += b.quote;
        qty += b.qty;
      }
    }
    return { price: qty > ZERO ? div(quote, qty, 'half-even') : this.lastPrice, closeTime: this.lastTime };
  }
}
