/**
 * Accounts' balances and the money an order moves: the lock on entry, each fill's settlement with
 * commission, and the release of what is left. Everything exact; the invariants, checked by the
 * tests after every event: for every asset, free + locked over all accounts plus the commission
 * collected equals what was deposited; no balance is ever negative; an account's locked amount is
 * the sum of its open orders' locks.
 *
 * Rounding: a fill's quote amount is price x quantity rounded down to 8 decimals (the buyer pays and
 * the seller receives that same amount), and a limit BUY keeps locked exactly what its remaining
 * quantity needs at its own price, rounded up. So every fill's payment is covered by what the fill
 * releases, and the fills of an order release its lock exactly, in total.
 */
import { ZERO, mul, type Decimal } from '../../model/decimal.js';
import { remainingOf } from './book.js';
import { ExchangeError, atMarket, type Balance, type SimOrder, type SimTrade, type SymbolSpec } from './types.js';

/** A fill's quote amount (see the rounding note above). */
export const fillQuote = (price: Decimal, qty: Decimal): Decimal => mul(price, qty, 'down');

/** What a limit BUY must keep locked for `qty` still to trade at `price`. */
export const buyLock = (price: Decimal, qty: Decimal): Decimal => mul(price, qty, 'up');

/** The asset an order pays with (and locks): the quote for a BUY, the base for a SELL. */
export const payAssetOf = (spec: SymbolSpec, order: Pick<SimOrder, 'side'>): string => (order.side === 'BUY' ? spec.quoteAsset : spec.baseAsset);

export class Balances {
  private readonly accounts = new Map<string, Map<string, Balance>>();
  /** Commission collected per asset (for the conservation invariant). */
  readonly fees = new Map<string, Decimal>();

  of(account: string, asset: string): Balance {
    let assets = this.accounts.get(account);
    if (!assets) this.accounts.set(account, (assets = new Map()));
    let b = assets.get(asset);
    if (!b) assets.set(asset, (b = { free: ZERO, locked: ZERO }));
    return b;
  }

  deposit(account: string, asset: string, amount: Decimal): void {
    this.of(account, asset).free += amount;
  }

  /** A copy of an account's balances. */
  snapshot(account: string): Map<string, Balance> {
    return new Map([...(this.accounts.get(account) ?? new Map<string, Balance>())].map(([a, b]) => [a, { ...b }]));
  }

  /** Sum over accounts of free + locked, plus fees: what the conservation invariant checks. */
  totalOf(asset: string): Decimal {
    let total = this.fees.get(asset) ?? ZERO;
    for (const assets of this.accounts.values()) {
      const b = assets.get(asset);
      if (b) total += b.free + b.locked;
    }
    return total;
  }

  /** Moves `amount` from free to locked, or refuses with Binance's -2010. */
  lock(account: string, asset: string, amount: Decimal): void {
    const b = this.of(account, asset);
    if (b.free < amount) throw new ExchangeError(-2010, 'Account has insufficient balance for requested action.');
    b.free -= amount;
    b.locked += amount;
  }

  /** Gives back whatever the order still has locked. */
  release(spec: SymbolSpec, order: SimOrder): void {
    if (order.locked === ZERO) return;
    const b = this.of(order.account, payAssetOf(spec, order));
    b.locked -= order.locked;
    b.free += order.locked;
    order.locked = ZERO;
  }

  /**
   * One side of a fill: the order pays (quote for a BUY, base for a SELL) out of its lock, receives
   * the other asset less commission, and its executed amounts grow. Returns its own trade record.
   */
  settle(spec: SymbolSpec, order: SimOrder, fill: { tradeId: number; price: Decimal; qty: Decimal; quote: Decimal; rate: Decimal; isMaker: boolean; time: number }): SimTrade {
    const isBuyer = order.side === 'BUY';
    const receivedAsset = isBuyer ? spec.baseAsset : spec.quoteAsset;
    const received = isBuyer ? fill.qty : fill.quote;
    const commission = mul(received, fill.rate, 'down');
    const pay = isBuyer ? fill.quote : fill.qty;
    order.executedQty += fill.qty;
    order.cummulativeQuoteQty += fill.quote;
    order.updateTime = fill.time;
    // A limit BUY keeps what its remainder needs at its own price; anything else releases what it pays.
    const keep = isBuyer && !atMarket(order.type) ? buyLock(order.price, remainingOf(order)) : order.locked - pay;
    const release = order.locked - keep;
    if (release < pay || keep < ZERO) throw new Error(`settlement would overdraw order ${order.orderId}: pays ${pay}, releases ${release}`);
    const payer = this.of(order.account, isBuyer ? spec.quoteAsset : spec.baseAsset);
    payer.locked -= release;
    payer.free += release - pay;
    order.locked = keep;
    this.of(order.account, receivedAsset).free += received - commission;
    this.fees.set(receivedAsset, (this.fees.get(receivedAsset) ?? ZERO) + commission);
    return { symbol: spec.symbol, id: fill.tradeId, orderId: order.orderId, orderListId: order.orderListId, account: order.account, price: fill.price, qty: fill.qty, quoteQty: fill.quote, commission, commissionAsset: receivedAsset, time: fill.time, isBuyer, isMaker: fill.isMaker };
  }
}
