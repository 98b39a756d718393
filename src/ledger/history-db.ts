/**
 * The ledger's history in SQLite: `$KF_HOME/system/service/ledger/db/live/history.db` (WAL, 0600 in
 * a 0700 directory). Every order's latest state, every fill, every balance change and every
 * position change, for SQL and `kfc ledger history`. Written by the history writer
 * (history-writer.ts), read by the CLI.
 *
 *   orders(order_key PK, order_id, strategy, account, symbol, side, type, price, volume, quote_volume,
 *          traded, amount, status, error, ex_order_id, insert_time, update_time)
 *          order_key: the order id; "<account>:<symbol>:<exchange id>" for other clients' orders (id 0)
 *   trades(account, symbol, trade_id, order_id, strategy, side, price, volume, amount,
 *          commission, commission_asset, maker, trade_time)            PK (account, symbol, trade_id)
 *   assets(account, asset, free, locked, update_time)                  PK (account, asset, update_time)
 *   positions(strategy, account, symbol, volume, cost, realized_pnl, unrealized_pnl, mark_price,
 *          fees, fee_asset, update_time)                               PK (strategy, account, symbol, update_time)
 *   progress(journal PK, gen_time): how far each journal has been written here
 *
 * Amounts are exact decimal TEXT ("0.00100000"); order ids TEXT (they are unsigned 64-bit); times
 * integer nanoseconds since the epoch (UTC). Every write is an upsert keyed by what identifies the
 * row, so reading a frame twice (after a restart) changes nothing.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { formatFixed } from '../model/decimal.js';
import { orderStatusName, priceTypeName, sideName } from '../model/enums.js';
import type { AssetEvent, OrderEvent, PositionEvent, TradeEvent } from '../model/events.js';
import { UserError } from '../util/errors.js';
import { ledgerDbDir } from './state-file.js';

export function historyDbPath(home: string): string {
  return join(ledgerDbDir(home), 'history.db');
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (order_key TEXT PRIMARY KEY, order_id TEXT NOT NULL, strategy TEXT NOT NULL, account TEXT NOT NULL, symbol TEXT NOT NULL,
  side TEXT NOT NULL, type TEXT NOT NULL, price TEXT NOT NULL, volume TEXT NOT NULL, quote_volume TEXT NOT NULL, traded TEXT NOT NULL,
  amount TEXT NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL, ex_order_id TEXT NOT NULL, insert_time INTEGER NOT NULL, update_time INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_time ON orders (update_time);
CREATE TABLE IF NOT EXISTS trades (account TEXT NOT NULL, symbol TEXT NOT NULL, trade_id TEXT NOT NULL, order_id TEXT NOT NULL, strategy TEXT NOT NULL,
  side TEXT NOT NULL, price TEXT NOT NULL, volume TEXT NOT NULL, amount TEXT NOT NULL, commission TEXT NOT NULL, commission_asset TEXT NOT NULL,
  maker INTEGER NOT NULL, trade_time INTEGER NOT NULL, PRIMARY KEY (account, symbol, trade_id));
CREATE INDEX IF NOT EXISTS trades_by_time ON trades (trade_time);
CREATE TABLE IF NOT EXISTS assets (account TEXT NOT NULL, asset TEXT NOT NULL, free TEXT NOT NULL, locked TEXT NOT NULL, update_time INTEGER NOT NULL,
  PRIMARY KEY (account, asset, update_time));
CREATE TABLE IF NOT EXISTS positions (strategy TEXT NOT NULL, account TEXT NOT NULL, symbol TEXT NOT NULL, volume TEXT NOT NULL, cost TEXT NOT NULL,
  realized_pnl TEXT NOT NULL, unrealized_pnl TEXT NOT NULL, mark_price TEXT NOT NULL, fees TEXT NOT NULL, fee_asset TEXT NOT NULL, update_time INTEGER NOT NULL,
  PRIMARY KEY (strategy, account, symbol, update_time));
CREATE TABLE IF NOT EXISTS progress (journal TEXT PRIMARY KEY, gen_time INTEGER NOT NULL);
`;

const amount = (x: bigint) => formatFixed(x, 8);
/** Our orders by their id; other clients' orders (order id 0 in the journal) by account and exchange id. */
const orderKey = (o: OrderEvent) => (o.order_id !== 0n ? o.order_id.toString() : `${accountId(o.source, o.account)}:${o.symbol}:${o.ex_order_id}`);
const accountId = (source: string, account: string) => `${source}_${account}`;

export type HistoryTable = 'orders' | 'trades' | 'assets' | 'positions';
const TIME_COLUMN: Record<HistoryTable, string> = { orders: 'update_time', trades: 'trade_time', assets: 'update_time', positions: 'update_time' };

