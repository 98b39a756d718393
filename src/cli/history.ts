/** `kfc ledger history <orders|trades|assets|positions>`: the ledger's SQLite history as a table or JSON. */
import { formatTime, parseTime } from '../journal/clock.js';
import { HistoryDb, type HistoryQuery, type HistoryTable } from '../ledger/history-db.js';
import { UserError } from '../util/errors.js';
import { table, trim } from './books.js';

const COLUMNS: Record<HistoryTable, { key: string; title: string; amount?: boolean; time?: boolean }[]> = {
  orders: [
    { key: 'update_time', title: 'time', time: true }, { key: 'order_id', title: 'order' }, { key: 'strategy', title: 'strategy' }, { key: 'account', title: 'account' },
    { key: 'symbol', title: 'symbol' }, { key: 'side', title: 'side' }, { key: 'type', title: 'type' }, { key: 'price', title: 'price', amount: true },
    { key: 'volume', title: 'volume', amount: true }, { key: 'traded', title: 'traded', amount: true }, { key: 'status', title: 'status' }, { key: 'error', title: 'error' },
  ],
  trades: [
    { key: 'trade_time', title: 'time', time: true }, { key: 'strategy', title: 'strategy' }, { key: 'account', title: 'account' }, { key: 'symbol', title: 'symbol' },
    { key: 'side', title: 'side' }, { key: 'price', title: 'price', amount: true }, { key: 'volume', title: 'volume', amount: true }, { key: 'amount', title: 'amount', amount: true },
    { key: 'commission', title: 'fee', amount: true }, { key: 'commission_asset', title: 'fee asset' }, { key: 'order_id', title: 'order' }, { key: 'trade_id', title: 'trade' },
  ],
  assets: [
    { key: 'update_time', title: 'time', time: true }, { key: 'account', title: 'account' }, { key: 'asset', title: 'asset' },
    { key: 'free', title: 'free', amount: true }, { key: 'locked', title: 'locked', amount: true },
  ],
  positions: [
    { key: 'update_time', title: 'time', time: true }, { key: 'strategy', title: 'strategy' }, { key: 'account', title: 'account' }, { key: 'symbol', title: 'symbol' },
    { key: 'volume', title: 'position', amount: true }, { key: 'cost', title: 'cost', amount: true }, { key: 'realized_pnl', title: 'realized', amount: true },
    { key: 'unrealized_pnl', title: 'unrealized', amount: true }, { key: 'mark_price', title: 'mark', amount: true },
  ],
};

export interface HistoryOptions {
  strategy?: string;
  account?: string;
  symbol?: string;
  since?: string;
  limit: number;
  json?: boolean;
}

export function printHistory(home: string, what: HistoryTable, opts: HistoryOptions): string {
  if (what === 'assets' && (opts.strategy !== undefined || opts.symbol !== undefined)) throw new UserError('assets belong to accounts: filter them with --account, not --strategy or --symbol', 2);
  let since: bigint | undefined;
  if (opts.since !== undefined) {
    try {
      since = parseTime(opts.since);
    } catch (err) {
      throw new UserError(`--since: ${(err as Error).message}`, 2);
    }
  }
  const db = HistoryDb.open(home, 'read');
  if (!db) throw new UserError(`no ledger history in ${home} yet: the ledger writes it while it runs (kfc ledger)`);
  const q: HistoryQuery = { limit: opts.limit, ...(since !== undefined ? { since } : {}) };
  if (opts.strategy !== undefined) q.strategy = opts.strategy;
  if (opts.account !== undefined) q.account = opts.account;
  if (opts.symbol !== undefined) q.symbol = opts.symbol;
  let rows: Record<string, unknown>[];
  try {
    rows = db.query(what, q);
  } finally {
    db.close();
  }
  const columns = COLUMNS[what];
  if (opts.json) return JSON.stringify(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]))), null, 2);
  if (rows.length === 0) return `no ${what} in the history${opts.since ? ` since ${opts.since}` : ''}`;
  const cell = (c: (typeof columns)[number], v: unknown) => (c.time ? formatTime(BigInt(v as bigint)) : c.amount ? trim(String(v)) : String(v ?? ''));
  const right = columns.flatMap((c, i) => (c.amount ? [i] : []));
  return table([columns.map((c) => c.title), ...rows.map((r) => columns.map((c) => cell(c, r[c.key])))], right);
}
