/**
 * What a strategy knows, kept by its runtime from the journals it reads: the latest market data
 * per symbol, instruments, its accounts' balances (the TDs' reports), its positions (the ledger's),
 * and its own orders (the TDs' and the ledger's reports on them).
 */
import { ZERO, stepPrecision, type Decimal } from '../model/decimal.js';
import { isFinalStatus } from '../model/enums.js';
import { kept } from '../util/retention.js';
import { Window } from '../util/window.js';
import type { AssetEvent, DepthEvent, InstrumentEvent, OrderEvent, PositionEvent, QuoteEvent } from '../model/events.js';
import type { Balance, BookView, InstrumentView, PositionView } from './api.js';

export class MarketView {
  readonly quotes = new Map<string, QuoteEvent>();
  readonly depths = new Map<string, DepthEvent>();
  readonly instruments = new Map<string, InstrumentView>();

  onInstrument(i: InstrumentEvent): void {
    this.instruments.set(i.symbol, {
      symbol: i.symbol,
      exchange: i.exchange,
      baseAsset: i.base_asset,
      quoteAsset: i.quote_asset,
      tickSize: i.tick_size,
      stepSize: i.step_size,
      minPrice: i.min_price,
      maxPrice: i.max_price,
      minQty: i.min_qty,
      maxQty: i.max_qty,
      minNotional: i.min_notional,
      pricePrecision: stepPrecision(i.tick_size),
      volumePrecision: stepPrecision(i.step_size),
    });
  }
}

const key = (source: string, account: string) => `${source}/${account}`;

/**
 * Final orders a strategy remembers, so that a late report cannot reopen one (beyond that they are
 * forgotten: a strategy trading all day must not keep every order it ever sent); scaled by
 * KF_RETENTION_SCALE (util/retention.ts).
 */
export const FINAL_ORDERS_KEPT = 2_000;

export class AccountsView {
  private readonly books = new Map<string, BookView>();
  /** Every open order of this strategy and its last `finalsKept` final ones: the latest report, by id. */
  readonly orders = new Map<bigint, OrderEvent>();
  /** The ids of the final orders kept, oldest first. */
  private readonly finals: Window<bigint>;

  constructor(finalsKept = kept(FINAL_ORDERS_KEPT)) {
    this.finals = new Window<bigint>(finalsKept);
  }

  book(source: string, account: string): BookView {
    let b = this.books.get(key(source, account));
    if (!b) this.books.set(key(source, account), (b = { source, account, balances: new Map<string, Balance>(), positions: new Map<string, PositionView>(), openOrders: new Map<bigint, OrderEvent>(), realizedPnl: ZERO, unrealizedPnl: ZERO }));
    return b;
  }

  has(source: string, account: string): boolean {
    return this.books.has(key(source, account));
  }

  onAsset(a: AssetEvent): BookView {
    const b = this.book(a.source, a.account);
    b.balances.set(a.asset, { asset: a.asset, free: a.free, locked: a.locked });
    return b;
  }

  onPosition(p: PositionEvent): BookView {
    const b = this.book(p.source, p.account);
    b.positions.set(p.symbol, { symbol: p.symbol, volume: p.volume, cost: p.cost, realizedPnl: p.realized_pnl, unrealizedPnl: p.unrealized_pnl, markPrice: p.mark_price });
    let realized = ZERO;
    let unrealized = ZERO;
    for (const x of b.positions.values()) {
      realized += x.realizedPnl;
      unrealized += x.unrealizedPnl;
    }
    b.realizedPnl = realized;
    b.unrealizedPnl = unrealized;
    return b;
  }

  /** An own order's report; returns whether it is news (a report never moves an order back). */
  onOrder(o: OrderEvent): boolean {
    const known = this.orders.get(o.order_id);
    if (known && isFinalStatus(known.status) && !isFinalStatus(o.status)) return false;
    this.orders.set(o.order_id, o);
    const b = this.book(o.source, o.account);
    if (!isFinalStatus(o.status)) {
      b.openOrders.set(o.order_id, o);
      return true;
    }
    b.openOrders.delete(o.order_id);
    // Newly final: into the window, and the oldest final order out (a final order stays final).
    if (!known || !isFinalStatus(known.status)) {
      const forgotten = this.finals.push(o.order_id);
      if (forgotten !== undefined) this.orders.delete(forgotten);
    }
    return true;
  }

  openOrders(): OrderEvent[] {
    const out: OrderEvent[] = [];
    for (const b of this.books.values()) for (const o of b.openOrders.values()) out.push(o);
    return out;
  }
}

export function balanceOf(book: BookView, asset: string): Decimal {
  return book.balances.get(asset)?.free ?? ZERO;
}
