/**
 * The TD's order tracker: what the journal says of every order this gateway handles, and the one
 * place that writes Order and Trade frames, under three rules:
 *
 * - Fills are written once each (deduplicated by (symbol, trade id): an order's fills are in its
 *   own set, and an order's fills belong to one symbol) and in order of cumulative quantity: a
 *   fill that arrives before an earlier one of the same order waits for it.
 * - An Order frame never runs ahead of the Trade frames: its volume_traded / amount_traded are the
 *   sums of the fills written. A report that says more has executed than the fills written so far
 *   waits for them (and asks for settling: the gateway queries the order and its trades).
 * - Statuses only move forward (Pending/Unknown -> Submitted -> PartialFilledActive -> final); a
 *   final order never changes again. A late or repeated report changes nothing.
 */
import { nowNs } from '../../../journal/clock.js';
import { formatDecimal, mul, ZERO, type Decimal } from '../../../model/decimal.js';
import { isFinalStatus, OrderStatus, PriceType, Side, TimeCondition } from '../../../model/enums.js';
import { Order, Trade, type OrderEvent, type OrderInputEvent, type TradeEvent } from '../../../model/events.js';
import { clientOrderIdOf, orderIdOf } from '../common/ids.js';
import { statusOf, type Fill, type OrderState } from './mapping.js';
import { kept } from '../../../util/retention.js';

export interface TrackedOrder {
  /** clientOrderId for orders with one of our ids; "#SYMBOL:exOrderId" for others. */
  readonly key: string;
  readonly orderId: bigint;
  readonly clientOrderId: string;
  /** The Order frame as last written (mutated, then written again). */
  readonly order: OrderEvent;
  /** Sums of the Trade frames written for this order. */
  filled: Decimal;
  quote: Decimal;
  readonly tradeIds: Set<number>;
  lastTradeId: number;
  /** Fills that came before an earlier one, by the executed quantity before them. */
  readonly early: Map<Decimal, Fill>;
  /** The latest report that says more executed than the fills written. */
  ahead: OrderState | undefined;
  /** A cancel the strategy asked for and that is not sent yet (the order was Pending), by action id. */
  cancelWanted: bigint | undefined;
  written: { status: number; filled: Decimal } | undefined;
}

export interface TrackerSink {
  order(order: OrderEvent, trigger: bigint): void;
  trade(trade: TradeEvent, trigger: bigint): void;
  /** The order's fills are behind what the exchange reports: query it (after a grace period). */
  unsettled(t: TrackedOrder, why: string): void;
}

const RANK: Record<number, number> = {
  [OrderStatus.Pending]: 0,
  [OrderStatus.Unknown]: 0,
  [OrderStatus.Submitted]: 1,
  [OrderStatus.PartialFilledActive]: 2,
};
const rank = (status: number) => RANK[status] ?? 3;

/** Finished orders kept for late duplicate reports (beyond that, their trade ids are forgotten); scaled by KF_RETENTION_SCALE. */
const FINISHED_KEPT = 2_000;

const SIDE: Record<string, number> = { BUY: Side.Buy, SELL: Side.Sell };
const TYPE: Record<string, number> = { LIMIT: PriceType.Limit, MARKET: PriceType.Market, LIMIT_MAKER: PriceType.LimitMaker };
const TIF: Record<string, number> = { GTC: TimeCondition.GTC, IOC: TimeCondition.IOC, FOK: TimeCondition.FOK };

export class OrderTracker {
  private readonly byKey = new Map<string, TrackedOrder>();
  private readonly byOrderId = new Map<bigint, TrackedOrder>();
  private readonly finished: string[] = [];

  constructor(
    private readonly source: string,
    private readonly account: string,
    private readonly sink: TrackerSink,
    private readonly finishedKept = kept(FINISHED_KEPT),
  ) {}

  get(orderId: bigint): TrackedOrder | undefined {
    return this.byOrderId.get(orderId);
  }

  /** The orders that are not final (Pending, Unknown, Submitted, PartialFilledActive). */
  live(): TrackedOrder[] {
    return [...this.byKey.values()].filter((t) => !isFinalStatus(t.order.status));
  }

  all(): IterableIterator<TrackedOrder> {
    return this.byKey.values();
  }

  private add(key: string, orderId: bigint, clientOrderId: string, order: OrderEvent): TrackedOrder {
    const t: TrackedOrder = { key, orderId, clientOrderId, order, filled: ZERO, quote: ZERO, tradeIds: new Set(), lastTradeId: -1, early: new Map(), ahead: undefined, cancelWanted: undefined, written: undefined };
    this.byKey.set(key, t);
    if (orderId !== 0n) this.byOrderId.set(orderId, t);
    return t;
  }

