/**
 * Order entry of the Binance TD: OrderInput and OrderAction from the ledger's journal, each tracked
 * (Pending) before its request leaves, sent once over the order channel, and its outcome applied:
 * an answer to the tracker, a refusal as Error (or OrderActionError), an unknown outcome as Unknown
 * settled by the user stream or a query (never by sending again); a report ahead of its fills
 * queried after a grace period. The connection lifecycle is td.ts's.
 */
import { nowNs } from '../../../journal/clock.js';
import type { JournalWriter } from '../../../journal/writer.js';
import { BrokerState, brokerStateName, isFinalStatus, OrderActionFlag, OrderStatus, orderStatusName } from '../../../model/enums.js';
import { MsgType, OrderActionError, type OrderActionEvent, type OrderInputEvent } from '../../../model/events.js';
import type { Logger } from '../../../util/log.js';
import { BinanceApiError, RateLimited, UnknownOutcome, Unreachable } from '../common/errors.js';
import type { BinanceRest } from '../common/rest.js';
import type { OrderChannel } from './channels.js';
import { orderParams, parseFullFills, parseOrder } from './mapping.js';
import { settleByQuery, type ReconcileDeps } from './reconcile.js';
import type { TdTimings } from './timings.js';
import type { OrderTracker, TrackedOrder } from './tracker.js';


/** The longest a cancel waits at a time for a rate-limit pause (a longer one is waited out a minute at a time). */
const MAX_CANCEL_WAIT_MS = 60_000;
export interface OrderEntryDeps {
  what: string;
  account: string;
  log: Logger;
  journal: JournalWriter;
  tracker: OrderTracker;
  rest: BinanceRest;
  channel: OrderChannel;
  deps: ReconcileDeps;
  timings: TdTimings;
  state(): { state: number; message: string };
  sessionOpen(): boolean;
  stopping(): boolean;
  /** A 418: the lifecycle stops trading until the ban ends. */
  banned(): void;
}

export class OrderEntry {
  /** Requests sent and not answered yet (stop waits for them). */
  inflight = 0;
  /** Cancels waiting for a 429 pause to end: order -> the cancel's action id. */
  private readonly deferred = new Map<TrackedOrder, bigint>();
  private readonly settling = new Set<TrackedOrder>();

  constructor(private readonly d: OrderEntryDeps) {}

  /**
   * An order from the ledger: tracked as Pending, then sent. The Pending frame wakes its readers
   * (the ledger, the strategy) only once the request is written (over the WS API; the REST
   * fallback writes it a moment later, on the event loop): woken first, they would take the cores
   * the send needs.
   */
  onOrderInput(input: OrderInputEvent, trigger: bigint): void {
    this.d.journal.deferWakes(() => this.place(input, trigger));
  }

  private place(input: OrderInputEvent, trigger: bigint): void {
    if (input.order_id === 0n || this.d.tracker.get(input.order_id)) {
      this.d.log.warn(`td ${this.d.what}: OrderInput ${input.order_id} ignored: ${input.order_id === 0n ? 'order id 0' : 'this order id was seen before'}`);
      return;
    }
    const t = this.d.tracker.submit(input, trigger);
    const refuse = (code: number, msg: string) => {
      this.d.tracker.setLocalStatus(t, OrderStatus.Error, code, msg.slice(0, 127), trigger);
      this.d.log.warn(`td ${this.d.what}: order ${input.order_id}: ${msg}`);
    };
    if (input.account !== '' && input.account !== this.d.account) return refuse(0, `not sent: the order is for account ${input.account}, this gateway trades ${this.d.account}`);
    if (this.d.state().state !== BrokerState.Ready) return refuse(0, `not sent: ${this.d.what} is not ready (${brokerStateName(this.d.state().state)}${this.d.state().message ? `: ${this.d.state().message}` : ''})`);
    const refusal = this.d.rest.orderRefusal();
    if (refusal) return refuse(refusal.code, `not sent: ${refusal.message}`);
    let params: Record<string, string>;
    try {
      params = orderParams(input, t.clientOrderId);
    } catch (err) {
      return refuse(-1102, `not sent: ${(err as Error).message}`);
    }
    this.inflight++;
    this.d.channel.place(params).then(
      (answer) => this.onPlaced(t, answer),
      (err: Error) => this.onPlaceFailed(t, err),
    ).finally(() => this.inflight--);
  }

