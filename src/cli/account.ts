/**
 * `kfc account -s binance add|list|show|edit|remove`: the accounts database (src/config/accounts.ts)
 * from the command line. Secrets never go through argv: flags read them from a file or stdin, and
 * `add` in a terminal asks for them without echoing. `show` and `list` mask them.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { journalDir, Locations } from '../journal/location.js';
import { writerPid } from '../journal/lock.js';
import { preset } from '../gateway/binance/common/endpoints.js';
import { maskKey } from '../gateway/binance/common/credentials.js';
import { AccountStore, checkAccountName, maskedConfig, notFound, parseAccountConfig, type BinanceAccountConfig, type Source } from '../config/accounts.js';
import { SchemaError } from '../util/schema.js';
import { UserError } from './errors.js';

/** What add and edit take from flags (secrets: where to read them, never the secret itself). */
export interface AccountFlags {
  key?: string;
  secretFile?: string;
  secretStdin?: boolean;
  ed25519KeyFile?: string;
  ed25519KeyStdin?: boolean;
  preset?: string;
  restUrl?: string;
  streamUrl?: string;
  wsApiUrl?: string;
  recvWindow?: number;
  orderApi?: 'ws' | 'rest';
  cancelOnStop?: boolean;
  receiveMd?: boolean;
}

function readSecretFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new UserError(`cannot read ${what} from ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 2);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** Questions on the terminal; `hidden` answers are not echoed. */
class Prompt {
  private muted = false;
  private readonly rl;

  constructor() {
    const out = new Writable({ write: (chunk, _enc, done) => (this.muted || process.stdout.write(chunk), done()) });
    this.rl = createInterface({ input: process.stdin, output: out, terminal: true });
  }

  ask(question: string, hidden = false): Promise<string> {
    process.stdout.write(question);
    this.muted = hidden;
    return new Promise((resolve) =>
      this.rl.question('', (answer) => {
        if (hidden) process.stdout.write('\n');
        this.muted = false;
        resolve(answer.trim());
      }),
    );
  }

  close(): void {
    this.rl.close();
  }
}

/** Applies flags onto a config (a new one when `base` is undefined); reads secrets from files or stdin. */
async function applyFlags(base: Partial<BinanceAccountConfig>, f: AccountFlags): Promise<Partial<BinanceAccountConfig>> {
  const c: Partial<BinanceAccountConfig> = { ...base };
  const keySources = [f.secretFile, f.secretStdin, f.ed25519KeyFile, f.ed25519KeyStdin].filter((x) => x !== undefined && x !== false).length;
  if (keySources > 1) throw new UserError('give one of --secret-file, --secret-stdin, --ed25519-key-file, --ed25519-key-stdin', 2);
  const setKey = (k: 'hmacSecret' | 'ed25519PrivateKey' | 'ed25519PrivateKeyFile', v: string) => {
    delete c.hmacSecret;
    delete c.ed25519PrivateKey;
    delete c.ed25519PrivateKeyFile;
    c[k] = v;
  };
  if (f.secretFile !== undefined) setKey('hmacSecret', readSecretFile(f.secretFile, 'the secret'));
  if (f.secretStdin) setKey('hmacSecret', await readStdin());
  if (f.ed25519KeyFile !== undefined) setKey('ed25519PrivateKeyFile', resolvePath(f.ed25519KeyFile));
  if (f.ed25519KeyStdin) setKey('ed25519PrivateKey', await readStdin());
  if (f.key !== undefined) c.apiKey = f.key;
  if (f.preset !== undefined) {
    const e = preset(f.preset);
    if (!e) throw new UserError(`unknown preset "${f.preset}": use production, testnet, sim or sim:<port>`, 2);
    c.restUrl = e.rest;
    c.streamUrl = e.stream;
    c.wsApiUrl = e.wsApi;
  }
  if (f.restUrl !== undefined) c.restUrl = f.restUrl;
  if (f.streamUrl !== undefined) c.streamUrl = f.streamUrl;
  if (f.wsApiUrl !== undefined) c.wsApiUrl = f.wsApiUrl;
  if (f.recvWindow !== undefined) c.recvWindow = f.recvWindow;
  if (f.orderApi !== undefined) c.orderApi = f.orderApi;
  if (f.cancelOnStop !== undefined) c.cancelOnStop = f.cancelOnStop;
  return c;
}

function resolvePath(p: string): string {
  return p.startsWith('/') ? p : `${process.cwd()}/${p}`;
}

/** A config the schema accepts, or a one-line UserError naming the field. */
function checked(c: Partial<BinanceAccountConfig>): BinanceAccountConfig {
  try {
    return parseAccountConfig(JSON.stringify(c));
  } catch (err) {
    if (err instanceof SchemaError) throw new UserError(`the account config is not valid: ${err.message}`, 2);
    throw err;
  }
}

/** In a terminal, asks for what the flags left out. */
async function askMissing(c: Partial<BinanceAccountConfig>, account: string | undefined): Promise<{ config: Partial<BinanceAccountConfig>; account: string }> {
  const p = new Prompt();
  try {
    const name = account ?? (await p.ask('Account name (e.g. my_account): '));
    if (c.apiKey === undefined) c.apiKey = await p.ask('API key: ');
    if (c.hmacSecret === undefined && c.ed25519PrivateKey === undefined && c.ed25519PrivateKeyFile === undefined) {
      const type = (await p.ask('Key type, hmac or ed25519 [hmac]: ')).toLowerCase() || 'hmac';
      if (type === 'hmac') c.hmacSecret = await p.ask('Secret (not shown): ', true);
      else if (type === 'ed25519') c.ed25519PrivateKeyFile = resolvePath(await p.ask('Path of the Ed25519 private key (PEM file): '));
      else throw new UserError(`unknown key type "${type}": answer hmac or ed25519`, 2);
    }
    if (c.restUrl === undefined) {
      const name = (await p.ask('Exchange: production, testnet, sim or sim:<port> [production]: ')) || 'production';
      const e = preset(name);
      if (!e) throw new UserError(`unknown preset "${name}": use production, testnet, sim or sim:<port>`, 2);
      if (name !== 'production') Object.assign(c, { restUrl: e.rest, streamUrl: e.stream, wsApiUrl: e.wsApi });
    }
    return { config: c, account: name };
  } finally {
    p.close();
  }
}

/** The running TD of an account, if any (the holder of its journal's writer lock). */
export function runningTd(home: string, source: string, account: string): number | undefined {
  return writerPid(journalDir(home, Locations.td(source, account)), 0);
}

function open(home: string): AccountStore {
  return AccountStore.open(home, { create: true })!;
}

export async function accountAdd(home: string, source: string, account: string | undefined, flags: AccountFlags): Promise<string> {
  let config = await applyFlags({}, flags);
  const complete = account !== undefined && config.apiKey !== undefined && (config.hmacSecret ?? config.ed25519PrivateKey ?? config.ed25519PrivateKeyFile) !== undefined;
  if (!complete) {
    if (!process.stdin.isTTY) {
      throw new UserError('kfc account add needs -a <account>, --key <api key> and one of --secret-file, --secret-stdin, --ed25519-key-file, --ed25519-key-stdin (or run it in a terminal to be asked)', 2);
    }
    ({ config, account } = await askMissing(config, account));
  }
  const src = checkAccountName(source, account!);
  const valid = checked(config);
  const store = open(home);
  try {
    const receiveMd = store.add(src, account!, valid);
    if (flags.receiveMd && !receiveMd) store.setReceiveMd(src, account!);
    return `added account ${source}_${account} (${valid.hmacSecret !== undefined ? 'HMAC' : 'Ed25519'} key ${maskKey(valid.apiKey)}, ${valid.restUrl ?? 'production'})${receiveMd || flags.receiveMd ? '; it receives market data' : ''}`;
  } finally {
    store.close();
  }
}

export async function accountEdit(home: string, source: string, account: string, flags: AccountFlags): Promise<string> {
  const src = checkAccountName(source, account);
  const store = open(home);
  try {
    const row = store.list(src).find((r) => r.accountId === `${source}_${account}`);
    if (!row) throw notFound(source, account);
    // A broken config can be repaired by edit: start from its JSON as stored when it does not parse.
    const base = row.row?.config ?? looseConfig(store.rawConfig(src, account));
    const valid = checked(await applyFlags(base, flags));
    store.update(src, account, valid);
    if (flags.receiveMd) store.setReceiveMd(src, account);
  } finally {
    store.close();
  }
  const pid = runningTd(home, source, account);
  return `updated account ${source}_${account}${pid !== undefined ? `; its trading gateway td/${source}/${account}/live is running (pid ${pid}): restart it for the change to take effect` : ''}`;
}

/** A stored config that does not pass the schema, as far as it is a JSON object (edit fixes the rest). */
function looseConfig(text: string | undefined): Partial<BinanceAccountConfig> {
  try {
    const v = JSON.parse(text ?? '{}') as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Partial<BinanceAccountConfig>) : {};
  } catch {
    return {};
  }
}

export function accountRemove(home: string, source: string, account: string): string {
  const src = checkAccountName(source, account);
  const pid = runningTd(home, source, account);
  if (pid !== undefined) throw new UserError(`account ${source}_${account} is in use by its trading gateway td/${source}/${account}/live (pid ${pid}): stop it first`, 1);
  const store = open(home);
  try {
    const next = store.remove(src, account);
    return `removed account ${source}_${account}${next ? `; ${next} receives market data now` : ''}`;
  } finally {
    store.close();
  }
}

export function accountShow(home: string, source: string, account: string): string {
  checkAccountName(source, account);
  const store = AccountStore.open(home, { create: false });
  if (!store) throw notFound(source, account);
  try {
    const row = store.get(source, account);
    if (!row) throw notFound(source, account);
    return JSON.stringify({ account_id: row.accountId, source_name: row.source, receive_md: row.receiveMd, config: maskedConfig(row.config) }, null, 2);
  } finally {
    store.close();
  }
}

export function accountList(home: string, source: string | undefined, json: boolean): string {
  const store = AccountStore.open(home, { create: false });
  const rows = store ? store.list(source) : [];
  store?.close();
  const view = rows.map((r) => ({
    account_id: r.accountId,
    source: r.source,
    receive_md: r.receiveMd,
    key: r.row ? maskKey(r.row.config.apiKey) : '-',
    key_type: r.row ? (r.row.config.hmacSecret !== undefined ? 'HMAC' : 'Ed25519') : '-',
    rest: r.row ? (r.row.config.restUrl ?? 'production') : `(broken config: ${r.problem})`,
    orders: r.row ? (r.row.config.orderApi ?? 'ws') : '-',
  }));
  if (json) return JSON.stringify(view, null, 2);
  if (view.length === 0) return `no accounts${source ? ` of ${source}` : ''}; add one with kfc account -s ${source ?? 'binance'} add`;
  const head = ['account_id', 'source', 'receive_md', 'key', 'key_type', 'orders', 'rest'];
  const cells = view.map((v) => [v.account_id, v.source, v.receive_md ? 'yes' : 'no', v.key, v.key_type, v.orders, v.rest]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export type { Source };