export interface HistoryQuery {
  strategy?: string;
  account?: string;
  symbol?: string;
  /** ns since the epoch */
  since?: bigint;
  limit: number;
}

export class HistoryDb {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  /** Opens the history of KF_HOME: created for writing; undefined for reading when there is none yet. */
  static open(home: string, mode: 'write' | 'read'): HistoryDb | undefined {
    const path = historyDbPath(home);
    if (mode === 'read' && !existsSync(path)) return undefined;
    try {
      if (mode === 'write') {
        // Private from the first byte: the directory tightened even if it existed, the file made 0600 before SQLite opens it.
        mkdirSync(ledgerDbDir(home), { recursive: true, mode: 0o700 });
        chmodSync(ledgerDbDir(home), 0o700);
        closeSync(openSync(path, 'a', 0o600));
      }
      const db = new Database(path, { fileMustExist: mode === 'read', readonly: mode === 'read' });
      db.pragma('busy_timeout = 5000');
      if (mode === 'write') {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL'); // WAL + NORMAL: a crash loses at most the last batch, which is re-read from the journals
        db.exec(SCHEMA);
        for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
      }
      return new HistoryDb(db, path);
    } catch (err) {
      throw new UserError(`cannot open the ledger history ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check that KF_HOME is writable`);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one transaction (a batch: one fsync for many rows). */
  batch(fn: () => void): void {
    this.db.transaction(fn)();
  }

  progress(): Map<string, bigint> {
    const rows = this.db.prepare('SELECT journal, gen_time FROM progress').safeIntegers(true).all() as { journal: string; gen_time: bigint }[];
    return new Map(rows.map((r) => [r.journal, r.gen_time]));
  }

  private readonly stmts = new Map<string, Database.Statement>();
  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  setProgress(journal: string, genTime: bigint): void {
    this.stmt('INSERT INTO progress (journal, gen_time) VALUES (?, ?) ON CONFLICT (journal) DO UPDATE SET gen_time = excluded.gen_time').run(journal, genTime);
  }

  order(o: OrderEvent, strategy: string): void {
    this.stmt(
      `INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (order_key) DO UPDATE SET traded = excluded.traded, amount = excluded.amount, status = excluded.status, error = excluded.error,
         ex_order_id = excluded.ex_order_id, update_time = excluded.update_time WHERE excluded.update_time >= orders.update_time`,
    ).run(
      orderKey(o), o.order_id.toString(), strategy, accountId(o.source, o.account), o.symbol, sideName(o.side), priceTypeName(o.price_type), amount(o.price), amount(o.volume),
      amount(o.quote_volume), amount(o.volume_traded), amount(o.amount_traded), orderStatusName(o.status), o.error_msg, o.ex_order_id, o.insert_time, o.update_time,
    );
  }

  trade(t: TradeEvent, strategy: string): void {
    this.stmt('INSERT OR IGNORE INTO trades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      accountId(t.source, t.account), t.symbol, t.ex_trade_id || t.trade_id.toString(), t.order_id.toString(), strategy, sideName(t.side), amount(t.price), amount(t.volume),
      amount(t.amount), amount(t.commission), t.commission_asset, t.is_maker ? 1 : 0, t.trade_time,
    );
  }

  asset(a: AssetEvent): void {
    this.stmt('INSERT OR IGNORE INTO assets VALUES (?, ?, ?, ?, ?)').run(accountId(a.source, a.account), a.asset, amount(a.free), amount(a.locked), a.update_time);
  }

  position(p: PositionEvent, strategy: string): void {
    this.stmt('INSERT OR IGNORE INTO positions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      strategy, accountId(p.source, p.account), p.symbol, amount(p.volume), amount(p.cost), amount(p.realized_pnl), amount(p.unrealized_pnl), amount(p.mark_price),
      amount(p.fees), p.fee_asset, p.update_time,
    );
  }

  /** The newest rows of a table (newest last), filtered. */
  query(table: HistoryTable, q: HistoryQuery): Record<string, unknown>[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const time = TIME_COLUMN[table];
    if (q.strategy !== undefined && table !== 'assets') (where.push('strategy = ?'), args.push(q.strategy));
    if (q.account !== undefined) (where.push('account = ?'), args.push(q.account));
    if (q.symbol !== undefined && table !== 'assets') (where.push('symbol = ?'), args.push(q.symbol));
    if (q.since !== undefined) (where.push(`${time} >= ?`), args.push(q.since));
    const sql = `SELECT * FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${time} DESC LIMIT ?`;
    const rows = this.db.prepare(sql).safeIntegers(true).all(...args, q.limit) as Record<string, unknown>[];
    if (table === 'orders') for (const r of rows) delete r.order_key;
    return rows.reverse();
  }
}
