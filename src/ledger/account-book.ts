/**
 * What one exchange account holds in the ledger's books: the exchange's balances, the
 * reservations of the orders the ledger routed and the exchange has not reported yet, its open
 * orders (ours and others') and its gateway's state. When a reservation is made, marked answered
 * and released is the books' decision (books.ts); this class keeps the sums that make a
 * pre-trade check one lookup (risk.ts).
 */
import { ZERO, type Decimal } from '../model/decimal.js';
import { BrokerState } from '../model/enums.js';
import { OpenOrders } from './order-view.js';

export interface Balance {
  free: Decimal;
  locked: Decimal;
}

interface Reservation {
  asset: string;
  amount: Decimal;
  /** The TD's journal showed the exchange's answer: the next balance report includes it. */
  answered: boolean;
}

export class AccountBook {
  readonly balances = new Map<string, Balance>();
  readonly reservations = new Map<bigint, Reservation>();
  /** The sum of the reservations per asset (kept with them: a check is one lookup). */
  private readonly reservedTotal = new Map<string, Decimal>();
  /** Open orders on the account (ours and others'), by order id; counted per symbol. */
  readonly open = new OpenOrders((o) => o.symbol);
  brokerState: number = BrokerState.Unknown;
  brokerMessage = '';
  /** Journal time of the last balance report. */
  balancesAt = 0n;

  constructor(
    readonly id: string,
    readonly source: string,
    readonly account: string,
  ) {}

  /** What the account may spend of `asset` now: the exchange's free balance less reservations. */
  available(asset: string): Decimal {
    return (this.balances.get(asset)?.free ?? ZERO) - this.reserved(asset);
  }

  reserved(asset: string): Decimal {
    return this.reservedTotal.get(asset) ?? ZERO;
  }

  reserve(orderId: bigint, r: Reservation): void {
    this.release(orderId);
    this.reservations.set(orderId, r);
    this.reservedTotal.set(r.asset, this.reserved(r.asset) + r.amount);
  }

  release(orderId: bigint): void {
    const r = this.reservations.get(orderId);
    if (!r) return;
    this.reservations.delete(orderId);
    this.reservedTotal.set(r.asset, this.reserved(r.asset) - r.amount);
  }
}
