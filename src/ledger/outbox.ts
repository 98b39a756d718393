/**
 * What the ledger writes: orders and cancels routed to a TD (its journal's part for that TD),
 * and, in its public journal, rejections, cancel errors, positions, trading states and the
 * gateways' broker states. trigger_time is always the gen_time of the frame that caused it, so the
 * ledger's hop can be read back from the journals.
 */
import { Locations } from '../journal/location.js';
import type { JournalWriter } from '../journal/writer.js';
import { OrderStatus, Scope, TradingState } from '../model/enums.js';
import {
  BrokerStateUpdate,
  MsgType,
  Order,
  OrderAction,
  OrderActionError,
  OrderInput,
  Position,
  TradingStateUpdate,
  type OrderActionEvent,
  type OrderInputEvent,
} from '../model/events.js';
import type { Logger } from '../util/log.js';
import type { PositionState } from './position.js';
import type { Denied } from './risk.js';

export class Outbox {
  private readonly toTd = new Map<number, JournalWriter>();
  private readonly order = Order.empty();
  private readonly position = Position.empty();

  constructor(
    private readonly journal: JournalWriter,
    private readonly openFor: (dest: number) => JournalWriter,
    private readonly log: Logger,
  ) {}

  private tdJournal(source: string, account: string): JournalWriter {
    const uid = Locations.td(source, account).uid;
    let w = this.toTd.get(uid);
    if (!w) this.toTd.set(uid, (w = this.openFor(uid)));
    return w;
  }

  route(input: OrderInputEvent, trigger: bigint): bigint {
    return this.tdJournal(input.source, input.account).write(MsgType.OrderInput, OrderInput, input, trigger);
  }

  routeAction(action: OrderActionEvent, source: string, account: string, trigger: bigint): void {
    this.tdJournal(source, account).write(MsgType.OrderAction, OrderAction, action, trigger);
  }

  /** An order the ledger refused: status Error with the denial's code and sentence. */
  reject(input: OrderInputEvent, denied: Denied, trigger: bigint, now: bigint): void {
    const o = this.order;
    Object.assign(o, Order.empty(), {
      order_id: input.order_id,
      insert_time: input.insert_time,
      update_time: now,
      symbol: input.symbol,
      exchange: input.exchange,
      source: input.source,
      account: input.account,
      price: input.price,
      volume: input.volume,
      quote_volume: input.quote_volume,
      volume_left: input.volume,
      status: OrderStatus.Error,
      price_type: input.price_type,
      side: input.side,
      offset: input.offset,
      time_condition: input.time_condition,
      error_id: denied.code,
      error_msg: denied.message,
    });
    this.journal.write(MsgType.Order, Order, o, trigger);
    this.log.warn(`ledger: order ${input.order_id} ${input.symbol} on ${input.source}/${input.account} refused: ${denied.message}`);
  }

  actionError(action: OrderActionEvent, denied: Denied, trigger: bigint): void {
    const e = OrderActionError.empty();
    e.order_id = action.order_id;
    e.order_action_id = action.order_action_id;
    e.error_id = denied.code;
    e.error_msg = denied.message;
    this.journal.write(MsgType.OrderActionError, OrderActionError, e, trigger);
    this.log.warn(`ledger: cancel of order ${action.order_id} refused: ${denied.message}`);
  }

  publishPosition(strategyUid: number, source: string, account: string, exchange: string, symbol: string, p: PositionState, mark: bigint, trigger: bigint, now: bigint): void {
    Object.assign(this.position, {
      update_time: now,
      strategy_uid: strategyUid,
      symbol,
      exchange,
      source,
      account,
      direction: p.volume < 0n ? 1 : 0,
      volume: p.volume,
      frozen: 0n,
      cost: p.cost,
      realized_pnl: p.realized,
      unrealized_pnl: p.unrealized(mark),
      mark_price: mark,
      fees: p.quoteFees,
      fee_asset: '',
    });
    this.journal.write(MsgType.Position, Position, this.position, trigger);
  }

  tradingState(kind: number, scope: string, state: number, cancelOpen: boolean, reason: string, trigger: bigint, now: bigint): void {
    const t = TradingStateUpdate.empty();
    t.update_time = now;
    t.scope_kind = kind;
    t.scope = kind === Scope.All ? '' : scope;
    t.state = state;
    t.cancel_open = cancelOpen;
    t.reason = reason;
    this.journal.write(MsgType.TradingState, TradingStateUpdate, t, trigger);
    this.log.warn(`ledger: trading ${state === TradingState.Halted ? 'HALTED' : 'resumed'} for ${kind === Scope.All ? 'everything' : scope}${reason ? ` (${reason})` : ''}`);
  }

  brokerState(source: string, account: string, state: number, message: string, trigger: bigint, now: bigint): void {
    const b = BrokerStateUpdate.empty();
    b.update_time = now;
    b.source = source;
    b.account = account;
    b.state = state;
    b.message = message;
    this.journal.write(MsgType.BrokerState, BrokerStateUpdate, b, trigger);
  }

  close(): void {
    for (const w of this.toTd.values()) w.close();
    this.toTd.clear();
  }
}
