/**
 * One order as the ledger's books see it (OrderView), and how the books name what an order
 * belongs to: its account's id, and the key of an order the ledger did not route. The books
 * (books.ts), the ledger (ledger.ts), pre-trade risk and the state file all speak of orders this way.
 */
import { ZERO, type Decimal } from '../model/decimal.js';
import type { OrderEvent } from '../model/events.js';

/** Accounts are named as the accounts database names them: "<source>_<account>". */
export const accountIdOf = (source: string, account: string) => `${source}_${account}`;

export interface OrderView {
  orderId: bigint;
  strategyUid: number;
  accountId: string;
  source: string;
  account: string;
  symbol: string;
  exchange: string;
  side: number;
  priceType: number;
  price: Decimal;
  volume: Decimal;
  quoteVolume: Decimal;
  volumeTraded: Decimal;
  amountTraded: Decimal;
  status: number;
  errorMsg: string;
  insertTime: bigint;
  updateTime: bigint;
}

/** A new view of an order, as first seen (nothing traded yet). */
export function orderView(
  o: Pick<OrderEvent, 'order_id' | 'source' | 'account' | 'symbol' | 'exchange' | 'side' | 'price_type' | 'price' | 'volume' | 'quote_volume'>,
  at: { key: bigint; strategyUid: number; status: number; errorMsg: string; insertTime: bigint; updateTime: bigint },
): OrderView {
  return {
    orderId: at.key,
    strategyUid: at.strategyUid,
    accountId: accountIdOf(o.source, o.account),
    source: o.source,
    account: o.account,
    symbol: o.symbol,
    exchange: o.exchange,
    side: o.side,
    priceType: o.price_type,
    price: o.price,
    volume: o.volume,
    quoteVolume: o.quote_volume,
    volumeTraded: ZERO,
    amountTraded: ZERO,
    status: at.status,
    errorMsg: at.errorMsg,
    insertTime: at.insertTime,
    updateTime: at.updateTime,
  };
}

/** Orders of other clients have no order id of ours: key them by the exchange's id, high bit set. */
export function foreignKey(exOrderId: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < exOrderId.length; i++) h = ((h ^ BigInt(exOrderId.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h | (1n << 63n);
}

/**
 * Open orders by id, counted per key of each (an account counts them per symbol, a strategy per
 * account): a pre-trade check's count is one lookup.
 */
export class OpenOrders {
  private readonly byId = new Map<bigint, OrderView>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly keyOf: (o: OrderView) => string) {}

  get size(): number {
    return this.byId.size;
  }

  get(orderId: bigint): OrderView | undefined {
    return this.byId.get(orderId);
  }

  values(): IterableIterator<OrderView> {
    return this.byId.values();
  }

  /** Open orders whose key is `key`. */
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  add(o: OrderView): void {
    if (this.byId.has(o.orderId)) return;
    this.byId.set(o.orderId, o);
    const key = this.keyOf(o);
    this.counts.set(key, this.count(key) + 1);
  }

  remove(orderId: bigint): void {
    const o = this.byId.get(orderId);
    if (!o) return;
    this.byId.delete(orderId);
    const key = this.keyOf(o);
    this.counts.set(key, this.count(key) - 1);
  }
}
