/**
 * User data stream events on the wire (user-data-stream.md): executionReport, with a cancel's own
 * client id in `c` and the order's in `C`, STP's conditional fields (v, A, B, U, Cs, pl, pL, pY) on
 * TRADE_PREVENTION, and the expiry reason `eR`; listStatus for order lists; and outboundAccountPosition.
 */
import type { EngineEvent } from '../engine/types.js';
import { amount } from './wire.js';

type Execution = Extract<EngineEvent, { kind: 'execution' }>;
type Balances = Extract<EngineEvent, { kind: 'balances' }>;
type ListStatus = Extract<EngineEvent, { kind: 'listStatus' }>;

export function executionReport(ev: Execution): Record<string, unknown> {
  const o = ev.order;
  const f = ev.fill;
  const p = ev.prevention;
  return {
    e: 'executionReport',
    E: ev.time,
    s: o.symbol,
    c: ev.cancelClientOrderId ?? o.clientOrderId,
    S: o.side,
    o: o.type,
    f: o.timeInForce,
    q: amount(o.origQty),
    p: amount(o.price),
    P: amount(o.stopPrice),
    F: amount(0n),
    g: o.orderListId,
    C: ev.execution === 'CANCELED' ? o.clientOrderId : '',
    x: ev.execution,
    X: o.status,
    r: ev.rejectReason ?? 'NONE',
    i: o.orderId,
    l: amount(f?.qty ?? 0n),
    z: amount(o.executedQty),
    L: amount(f?.price ?? 0n),
    n: amount(f?.commission ?? 0n),
    N: f?.commissionAsset ?? null,
    T: ev.time,
    t: f?.tradeId ?? -1,
    ...(p ? { v: o.preventedMatchId, A: amount(o.preventedQty), B: amount(p.lastPreventedQty), U: p.counterOrderId, Cs: o.symbol, pl: amount(p.qty), pL: amount(p.price), pY: amount(p.quoteQty) } : {}),
    w: o.isWorking,
    m: f?.isMaker ?? false,
    M: false,
    O: o.time,
    Z: amount(o.cummulativeQuoteQty),
    Y: amount(f?.quoteQty ?? 0n),
    Q: amount(o.origQuoteOrderQty),
    ...(o.isWorking ? { W: o.workingTime ?? o.time } : {}),
    V: o.selfTradePreventionMode,
    ...(o.expiryReason !== undefined && ev.execution === 'EXPIRED' ? { eR: o.expiryReason } : {}),
  };
}

export function accountPosition(ev: Balances): Record<string, unknown> {
  return { e: 'outboundAccountPosition', E: ev.time, u: ev.time, B: [...ev.balances].map(([a, b]) => ({ a, f: amount(b.free), l: amount(b.locked) })) };
}

/** An order list's listStatus event (after its orders' execution reports). */
export function listStatus(ev: ListStatus): Record<string, unknown> {
  const l = ev.list;
  return {
    e: 'listStatus',
    E: ev.time,
    s: l.symbol,
    g: l.orderListId,
    c: l.contingencyType,
    l: l.listStatusType,
    L: l.listOrderStatus,
    r: 'NONE',
    C: l.listClientOrderId,
    T: l.transactionTime,
    O: l.orders.map((o) => ({ s: o.symbol, i: o.orderId, c: o.clientOrderId })),
  };
}