  /** An order from its OrderInput, not yet written (submit or restore writes it). */
  fromInput(input: OrderInputEvent): TrackedOrder {
    const o = Order.empty();
    o.order_id = input.order_id;
    o.insert_time = input.insert_time;
    o.symbol = input.symbol;
    o.exchange = input.exchange;
    o.source = this.source;
    o.account = this.account;
    o.price = input.price;
    o.volume = input.volume;
    o.quote_volume = input.quote_volume;
    o.volume_left = input.volume;
    o.price_type = input.price_type;
    o.side = input.side;
    o.offset = input.offset;
    o.time_condition = input.time_condition;
    o.status = OrderStatus.Pending;
    return this.add(clientOrderIdOf(input.order_id), input.order_id, clientOrderIdOf(input.order_id), o);
  }

  /** Tracks an order before its request leaves: writes it Pending. */
  submit(input: OrderInputEvent, trigger: bigint): TrackedOrder {
    const t = this.fromInput(input);
    this.write(t, trigger);
    return t;
  }

  /** An order as the journal last showed it (replay after a restart). */
  restore(order: OrderEvent): TrackedOrder {
    const key = order.order_id !== 0n ? clientOrderIdOf(order.order_id) : `#${order.symbol}:${order.ex_order_id}`;
    const t = this.byKey.get(key) ?? this.add(key, order.order_id, order.order_id !== 0n ? key : '', order);
    Object.assign(t.order, order);
    t.written = { status: order.status, filled: order.volume_traded };
    this.retire(t);
    return t;
  }

  /** A Trade frame found in the journal (replay): counted, so it is never written again. */
  restoreTrade(t: TrackedOrder, trade: TradeEvent): void {
    const id = Number(trade.ex_trade_id);
    if (!Number.isSafeInteger(id) || t.tradeIds.has(id)) return;
    t.tradeIds.add(id);
    t.lastTradeId = Math.max(t.lastTradeId, id);
    t.filled += trade.volume;
    t.quote += tradeQuote(trade);
  }

  /** The order a report or answer is about; adopted from the exchange's facts when unknown (foreign, or journal cleared). */
  find(s: Pick<OrderState, 'clientOrderId' | 'symbol' | 'exOrderId'>): TrackedOrder | undefined {
    const ours = orderIdOf(s.clientOrderId);
    return ours !== undefined ? this.byKey.get(s.clientOrderId) : this.byKey.get(`#${s.symbol}:${s.exOrderId}`);
  }

  adopt(s: OrderState): TrackedOrder {
    const existing = this.find(s);
    if (existing) return existing;
    const ours = orderIdOf(s.clientOrderId);
    const o = Order.empty();
    o.order_id = ours ?? 0n;
    o.insert_time = nowNs();
    o.symbol = s.symbol;
    o.source = this.source;
    o.account = this.account;
    o.ex_order_id = String(s.exOrderId);
    o.price = s.price;
    o.volume = s.origQty;
    o.volume_left = s.origQty;
    o.side = SIDE[s.side] ?? Side.Buy;
    o.price_type = TYPE[s.type] ?? PriceType.Limit;
    o.time_condition = TIF[s.timeInForce] ?? TimeCondition.GTC;
    o.status = OrderStatus.Unknown;
    return this.add(ours !== undefined ? s.clientOrderId : `#${s.symbol}:${s.exOrderId}`, ours ?? 0n, s.clientOrderId, o);
  }

  /** A fill, once, in order; returns whether it was written now. */
  applyFill(t: TrackedOrder, fill: Fill, trigger: bigint): boolean {
    if (t.tradeIds.has(fill.tradeId)) return false;
    if (fill.cumBefore !== undefined && fill.cumBefore !== t.filled) {
      if (fill.cumBefore > t.filled) {
        t.early.set(fill.cumBefore, fill);
        this.sink.unsettled(t, `fill ${fill.tradeId} came before an earlier fill`);
      }
      // Less: this fill's predecessors were counted under other trade ids; nothing is known to be missing.
      if (fill.cumBefore > t.filled) return false;
    }
    this.writeFill(t, fill, trigger);
    for (let next = t.early.get(t.filled); next !== undefined; next = t.early.get(t.filled)) {
      t.early.delete(t.filled);
      if (t.tradeIds.has(next.tradeId)) continue;
      this.progress(t, trigger); // an Order frame per fill, as the reports would have given
      this.writeFill(t, next, trigger);
    }
    return true;
  }

  private writeFill(t: TrackedOrder, fill: Fill, trigger: bigint): void {
    t.tradeIds.add(fill.tradeId);
    t.lastTradeId = Math.max(t.lastTradeId, fill.tradeId);
    t.filled += fill.qty;
    t.quote += fill.quote;
    const tr = Trade.empty();
    tr.trade_id = BigInt(fill.tradeId);
    tr.order_id = t.orderId;
    tr.trade_time = BigInt(fill.time) * 1_000_000n;
    tr.ex_order_id = t.order.ex_order_id;
    tr.ex_trade_id = String(fill.tradeId);
    tr.symbol = t.order.symbol;
    tr.exchange = t.order.exchange;
    tr.source = this.source;
    tr.account = this.account;
    tr.price = fill.price;
    tr.volume = fill.qty;
    tr.amount = fill.quote; // the exchange's figure: the ledger's positions settle on it
    tr.commission = fill.commission;
    tr.commission_asset = fill.commissionAsset;
    tr.side = t.order.side;
    tr.offset = t.order.offset;
    tr.is_maker = fill.maker;
    this.sink.trade(tr, trigger);
  }

