/**
 * The ledger's logic over journal frames: orders routed after pre-trade risk, cancels, the kill
 * switch, over the books it keeps from what the gateways report (gateway-reports.ts, the class this
 * one extends). The process (ledger-process.ts) feeds it frames; this file decides. Replay and live
 * run the same code; only live frames cause writes.
 *
 * Replay (at start, everything up to now, in time order): the ledger's own frames say what it
 * decided before; a strategy's order with no decision of the ledger after it was never answered
 * (the ledger died first) and is refused now ("send it again"), never routed late; a cancel or a
 * halt command with no answer is carried out now (late is still what was asked).
 */
import { plural } from '../util/plural.js';
import { ownerOf } from '../gateway/binance/common/ids.js';
import type { Frame } from '../journal/reader.js';
import { LedgerCommandKind, OrderStatus, Scope, TradingState, isFinalStatus } from '../model/enums.js';
import {
  AddAccount,
  LedgerCommand,
  MsgType,
  Order,
  OrderAction,
  OrderActionError,
  OrderInput,
  TradingStateUpdate,
  type LedgerCommandEvent,
  type OrderActionEvent,
  type OrderEvent,
  type OrderInputEvent,
} from '../model/events.js';
import { GatewayReports } from './gateway-reports.js';
import { accountIdOf, orderView, type OrderView } from './order-view.js';
import { Halts, describeScope } from './halts.js';
import { Denial, checkOrder, type Denied } from './risk.js';

const seqOf = (orderId: bigint) => orderId & 0xffffffffn;
const RECENT_REFUSALS = 100;

type Refused = Pick<OrderEvent, 'order_id' | 'symbol' | 'exchange' | 'source' | 'account' | 'side' | 'price_type' | 'price' | 'volume' | 'quote_volume' | 'insert_time' | 'update_time' | 'error_msg'>;

export class Ledger extends GatewayReports {
  readonly halts = new Halts();
  /** The last order seq decided per strategy: a repeated or older id is a duplicate. */
  private readonly lastSeq = new Map<number, bigint>();
  private readonly pendingInputs = new Map<bigint, { input: OrderInputEvent; gen: bigint; name: string }>();
  private readonly pendingActions = new Map<bigint, { action: OrderActionEvent; uid: number; gen: bigint }>();
  private readonly pendingCommands = new Map<bigint, LedgerCommandEvent>();
  private nextActionSeq = 1n;
  /** The last orders the ledger refused, newest last (for the API: why an order did not go out). */
  readonly recentRefusals: OrderView[] = [];

  /** Every frame the ledger reads, in time order. */
  onFrame(f: Frame): void {
    const loc = f.location;
    if (loc.uid === this.opts.ledgerUid) {
      if (this.replaying) this.ownFrame(f);
      return;
    }
    switch (loc.category) {
      case 'td':
        return this.gatewayFrame(f);
      case 'md':
        return this.marketFrame(f);
      case 'strategy':
        if (f.dest === this.opts.ledgerUid) this.strategyFrame(f);
        return;
      case 'system':
        if (loc.name === 'master' && f.dest === this.opts.ledgerUid && f.msgType === MsgType.LedgerCommand) this.command(f.decode(LedgerCommand), f.genTime);
        return;
    }
  }

  /** Replay is over: answer what was left unanswered, and go live. */
  endReplay(): void {
    this.replaying = false;
    const now = this.opts.now();
    for (const { input, gen } of this.pendingInputs.values()) {
      const message = 'the ledger restarted before deciding on this order: it was not sent; send it again';
      this.opts.outbox.reject(input, { code: Denial.LedgerRestarted, message }, gen, now);
      this.recordRefusal({ ...input, update_time: now, error_msg: message });
      this.decided(input.order_id);
    }
    this.pendingInputs.clear();
    for (const { action, uid, gen } of this.pendingActions.values()) this.cancel(action, uid, gen);
    this.pendingActions.clear();
    for (const [gen, command] of this.pendingCommands) this.command(command, gen);
    this.pendingCommands.clear();
    this.opts.onChange?.();
  }

  private recordRefusal(o: Refused): void {
    this.recentRefusals.push(orderView(o, { key: o.order_id, strategyUid: ownerOf(o.order_id), status: OrderStatus.Error, errorMsg: o.error_msg, insertTime: o.insert_time, updateTime: o.update_time }));
    if (this.recentRefusals.length > RECENT_REFUSALS * 2) this.recentRefusals.splice(0, this.recentRefusals.length - RECENT_REFUSALS);
  }

  private decided(orderId: bigint): void {
    const uid = ownerOf(orderId);
    const seq = seqOf(orderId);
    if (seq > (this.lastSeq.get(uid) ?? 0n)) this.lastSeq.set(uid, seq);
  }

  // ---- the ledger's own frames (replay only) ----------------------------------------------------