  private onPlaced(t: TrackedOrder, answer: unknown): void {
    const trigger = nowNs();
    try {
      const s = parseOrder(answer);
      const a = answer as { fills?: unknown; transactTime?: unknown };
      for (const fill of parseFullFills(a.fills, typeof a.transactTime === 'number' ? a.transactTime : Date.now())) this.d.tracker.applyFill(t, fill, trigger);
      this.d.tracker.applyState(t, s, trigger);
      this.d.tracker.catchUp(t, trigger);
    } catch (err) {
      this.d.log.warn(`td ${this.d.what}: order ${t.orderId}: answer not understood (${(err as Error).message}); settling it by query`);
      this.onPlaceFailed(t, new UnknownOutcome(`answer not understood: ${(err as Error).message}`));
      return;
    }
    if (t.cancelWanted !== undefined && !isFinalStatus(t.order.status)) this.sendCancel(t, t.cancelWanted, trigger);
  }

  private onPlaceFailed(t: TrackedOrder, err: Error): void {
    const trigger = nowNs();
    if (err instanceof UnknownOutcome) {
      if (this.d.tracker.setLocalStatus(t, OrderStatus.Unknown, err.code, err.message.slice(0, 127), trigger)) {
        this.d.log.warn(`td ${this.d.what}: order ${t.orderId}: ${err.message}; settling it by the user stream or a query, never by sending it again`);
        this.settleUnknown(t, 1);
      } else this.d.log.info(`td ${this.d.what}: order ${t.orderId}: ${err.message}; the user stream settled it already (${orderStatusName(t.order.status)})`);
      return;
    }
    const code = err instanceof BinanceApiError || err instanceof RateLimited ? err.code : 0;
    const msg = err instanceof Unreachable || err instanceof RateLimited ? `not sent: ${err.message}` : err.message;
    if (this.d.tracker.setLocalStatus(t, OrderStatus.Error, code, msg.slice(0, 127), trigger)) this.d.log.info(`td ${this.d.what}: order ${t.orderId}: Error ${code} ${msg}`);
    if (err instanceof RateLimited && err.status === 418) this.d.banned();
  }

  /** Queries an order whose request had an unknown outcome, until the exchange knows it or `unknownChecks` queries did not find it. */
  private settleUnknown(t: TrackedOrder, attempt: number): void {
    setTimeout(() => {
      if (this.d.stopping() || isFinalStatus(t.order.status) || (t.order.status !== OrderStatus.Unknown && t.order.status !== OrderStatus.Pending)) return;
      const last = attempt >= this.d.timings.unknownChecks;
      settleByQuery(this.d.deps, t, 'after an unknown outcome', last ? 'not placed: the exchange has no such order after an unknown outcome' : undefined).then(
        (found) => {
          if (!found && !last) this.settleUnknown(t, attempt + 1);
        },
        (e: Error) => {
          this.d.log.warn(`td ${this.d.what}: order ${t.orderId}: query failed (${e.message}); trying again`);
          this.settleUnknown(t, attempt);
        },
      );
    }, this.d.timings.unknownCheckMs * attempt).unref();
  }

  /** A gap between what the exchange reports and the fills written: query after a grace period. */
  unsettled(t: TrackedOrder, why: string): void {
    if (this.settling.has(t)) return;
    this.settling.add(t);
    setTimeout(() => {
      if (this.d.stopping() || (t.ahead === undefined && t.early.size === 0)) return void this.settling.delete(t);
      this.d.log.info(`td ${this.d.what}: order ${t.orderId}: ${why}; querying it`);
      settleByQuery(this.d.deps, t, 'after a gap in the user stream', undefined)
        .catch((e: Error) => this.d.log.warn(`td ${this.d.what}: order ${t.orderId}: query failed (${e.message})`))
        .finally(() => this.settling.delete(t));
    }, this.d.timings.gapMs).unref();
  }

  onOrderAction(action: OrderActionEvent, trigger: bigint): void {
    const t = this.d.tracker.get(action.order_id);
    const fail = (code: number, msg: string) => this.actionError(action.order_id, action.order_action_id, code, msg, trigger);
    if (action.action_flag !== OrderActionFlag.Cancel) return fail(-1100, `order action ${action.action_flag} is not supported (only Cancel)`);
    if (!t) return fail(-2011, `order ${action.order_id} is unknown to ${this.d.what}: not sent`);
    if (isFinalStatus(t.order.status)) return fail(-2011, `order ${action.order_id} is already ${orderStatusName(t.order.status)}`);
    if (t.order.status === OrderStatus.Pending || t.order.status === OrderStatus.Unknown) {
      t.cancelWanted = action.order_action_id; // sent once the exchange acknowledges the order
      return;
    }
    this.sendCancel(t, action.order_action_id, trigger);
  }

