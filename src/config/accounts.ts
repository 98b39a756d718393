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
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { makeLocation } from '../journal/location.js';
import { UserError } from '../util/errors.js';
import { bool, integer, object, oneOf, optional, SchemaError, secretText, text, type Infer } from '../util/schema.js';
import { endpointProblem, PRESETS, type BinanceEndpoints } from '../gateway/binance/common/endpoints.js';
import { ed25519Credentials, hmacCredentials, maskKey, type Credentials } from '../gateway/binance/common/credentials.js';

/** Sources with an exchange adapter (and so a config schema). */
export const SOURCES = ['binance'] as const;
export type Source = (typeof SOURCES)[number];

const URL_TEXT = text(300, /^[a-z]+:\/\/[^\s]+$/);

/** A Binance account's config JSON. Exactly one of the three key forms. */
const BinanceConfig = object({
  apiKey: text(256, /^[\x21-\x7e]+$/),
  /** HMAC-SHA256 secret. */
  hmacSecret: optional(secretText(256)),
  /** Ed25519 private key, PEM text... */
  ed25519PrivateKey: optional(secretText(4096)),
  /** ...or the path of a PEM file (the key stays in its file). */
  ed25519PrivateKeyFile: optional(text(1024, /^\/[^\u0000-\u001f]+$/)),
  restUrl: optional(URL_TEXT),
  streamUrl: optional(URL_TEXT),
  wsApiUrl: optional(URL_TEXT),
  /** ms, 1..60000 (Binance's default 5000). */
  recvWindow: optional(integer(1, 60_000)),
  /** How orders go: the WS API on a logged-on session (default) or REST. */
  orderApi: optional(oneOf('ws', 'rest')),
  /** Cancel this account's open orders when the gateway stops (default false: it never does on its own). */
  cancelOnStop: optional(bool()),
});
export type BinanceAccountConfig = Infer<typeof BinanceConfig>;

export interface AccountRow {
  /** "<source>_<account>" */
  accountId: string;
  source: Source;
  account: string;
  receiveMd: boolean;
  config: BinanceAccountConfig;
}

export function accountsDbPath(home: string): string {
  return join(home, 'system', 'etc', 'kungfu', 'db', 'live', 'accounts.db');
}

export function accountIdOf(source: string, account: string): string {
  return `${source}_${account}`;
}

/** Checks a source and an account name (it names the TD's location, td/<source>/<account>/live). */
export function checkAccountName(source: string, account: string): Source {
  if (!(SOURCES as readonly string[]).includes(source)) throw new UserError(`unknown source "${source}": accounts exist for ${SOURCES.join(', ')}`, 2);
  try {
    makeLocation('td', source, account);
  } catch {
    throw new UserError(`bad account name "${account.slice(0, 64)}": use 1-64 letters, digits, '_', '-' or '.'`, 2);
  }
  return source as Source;
}

/**
 * Parses and checks a config JSON text. The error is one line naming the field; it never quotes
 * the text (it holds secrets), not even through JSON.parse's own message.
 */
export function parseAccountConfig(json: string): BinanceAccountConfig {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new SchemaError(`config is not valid JSON${at !== undefined ? ` (at character ${at})` : ''}`);
  }
  const config = BinanceConfig.parse(value, '');
  const keys = [config.hmacSecret, config.ed25519PrivateKey, config.ed25519PrivateKeyFile].filter((k) => k !== undefined).length;
  if (keys !== 1) throw new SchemaError(`config needs exactly one of hmacSecret, ed25519PrivateKey, ed25519PrivateKeyFile (it has ${keys})`);
  const problem = endpointProblem(endpointsOf(config));
  if (problem) throw new SchemaError(problem.replace(/^rest/, 'restUrl').replace(/^stream/, 'streamUrl').replace(/^wsApi/, 'wsApiUrl'));
  return config;
}

/** Where the account connects: its URLs, each defaulting to real Binance. */
export function endpointsOf(config: BinanceAccountConfig): BinanceEndpoints {
  const p = PRESETS.production;
  return { rest: config.restUrl ?? p.rest, stream: config.streamUrl ?? p.stream, wsApi: config.wsApiUrl ?? p.wsApi };
}

/** The account's signing credentials (reads the key file if the config names one). */
export function credentialsOf(config: BinanceAccountConfig): Credentials {
  if (config.hmacSecret !== undefined) return hmacCredentials(config.apiKey, config.hmacSecret);
  let pem = config.ed25519PrivateKey;
  if (pem === undefined) {
    const file = config.ed25519PrivateKeyFile!;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UserError(`cannot read the Ed25519 key file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): fix ed25519PrivateKeyFile with kfc account edit`, 2);
    }
  }
  try {
    return ed25519Credentials(config.apiKey, pem);
  } catch {
    throw new UserError('the Ed25519 private key is not a PEM Ed25519 private key (PKCS#8, "-----BEGIN PRIVATE KEY-----"): fix it with kfc account edit', 2);
  }
}

/** The config as `kfc account show` prints it: secrets masked to their first 4 characters. */
export function maskedConfig(config: BinanceAccountConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config, apiKey: maskKey(config.apiKey) };
  if (config.hmacSecret !== undefined) out.hmacSecret = maskKey(config.hmacSecret);
  if (config.ed25519PrivateKey !== undefined) out.ed25519PrivateKey = `${config.ed25519PrivateKey.slice(0, 4)}... (PEM, ${config.ed25519PrivateKey.length} characters)`;
  return out;
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

export function notFound(source: string, account: string): UserError {
  return new UserError(`account ${accountIdOf(source, account)} not found; add it with kfc account -s ${source} add`, 2);
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