  private ownFrame(f: Frame): void {
    switch (f.msgType) {
      case MsgType.OrderInput: {
        const input = f.decode(OrderInput);
        this.books.onRouted(input, ownerOf(input.order_id), f.genTime);
        this.pendingInputs.delete(input.order_id);
        this.decided(input.order_id);
        return;
      }
      case MsgType.Order: {
        const o = f.decode(Order);
        if (o.status === OrderStatus.Error) {
          this.pendingInputs.delete(o.order_id);
          this.decided(o.order_id);
          this.recordRefusal(o);
        }
        return;
      }
      case MsgType.OrderAction: {
        const a = f.decode(OrderAction);
        this.pendingActions.delete(a.order_action_id);
        if (ownerOf(a.order_action_id) === this.opts.ledgerUid) this.nextActionSeq = seqOf(a.order_action_id) + 1n;
        return;
      }
      case MsgType.OrderActionError:
        this.pendingActions.delete(f.decode(OrderActionError).order_action_id);
        return;
      case MsgType.TradingState: {
        const t = f.decode(TradingStateUpdate);
        this.halts.apply(t);
        this.pendingCommands.delete(f.triggerTime);
        return;
      }
    }
  }

  // ---- strategies -------------------------------------------------------------------------------

  private strategyFrame(f: Frame): void {
    const uid = f.location.uid;
    const strategy = this.books.strategy(uid, f.location.name);
    switch (f.msgType) {
      case MsgType.AddAccount: {
        const a = f.decode(AddAccount);
        strategy.accounts.add(accountIdOf(a.source, a.account));
        return;
      }
      case MsgType.OrderInput: {
        const input = f.decode(OrderInput);
        if (this.replaying) this.pendingInputs.set(input.order_id, { input, gen: f.genTime, name: f.location.name });
        else this.decide(input, uid, f.genTime);
        return;
      }
      case MsgType.OrderAction: {
        const action = f.decode(OrderAction);
        if (this.replaying) this.pendingActions.set(action.order_action_id, { action, uid, gen: f.genTime });
        else this.cancel(action, uid, f.genTime);
        return;
      }
    }
  }

  /** A new order from a strategy: route it, or refuse it with the reason. */
  decide(input: OrderInputEvent, strategyUid: number, trigger: bigint): Denied | undefined {
    const now = this.opts.now();
    let denied: Denied | undefined;
    if (ownerOf(input.order_id) !== strategyUid) denied = { code: Denial.NotYourOrder, message: `order id ${input.order_id} is not one of this strategy's (its high 32 bits must be the strategy's location uid)` };
    else if (seqOf(input.order_id) <= (this.lastSeq.get(strategyUid) ?? 0n)) denied = { code: Denial.DuplicateOrderId, message: `order id ${input.order_id} was used before: order ids must increase` };
    else denied = checkOrder({ books: this.books, halts: this.halts, limits: this.opts.limits }, input, this.books.strategy(strategyUid), now);
    this.decided(input.order_id);
    if (denied) {
      this.opts.outbox.reject(input, denied, trigger, now);
      this.recordRefusal({ ...input, update_time: now, error_msg: denied.message });
      this.opts.onChange?.();
      return denied;
    }
    this.books.onRouted(input, strategyUid, now);
    this.opts.outbox.route(input, trigger);
    this.opts.onChange?.();
    return undefined;
  }

  /** A cancel from a strategy: allowed even when halted, for its own open orders only. */
  private cancel(action: OrderActionEvent, strategyUid: number, trigger: bigint): void {
    const order = this.books.orders.get(action.order_id);
    let denied: Denied | undefined;
    if (!order) denied = { code: Denial.UnknownOrder, message: `unknown order ${action.order_id}: the ledger never routed it` };
    else if (order.strategyUid !== strategyUid) denied = { code: Denial.NotYourOrder, message: `order ${action.order_id} belongs to another strategy` };
    else if (isFinalStatus(order.status)) denied = { code: Denial.UnknownOrder, message: `order ${action.order_id} is already final` };
    if (denied) return this.opts.outbox.actionError(action, denied, trigger);
    this.opts.outbox.routeAction(action, order!.source, order!.account, trigger);
  }

  // ---- the kill switch --------------------------------------------------------------------------

  private command(c: LedgerCommandEvent, gen: bigint): void {
    if (this.replaying) {
      this.pendingCommands.set(gen, c);
      return;
    }
    const kind = c.scope_kind;
    if (kind !== Scope.All && kind !== Scope.Account && kind !== Scope.Strategy) return;
    const halt = c.command === LedgerCommandKind.Halt;
    const state = halt ? TradingState.Halted : TradingState.Active;
    const now = this.opts.now();
    this.halts.apply({ scope_kind: kind, scope: c.scope, state, reason: c.reason, cancel_open: c.cancel_open });
    this.opts.outbox.tradingState(kind, c.scope, state, c.cancel_open, c.reason, gen, now);
    if (halt && c.cancel_open) {
      const targets = this.openOrdersIn(kind, c.scope);
      for (const o of targets) {
        const action = OrderAction.empty();
        action.order_action_id = (BigInt(this.opts.ledgerUid) << 32n) | this.nextActionSeq++;
        action.order_id = o.orderId;
        action.insert_time = now;
        this.opts.outbox.routeAction(action, o.source, o.account, gen);
      }
      this.opts.log.warn(`ledger: halt of ${describeScope(kind, c.scope)} cancels ${plural(targets.length, 'open order')}`);
    }
    this.opts.onChange?.();
  }

  private openOrdersIn(kind: number, scope: string): OrderView[] {
    const out: OrderView[] = [];
    for (const o of this.books.orders.values()) {
      if (isFinalStatus(o.status) || o.strategyUid === 0) continue;
      if (kind === Scope.Account && o.accountId !== scope) continue;
      if (kind === Scope.Strategy && this.books.strategies.get(o.strategyUid)?.name !== scope) continue;
      out.push(o);
    }
    return out;
  }
}