  /**
   * The exchange's view of an order (a report, an answer, a query): applied when the fills written
   * account for what it says executed; held until they do otherwise.
   */
  applyState(t: TrackedOrder, s: OrderState, trigger: bigint): void {
    if (t.order.ex_order_id === '' && s.exOrderId > 0) t.order.ex_order_id = String(s.exOrderId);
    if (isFinalStatus(t.order.status)) return;
    if (s.executedQty > t.filled) {
      const a = t.ahead;
      if (a === undefined || s.executedQty > a.executedQty || (s.executedQty === a.executedQty && rank(statusOf(s).status) > rank(statusOf(a).status))) t.ahead = s;
      this.sink.unsettled(t, `the exchange reports ${formatDecimal(s.executedQty)} executed, the fills written add up to ${formatDecimal(t.filled)}`);
      return;
    }
    let state = s;
    // A held report that the fills now account for may be later than this one (a cancel that
    // overtook the fill before it): the further status wins.
    const a = t.ahead;
    if (a !== undefined && a.executedQty <= t.filled) {
      t.ahead = undefined;
      if (a.executedQty === t.filled && (s.executedQty < t.filled || rank(statusOf(a).status) > rank(statusOf(s).status))) state = a;
    }
    if (state.executedQty < t.filled) return; // an older report
    const { status, message } = statusOf(state);
    if (rank(status) < rank(t.order.status)) return;
    t.order.status = status;
    if (message !== '') t.order.error_msg = message;
    this.write(t, trigger);
  }

  /** An Order frame for fills written with no report of them applied yet (PartialFilledActive). */
  private progress(t: TrackedOrder, trigger: bigint): void {
    if (isFinalStatus(t.order.status) || t.filled === ZERO) return;
    if (rank(t.order.status) < rank(OrderStatus.PartialFilledActive) && (t.order.volume === ZERO || t.filled < t.order.volume)) t.order.status = OrderStatus.PartialFilledActive;
    this.write(t, trigger);
  }

  /** After fills were written: a held report that they now account for is applied. */
  catchUp(t: TrackedOrder, trigger: bigint): void {
    const ahead = t.ahead;
    if (ahead !== undefined && ahead.executedQty <= t.filled) {
      t.ahead = undefined;
      this.applyState(t, ahead, trigger);
    } else if (t.written?.filled !== t.filled) this.progress(t, trigger); // fills with no report yet: the Order frame follows the Trades
  }

  /** Our own verdict on an order that has no exchange answer (Unknown, Error): only from Pending or Unknown. */
  setLocalStatus(t: TrackedOrder, status: typeof OrderStatus.Unknown | typeof OrderStatus.Error, errorId: number, message: string, trigger: bigint): boolean {
    if (t.order.status !== OrderStatus.Pending && t.order.status !== OrderStatus.Unknown) return false;
    t.order.status = status;
    t.order.error_id = errorId;
    t.order.error_msg = message;
    this.write(t, trigger);
    return true;
  }

  /** Writes the Order frame again as it is (after a reconnect: what is live now). */
  rewrite(t: TrackedOrder, trigger: bigint): void {
    t.written = undefined;
    this.write(t, trigger);
  }

  /** Writes the Order frame if something changed since the last one. */
  private write(t: TrackedOrder, trigger: bigint): void {
    const o = t.order;
    if (t.written && t.written.status === o.status && t.written.filled === t.filled) return;
    o.volume_traded = t.filled;
    o.amount_traded = t.quote;
    o.volume_left = o.volume > t.filled ? o.volume - t.filled : ZERO;
    o.update_time = nowNs();
    t.written = { status: o.status, filled: t.filled };
    this.sink.order(o, trigger);
    this.retire(t);
  }

  /** Keeps the last `finishedKept` finished orders (late duplicates find their trade ids). */
  private retire(t: TrackedOrder): void {
    if (!isFinalStatus(t.order.status)) return;
    this.finished.push(t.key);
    while (this.finished.length > this.finishedKept) {
      const key = this.finished.shift()!;
      const old = this.byKey.get(key);
      if (old && isFinalStatus(old.order.status)) {
        this.byKey.delete(key);
        if (old.orderId !== 0n && this.byOrderId.get(old.orderId) === old) this.byOrderId.delete(old.orderId);
      }
    }
  }
}

/** A trade's quote amount as Binance settles it (price x qty, rounded down). */
export function tradeQuote(trade: TradeEvent): Decimal {
  return mul(trade.price, trade.volume, 'down');
}
