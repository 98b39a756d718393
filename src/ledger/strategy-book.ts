/**
 * What one strategy has in the ledger's books: the accounts it added, its open orders, its
 * positions per account and symbol, fees paid in other assets, its recent sends (the order-rate
 * limit) and its realized PnL per UTC day (the daily loss limit). The books fill it from journal
 * events (books.ts); pre-trade risk reads it (risk.ts).
 */
import type { Decimal } from '../model/decimal.js';
import { OpenOrders } from './order-view.js';
import { PositionState } from './position.js';

export class StrategyBook {
  readonly accounts = new Set<string>();
  /** Open orders, by order id; counted per account. */
  readonly open = new OpenOrders((o) => o.accountId);
  /** By account id, then symbol. */
  readonly positions = new Map<string, Map<string, PositionState>>();
  /** Commissions paid in assets other than the symbol's base and quote. */
  readonly otherFees = new Map<string, Decimal>();
  /** Send times (journal ns) of the last orders, for the orders-per-second limit. */
  readonly recentSends: bigint[] = [];
  /** Realized PnL by UTC day (yyyy-mm-dd) and quote asset. */
  readonly realizedByDay = new Map<string, Decimal>();

  constructor(
    readonly uid: number,
    public name: string,
  ) {}

  position(accountId: string, symbol: string): PositionState {
    let bySymbol = this.positions.get(accountId);
    if (!bySymbol) this.positions.set(accountId, (bySymbol = new Map()));
    let p = bySymbol.get(symbol);
    if (!p) bySymbol.set(symbol, (p = new PositionState()));
    return p;
  }
}

const DAY_NS = 86_400_000_000_000n;
let cachedDay = { start: 0n, end: 0n, name: '' };

/** The UTC day of a journal time, as "2026-11-29" (the last day is cached: called per order). */
export function utcDay(ns: bigint): string {
  if (ns >= cachedDay.start && ns < cachedDay.end) return cachedDay.name;
  const start = ns - (((ns % DAY_NS) + DAY_NS) % DAY_NS);
  cachedDay = { start, end: start + DAY_NS, name: new Date(Number(start / 1_000_000n)).toISOString().slice(0, 10) };
  return cachedDay.name;
}
