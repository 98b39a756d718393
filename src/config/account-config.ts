/**
 * An account's config JSON (the `config` column of accounts.db, see accounts.ts): its schema, and
 * what a gateway makes of it (endpoints, signing credentials). No SQLite here: gateway processes
 * import this, and read the database through a short-lived child (account-reader.ts), since the
 * SQLite library would stay loaded and cost them about 7 MB of their 60 MB.
 */
import { readFileSync } from 'node:fs';
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

export interface AccountRow {
  /** "<source>_<account>" */
  accountId: string;
  source: Source;
  account: string;
  receiveMd: boolean;
  config: BinanceAccountConfig;
}

export function accountIdOf(source: string, account: string): string {
  return `${source}_${account}`;
}

export function notFound(source: string, account: string): UserError {
  return new UserError(`account ${accountIdOf(source, account)} not found; add it with kfc account -s ${source} add`, 2);
}