  private actionError(orderId: bigint, actionId: bigint, code: number, msg: string, trigger: bigint): void {
    const e = OrderActionError.empty();
    e.order_id = orderId;
    e.order_action_id = actionId;
    e.error_id = code;
    e.error_msg = msg.slice(0, 127);
    this.d.journal.write(MsgType.OrderActionError, OrderActionError, e, trigger);
    this.d.log.info(`td ${this.d.what}: cancel of order ${orderId}: ${code} ${msg}`);
  }

  sendCancel(t: TrackedOrder, actionId: bigint, trigger: bigint): void {
    t.cancelWanted = undefined;
    if (this.d.state().state !== BrokerState.Ready && !this.d.sessionOpen() && this.d.channel.name === 'ws') {
      return this.actionError(t.orderId, actionId, -1001, `not sent: ${this.d.what} is not ready (${brokerStateName(this.d.state().state)})`, trigger);
    }
    const refusal = this.d.rest.blocked;
    if (refusal?.status === 429) return this.cancelAfterPause(t, actionId, refusal.until, trigger);
    if (refusal) return this.actionError(t.orderId, actionId, -1003, `not sent: rate limited by Binance (${refusal.status}) until ${new Date(refusal.until).toISOString()}`, trigger);
    this.inflight++;
    this.d.channel
      .cancel(t.order.symbol, t.clientOrderId)
      .then(
        (answer) => {
          const now = nowNs();
          this.d.tracker.applyState(t, parseOrder(answer), now);
          this.d.tracker.catchUp(t, now);
        },
        (err: Error) => {
          if (err instanceof UnknownOutcome) {
            this.d.log.warn(`td ${this.d.what}: cancel of order ${t.orderId}: ${err.message}; the user stream or a query will tell`);
            this.unsettledNow(t);
            return;
          }
          if (err instanceof RateLimited && err.status === 429) return this.cancelAfterPause(t, actionId, err.until, nowNs());
          const code = err instanceof BinanceApiError || err instanceof RateLimited ? err.code : 0;
          this.actionError(t.orderId, actionId, code, err instanceof BinanceApiError ? err.message : `not sent: ${err.message}`, nowNs());
          if (err instanceof RateLimited && err.status === 418) this.d.banned();
          if (code === -2011) this.unsettledNow(t); // our view may be stale: ask the exchange
        },
      )
      .finally(() => this.inflight--);
  }

  /**
   * A cancel during a 429 pause waits for the pause to end, then goes: unlike a new order, a cancel
   * reduces risk, and the pause is short (Retry-After). A 418 ban refuses it (the gateway stops trading).
   */
  private cancelAfterPause(t: TrackedOrder, actionId: bigint, until: number, trigger: bigint): void {
    t.cancelWanted = actionId;
    // A pause is seconds (Retry-After); an absurd one from the exchange must not spin or overflow a timer.
    const waitMs = Math.min(Math.max(0, until - Date.now()), MAX_CANCEL_WAIT_MS);
    this.d.log.warn(`td ${this.d.what}: cancel of order ${t.orderId} waits ${Math.ceil(waitMs / 1000)} s for Binance's rate-limit pause to end`);
    // Counted as in flight: a stop waits for it like for a cancel on the wire (then abandonDeferred answers it).
    this.inflight++;
    this.deferred.set(t, actionId);
    setTimeout(() => {
      if (this.deferred.get(t) !== actionId) return; // answered by abandonDeferred, or replaced
      this.deferred.delete(t);
      this.inflight--;
      if (t.cancelWanted !== actionId || isFinalStatus(t.order.status)) return;
      this.sendCancel(t, actionId, trigger);
    }, waitMs + 10).unref();
  }

  /** At stop: every cancel still waiting for a pause is answered (not sent), never dropped in silence. */
  abandonDeferred(): void {
    for (const [t, actionId] of this.deferred) {
      this.inflight--;
      this.actionError(t.orderId, actionId, -1003, 'not sent: the gateway stopped during a Binance rate-limit pause', nowNs());
    }
    this.deferred.clear();
  }

  private unsettledNow(t: TrackedOrder): void {
    settleByQuery(this.d.deps, t, 'after a cancel', undefined).catch((e: Error) => this.d.log.warn(`td ${this.d.what}: order ${t.orderId}: query failed (${e.message})`));
  }
}
