/**
 * The accounts database: `$KF_HOME/system/etc/kungfu/db/live/accounts.db` (SQLite, WAL), one table
 * as the operations guide shows it, so its Python/sqlite3 snippet keeps working:
 *
 *     account_config(account_id TEXT PRIMARY KEY NOT NULL, source_name TEXT, receive_md BOOLEAN, config TEXT NOT NULL)
 *
 * `account_id` is "<source>_<account>" (binance_my_account); `config` is the account's JSON, checked
 * field by field (src/util/schema.ts) whenever it is written or read; the first account of a source
 * receives market data (receive_md = 1). The file is 0600 in a 0700 directory: it holds API secrets.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../util/errors.js';
import { accountIdOf, checkAccountName, notFound, parseAccountConfig, type AccountRow, type BinanceAccountConfig, type Source } from './account-config.js';

export * from './account-config.js';

export function accountsDbPath(home: string): string {
  return join(home, 'system', 'etc', 'kungfu', 'db', 'live', 'accounts.db');
}

interface Row {
  account_id: string;
  source_name: string | null;
  receive_md: number | null;
  config: string;
}

export class AccountStore {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  /**
   * Opens (creating when `create`) the database of KF_HOME; undefined when it does not exist and
   * `create` is false.
   */
  static open(home: string, opts: { create: boolean }): AccountStore | undefined {
    const path = accountsDbPath(home);
    if (!opts.create && !existsSync(path)) return undefined;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      chmodSync(dirname(path), 0o700);
      const db = new Database(path, { fileMustExist: !opts.create });
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE IF NOT EXISTS account_config (account_id TEXT PRIMARY KEY NOT NULL, source_name TEXT, receive_md BOOLEAN, config TEXT NOT NULL)');
      for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
      return new AccountStore(db, path);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot open the accounts database ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check that KF_HOME is writable`);
    }
  }

  close(): void {
    this.db.close();
  }

  private toAccount(row: Row): AccountRow {
    const source = (row.source_name ?? row.account_id.split('_')[0]) as Source;
    let config: BinanceAccountConfig;
    try {
      config = parseAccountConfig(row.config);
    } catch (err) {
      const account = row.account_id.slice(source.length + 1);
      throw new UserError(`account ${row.account_id}: ${(err as Error).message}; fix it with kfc account -s ${source} edit -a ${account}`, 2);
    }
    return { accountId: row.account_id, source, account: row.account_id.slice(source.length + 1), receiveMd: row.receive_md === 1, config };
  }

  /** Every account (of one source), ordered by id; configs that do not parse are reported, not hidden. */
  list(source?: string): { row: AccountRow | undefined; accountId: string; source: string; receiveMd: boolean; problem?: string }[] {
    const rows = (source === undefined
      ? this.db.prepare('SELECT * FROM account_config ORDER BY account_id').all()
      : this.db.prepare('SELECT * FROM account_config WHERE source_name = ? ORDER BY account_id').all(source)) as Row[];
    return rows.map((r) => {
      const base = { accountId: r.account_id, source: r.source_name ?? '', receiveMd: r.receive_md === 1 };
      try {
        return { ...base, row: this.toAccount(r) };
      } catch (err) {
        return { ...base, row: undefined, problem: (err as Error).message };
      }
    });
  }

  /** The account, undefined if there is none; a config that does not parse is a UserError naming the field. */
  get(source: string, account: string): AccountRow | undefined {
    const row = this.db.prepare('SELECT * FROM account_config WHERE account_id = ?').get(accountIdOf(source, account)) as Row | undefined;
    return row && this.toAccount(row);
  }

  /** The config text as stored (edit repairs a config that does not parse from it). */
  rawConfig(source: string, account: string): string | undefined {
    return (this.db.prepare('SELECT config FROM account_config WHERE account_id = ?').get(accountIdOf(source, account)) as { config: string } | undefined)?.config;
  }

  has(source: string, account: string): boolean {
    return this.db.prepare('SELECT 1 FROM account_config WHERE account_id = ?').get(accountIdOf(source, account)) !== undefined;
  }

  /** Adds an account; the first of its source receives market data. Returns whether this one does. */
  add(source: Source, account: string, config: BinanceAccountConfig): boolean {
    const id = accountIdOf(source, account);
    return this.db.transaction(() => {
      if (this.has(source, account)) throw new UserError(`account ${id} exists already: change it with kfc account -s ${source} edit -a ${account}`, 2);
      const first = this.db.prepare('SELECT 1 FROM account_config WHERE source_name = ? AND receive_md = 1').get(source) === undefined;
      this.db.prepare('INSERT INTO account_config (account_id, source_name, receive_md, config) VALUES (?, ?, ?, ?)').run(id, source, first ? 1 : 0, JSON.stringify(config));
      return first;
    })();
  }

  update(source: Source, account: string, config: BinanceAccountConfig): void {
    const changed = this.db.prepare('UPDATE account_config SET config = ? WHERE account_id = ?').run(JSON.stringify(config), accountIdOf(source, account)).changes;
    if (changed === 0) throw notFound(source, account);
  }

  /** Makes this account the one that receives market data for its source. */
  setReceiveMd(source: Source, account: string): void {
    this.db.transaction(() => {
      if (!this.has(source, account)) throw notFound(source, account);
      this.db.prepare('UPDATE account_config SET receive_md = (account_id = ?) WHERE source_name = ?').run(accountIdOf(source, account), source);
    })();
  }

  /** Removes an account; if it received market data, the next account of its source (by id) takes over. Returns that one. */
  remove(source: Source, account: string): string | undefined {
    return this.db.transaction(() => {
      const id = accountIdOf(source, account);
      const row = this.db.prepare('SELECT receive_md FROM account_config WHERE account_id = ?').get(id) as { receive_md: number } | undefined;
      if (!row) throw notFound(source, account);
      this.db.prepare('DELETE FROM account_config WHERE account_id = ?').run(id);
      if (row.receive_md !== 1) return undefined;
      const next = this.db.prepare('SELECT account_id FROM account_config WHERE source_name = ? ORDER BY account_id LIMIT 1').get(source) as { account_id: string } | undefined;
      if (next) this.db.prepare('UPDATE account_config SET receive_md = 1 WHERE account_id = ?').run(next.account_id);
      return next?.account_id;
    })();
  }
}

/** The account a TD gateway runs: a UserError (exit code 2) when it is missing or its config is broken. */
export function loadAccount(home: string, source: string, account: string): AccountRow {
  checkAccountName(source, account);
  const store = AccountStore.open(home, { create: false });
  if (!store) throw notFound(source, account);
  try {
    return store.get(source, account) ?? (() => { throw notFound(source, account); })();
  } finally {
    store.close();
  }
}

/** The account whose keys the market-data gateway of `source` uses (receive_md), if any. */
export function findMarketDataAccount(home: string, source: string): AccountRow | undefined {
  const store = AccountStore.open(home, { create: false });
  if (!store) return undefined;
  try {
    const row = store.list(source).find((r) => r.receiveMd);
    if (row?.problem) throw new UserError(row.problem, 2);
    return row?.row;
  } finally {
    store.close();
  }
}
