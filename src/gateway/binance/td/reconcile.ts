/**
 * Making the journal equal to the exchange (on every start and every user-stream reconnect, and
 * for one order whose fate or fills are in doubt):
 *
 * - every open order on the exchange, and every order the journal says is live, Pending or Unknown,
 *   is queried; fills missed meanwhile come from myTrades (from the order's last known trade id),
 *   in trade-id order, each once; then the order's status;
 * - an order the journal has as Pending or Unknown and the exchange does not know was never placed:
 *   Error;
 * - balances are read again and written as Asset frames.
 * Each correction is logged at info ("order 42: Filled while disconnected; 2 fills recovered").
 */
import { nowNs } from '../../../journal/clock.js';
import { ZERO } from '../../../model/decimal.js';
import { orderStatusName, OrderStatus } from '../../../model/enums.js';
import { Asset, MsgType } from '../../../model/events.js';
import type { JournalWriter } from '../../../journal/writer.js';
import type { Logger } from '../../../util/log.js';
import type { Reads } from './channels.js';
import { parseAccountBalances, parseMyTrade, parseOrder, type Balance, type OrderState } from './mapping.js';
import type { OrderTracker, TrackedOrder } from './tracker.js';

export interface ReconcileDeps {
  reads: Reads;
  tracker: OrderTracker;
  journal: JournalWriter;
  log: Logger;
  source: string;
  account: string;
  /** Assets last written (asset -> free + locked), so a balance that went to zero is written too. */
  assets: Map<string, bigint>;
}

const MAX_TRADE_PAGES = 100;

function describe(t: TrackedOrder): string {
  return t.orderId !== 0n ? `order ${t.orderId}` : `order ${t.order.symbol} #${t.order.ex_order_id} (not placed by kungfu-ts)`;
}

/**
 * Brings one order up to the exchange's state `s`: missing fills first (myTrades), then the status.
 * Returns how many fills were recovered.
 */
export async function settleWith(d: ReconcileDeps, t: TrackedOrder, s: OrderState, why: string): Promise<number> {
  const before = { status: t.order.status, filled: t.filled };
  let recovered = 0;
  if (s.executedQty > t.filled) {
    for (let page = 0; page < MAX_TRADE_PAGES && s.executedQty > t.filled; page++) {
      const fromId = t.lastTradeId >= 0 ? t.lastTradeId + 1 : undefined;
      const rows = await d.reads.get<unknown[]>('/api/v3/myTrades', { symbol: s.symbol, orderId: s.exOrderId, fromId, limit: 1000 });
      if (!Array.isArray(rows) || rows.length === 0) break;
      const fills = rows.map(parseMyTrade).filter((f) => f.exOrderId === s.exOrderId).sort((a, b) => a.tradeId - b.tradeId);
      const trigger = nowNs();
      let applied = 0;
      for (const f of fills) if (d.tracker.applyFill(t, f, trigger)) applied++;
      recovered += applied;
      if (applied === 0 || rows.length < 1000) break;
    }
    if (s.executedQty > t.filled) d.log.warn(`${describe(t)}: the exchange reports ${s.executedQty} executed but its trades found add up to ${t.filled}; the status waits for the rest`);
  }
  const trigger = nowNs();
  d.tracker.applyState(t, s, trigger);
  d.tracker.catchUp(t, trigger);
  if (t.order.status !== before.status || t.filled !== before.filled) {
    d.log.info(`${describe(t)}: ${orderStatusName(t.order.status)} ${why}${recovered > 0 ? `; ${recovered} fill${recovered === 1 ? '' : 's'} recovered` : ''}`);
  }
  return recovered;
}

/**
 * Settles one order by query. `notFound` says what an order the exchange does not know becomes
 * (Pending/Unknown only); returns false when the exchange does not know it.
 */
export async function settleByQuery(d: ReconcileDeps, t: TrackedOrder, why: string, notFound: string | undefined): Promise<boolean> {
  const ref = t.orderId !== 0n ? { origClientOrderId: t.clientOrderId } : { orderId: Number(t.order.ex_order_id) };
  const answer = await d.reads.order(t.order.symbol, ref);
  if (answer === undefined) {
    if (notFound !== undefined && d.tracker.setLocalStatus(t, OrderStatus.Error, -2013, notFound, nowNs())) d.log.info(`${describe(t)}: Error: ${notFound}`);
    return false;
  }
  await settleWith(d, t, parseOrder(answer), why);
  return true;
}

/** The whole account: open orders, every live order of the journal, balances. */
export async function reconcileAll(d: ReconcileDeps, why: string): Promise<void> {
  const open = (await d.reads.get<unknown[]>('/api/v3/openOrders')).map(parseOrder);
  const seen = new Set<TrackedOrder>();
  for (const s of open) {
    let t = d.tracker.find(s);
    if (!t) {
      t = d.tracker.adopt(s);
      d.log.info(`${describe(t)}: open on the exchange, not in the journal: tracked from now on`);
    }
    seen.add(t);
    await settleWith(d, t, s, why);
  }
  for (const t of d.tracker.live()) {
    if (seen.has(t)) continue;
    const neverSent = t.order.status === OrderStatus.Pending || t.order.status === OrderStatus.Unknown;
    const found = await settleByQuery(d, t, why, neverSent ? 'not sent (gateway restarted)' : undefined);
    if (!found && !neverSent) d.log.warn(`${describe(t)}: ${orderStatusName(t.order.status)} in the journal, unknown to the exchange (beyond its history?); left as it is`);
  }
  await refreshBalances(d);
  // What is live now, as the exchange has it: the ledger marks a gateway's orders Unknown at the
  // gateway's SessionStart, until the gateway reports them.
  const trigger = nowNs();
  for (const t of d.tracker.live()) d.tracker.rewrite(t, trigger);
}

/** Balances from GET /api/v3/account, written as Asset frames. */
export async function refreshBalances(d: ReconcileDeps): Promise<void> {
  const balances = parseAccountBalances(await d.reads.get('/api/v3/account', { omitZeroBalances: 'true' }));
  writeAssets(d, balances, nowNs(), nowNs());
  const present = new Set(balances.map((b) => b.asset));
  const gone = [...d.assets.entries()].filter(([asset, total]) => total !== ZERO && !present.has(asset)).map(([asset]) => ({ asset, free: ZERO, locked: ZERO }));
  writeAssets(d, gone, nowNs(), nowNs());
}

export function writeAssets(d: Pick<ReconcileDeps, 'journal' | 'source' | 'account' | 'assets'>, balances: Balance[], updateTime: bigint, trigger: bigint): void {
  const a = Asset.empty();
  a.source = d.source;
  a.account = d.account;
  a.update_time = updateTime;
  for (const b of balances) {
    a.asset = b.asset;
    a.free = b.free;
    a.locked = b.locked;
    d.journal.write(MsgType.Asset, Asset, a, trigger);
    d.assets.set(b.asset, b.free + b.locked);
  }
}
