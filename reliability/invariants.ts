/**
 * What must hold after every fault has healed, checked against what the exchange did (the sim's
 * engine, in this process) while the demo is halted (its orders cancelled, so nothing moves):
 *
 *   1. the processes: all five registered and ready, the TD Ready in the ledger's books;
 *   2. the book: the MD's book of the symbol is live and fresh (no strategy holds a stale book);
 *   3. no order open at the exchange once the halt's cancels are answered;
 *   4. no order sent twice: every client order id the exchange accepted is unique;
 *   5. every order the exchange has is known to the ledger (its history) with the same status and
 *      filled quantity;
 *   6. every fill is in the TD's journal exactly once, and in the ledger's position;
 *   7. the ledger's balances equal the exchange's to the last digit.
 *
 * Each returns the first violation as one line. Waits converge (the journals and the ledger follow
 * the exchange within moments); a check that does not converge within its bound is a violation.
 */
import { orderIdOf } from '../src/gateway/binance/common/ids.js';
import { HistoryDb } from '../src/ledger/history-db.js';
import { Locations } from '../src/journal/location.js';
import { JournalReader } from '../src/journal/reader.js';
import { formatFixed, type Decimal } from '../src/model/decimal.js';
import { MsgType, Trade } from '../src/model/events.js';
import type { SimOrder } from '../src/sim/engine/types.js';
import { DEMO_ACCOUNT } from '../src/sim/sim-server.js';
import { createLogger } from '../src/util/log.js';
import { ACCOUNT_ID, APPS, SYMBOL, type ChaosStack } from './chaos-stack.js';

const fmt8 = (x: Decimal) => formatFixed(x, 8);
const CONVERGE_MS = 20_000;

export interface CheckResult {
  violations: string[];
  orders: number;
  fills: number;
}

/** Polls `probe` until it returns undefined (holds) or the time is up; then its last complaint. */
async function converge(probe: () => Promise<string | undefined> | string | undefined, ms = CONVERGE_MS): Promise<string | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    let complaint: string | undefined;
    try {
      complaint = await probe();
    } catch (err) {
      complaint = (err as Error).message;
    }
    if (complaint === undefined || Date.now() > until) return complaint;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether the stack is whole: processes registered and ready, the TD Ready, the book live and fresh. */
export async function healthProblem(stack: ChaosStack): Promise<string | undefined> {
  const rows = await stack.registry();
  const missing = APPS.filter((a) => !rows.some((r) => r.location === a.location && r.state === 'ready'));
  if (missing.length > 0) return `not registered and ready: ${missing.map((a) => a.app).join(', ')}`;
  const account = (await stack.books()).accounts.find((a) => a.account === ACCOUNT_ID);
  if (account?.brokerState !== 'Ready') return `the TD is ${account?.brokerState ?? 'unknown'} in the ledger's books`;
  stack.pollDepth();
  if (!stack.lastDepth.live || Date.now() - stack.lastDepth.at > 3000) return `the MD's ${SYMBOL} book is ${stack.lastDepth.live ? `silent for ${Date.now() - stack.lastDepth.at} ms` : 'stale'}`;
  return undefined;
}

const STATUS: Record<string, (o: SimOrder) => string> = {
  FILLED: () => 'Filled',
  CANCELED: (o) => (o.executedQty > 0n ? 'PartialFilledNotActive' : 'Cancelled'),
  EXPIRED: (o) => (o.executedQty > 0n ? 'PartialFilledNotActive' : 'Cancelled'),
  EXPIRED_IN_MATCH: (o) => (o.executedQty > 0n ? 'PartialFilledNotActive' : 'Cancelled'),
};

