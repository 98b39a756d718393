/**
 * A position in one symbol, at average cost, in exact decimals: signed `volume` (base asset),
 * `cost` (quote paid for the open volume: negative for a short, which received quote), `realized`
 * PnL (quote). Fills that reduce the position realize PnL against the average cost; a fill that
 * crosses zero closes the position and opens the other side at its own price.
 *
 * Roundings, named: the cost of the part of a position that a fill closes is cost x closed / |volume|
 * rounded half-even (closing the whole position takes exactly its cost, so nothing is left over);
 * a fill's quote split across a close and an open likewise; unrealized PnL is volume x mark rounded
 * half-even, minus cost.
 */
import { ZERO, mul, type Decimal } from '../model/decimal.js';

/** (a x b) / c rounded half-even, for values in 1e-8 units (c > 0). */
function scale(a: Decimal, b: Decimal, c: Decimal): Decimal {
  const n = a * b;
  const q = n / c;
  const r = n % c;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  const away = twice > c || (twice === c && (q & 1n) !== 0n);
  return away ? (n < 0n ? q - 1n : q + 1n) : q;
}

const abs = (x: Decimal) => (x < 0n ? -x : x);

export class PositionState {
  volume: Decimal = ZERO;
  cost: Decimal = ZERO;
  realized: Decimal = ZERO;
  /** Commissions paid in the quote asset (already taken off `realized`). */
  quoteFees: Decimal = ZERO;

  /**
   * A fill: `qty` > 0 bought, `quote` the quote amount paid or received (positive), and the
   * commission taken in the base asset (reduces the volume received or adds to the volume given)
   * or in the quote asset (reduces PnL). Commissions in other assets are the caller's to record.
   */
  fill(buy: boolean, qty: Decimal, quote: Decimal, baseFee: Decimal = ZERO, quoteFee: Decimal = ZERO): void {
    const signedQty = buy ? qty : -qty;
    const signedQuote = buy ? quote : -quote;
    this.trade(signedQty, signedQuote);
    // A commission in the base asset: the base received is less (buy), or more was given (sell).
    if (baseFee !== ZERO) this.adjustVolume(-baseFee);
    if (quoteFee !== ZERO) {
      this.realized -= quoteFee;
      this.quoteFees += quoteFee;
    }
  }

  private trade(signedQty: Decimal, signedQuote: Decimal): void {
    if (signedQty === ZERO) return;
    if (this.volume === ZERO || this.volume > 0n === signedQty > 0n) {
      this.volume += signedQty;
      this.cost += signedQuote;
      return;
    }
    const size = abs(signedQty);
    const held = abs(this.volume);
    const closed = size < held ? size : held;
    const costPortion = closed === held ? this.cost : scale(this.cost, closed, held);
    const quotePortion = closed === size ? signedQuote : scale(signedQuote, closed, size);
    // Long: received (-quotePortion) minus cost; short: cost received (-costPortion) minus paid.
    this.realized += -(costPortion + quotePortion);
    this.volume += signedQty > 0n ? closed : -closed;
    this.cost -= costPortion;
    if (closed < size) {
      this.volume += signedQty > 0n ? size - closed : -(size - closed);
      this.cost += signedQuote - quotePortion;
    }
  }

  /**
   * Base asset that changes hands without a trade (a commission paid in base): the volume moves,
   * the cost stays (the average price of what is left rises), unless the position is gone.
   */
  private adjustVolume(delta: Decimal): void {
    this.volume += delta;
    if (this.volume === ZERO) {
      this.realized -= this.cost;
      this.cost = ZERO;
    }
  }

  /** volume x mark - cost: what closing at `mark` would realize (quote). */
  unrealized(mark: Decimal): Decimal {
    if (this.volume === ZERO || mark <= 0n) return ZERO;
    return mul(this.volume, mark, 'half-even') - this.cost;
  }
}