/** The checks, with the demo halted. `accepted`: every order the exchange accepted from the demo account (as placed). */
export async function checkInvariants(stack: ChaosStack, accepted: SimOrder[]): Promise<CheckResult> {
  const violations: string[] = [];
  const fail = (v: string | undefined) => v !== undefined && violations.push(v);
  const engine = stack.sim.engine;
  const account = DEMO_ACCOUNT.name;

  fail(await converge(() => healthProblem(stack)));
  fail(await converge(() => {
    const open = engine.openOrders(account, SYMBOL);
    return open.length === 0 ? undefined : `${open.length} orders still open at the exchange after the halt's cancels (e.g. ${open[0]!.clientOrderId})`;
  }));

  const seen = new Map<string, number>();
  for (const o of accepted) seen.set(o.clientOrderId, (seen.get(o.clientOrderId) ?? 0) + 1);
  const twice = [...seen].find(([, n]) => n > 1);
  if (twice) violations.push(`client order id ${twice[0]} accepted by the exchange ${twice[1]} times`);

  // Orders: the ledger's history (SQLite, from the TD's journal) against the exchange.
  fail(await converge(() => {
    const db = HistoryDb.open(stack.home, 'read');
    if (!db) return 'no ledger history yet';
    let rows: Record<string, unknown>[];
    try {
      rows = db.query('orders', { account: ACCOUNT_ID, limit: 10_000_000 });
    } finally {
      db.close();
    }
    const known = new Map(rows.map((r) => [String(r.order_id), r]));
    for (const placed of accepted) {
      const o = engine.getOrder(account, placed.symbol, { orderId: placed.orderId }); // as it is now
      const id = orderIdOf(o.clientOrderId);
      if (id === undefined) return `the exchange has order ${o.orderId} with a client id (${o.clientOrderId}) that is not the system's`;
      const row = known.get(id.toString());
      const want = STATUS[o.status]?.(o) ?? o.status;
      if (!row) return `order ${id} (${o.status} at the exchange) is not in the ledger's history`;
      if (row.status !== want || row.traded !== fmt8(o.executedQty)) return `order ${id}: the ledger has ${String(row.status)} ${String(row.traded)}, the exchange ${want} ${fmt8(o.executedQty)}`;
    }
    return undefined;
  }));

  // Fills: each exchange trade exactly once in the TD's journal; the position is their sum.
  const trades = engine.myTrades(account, SYMBOL);
  fail(await converge(() => {
    const counts = new Map<string, number>();
    const r = new JournalReader({ home: stack.home, log: createLogger({ name: 'chaos', level: 'error', fd: 2 }) });
    r.join(Locations.td('binance', 'my_account'));
    for (let f = r.next(); f; f = r.next()) {
      if (f.msgType !== MsgType.Trade) continue;
      const id = f.decode(Trade).ex_trade_id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    r.close();
    for (const t of trades) {
      const n = counts.get(String(t.id)) ?? 0;
      if (n !== 1) return `exchange trade ${t.id} (order ${t.orderId}) is in the TD's journal ${n} times`;
    }
    const extra = [...counts.keys()].filter((id) => !trades.some((t) => String(t.id) === id));
    return extra.length > 0 ? `the TD's journal has fills the exchange does not: ${extra.slice(0, 3).join(', ')}` : undefined;
  }));
  const net = trades.reduce((sum, t) => sum + (t.isBuyer ? t.qty : -t.qty) - (t.commissionAsset === 'BTC' ? t.commission : 0n), 0n);
  fail(await converge(async () => {
    const b = await stack.books();
    const volume = b.strategies.find((s) => s.strategy === 'demo_spot')?.positions.find((p) => p.symbol === SYMBOL)?.volume ?? '0.00000000';
    return volume === fmt8(net) ? undefined : `the ledger's demo_spot position is ${volume}, the exchange's fills sum to ${fmt8(net)}`;
  }));

  // Balances: the ledger's (from the TD's reports) against the exchange's own accounting.
  fail(await converge(async () => {
    const theirs = [...engine.balances(account)].filter(([, b]) => b.free !== 0n || b.locked !== 0n).map(([asset, b]) => `${asset} ${fmt8(b.free)}/${fmt8(b.locked)}`).sort();
    const a = (await stack.books()).accounts.find((x) => x.account === ACCOUNT_ID);
    const mine = (a?.balances ?? []).filter((b) => b.free !== '0.00000000' || b.locked !== '0.00000000').map((b) => `${b.asset} ${b.free}/${b.locked}`).sort();
    return mine.join(', ') === theirs.join(', ') ? undefined : `balances: the ledger has ${mine.join(', ')}; the exchange ${theirs.join(', ')}`;
  }));

  return { violations, orders: accepted.length, fills: trades.length };
}
