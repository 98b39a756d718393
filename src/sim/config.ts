/**
 * The simulator's configuration (`kfc sim --config sim.json`, `--account`): symbols with their
 * filters and starting prices, accounts with an API key and an HMAC secret, an RSA public key or
 * an Ed25519 public key (PEM) and their starting balances, the synthetic market, and the rate limits. Validated with zod;
 * a mistake is one line naming the field.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DecimalError, parseDecimal } from '../model/decimal.js';
import { UserError } from '../util/errors.js';
import type { SimAccount } from './api/rest.js';
import type { SymbolSpec } from './engine/types.js';

const decimalText = z.string().refine((t) => {
  try {
    return parseDecimal(t) >= 0n;
  } catch (err) {
    if (err instanceof DecimalError) return false;
    throw err;
  }
}, 'expected a non-negative decimal string with at most 8 decimals, like "0.01"');

const SymbolConfig = z.strictObject({
  symbol: z.string().regex(/^[A-Z0-9]{2,20}$/, 'expected an upper-case symbol like BTCUSDT'),
  baseAsset: z.string().regex(/^[A-Z0-9]{1,10}$/),
  quoteAsset: z.string().regex(/^[A-Z0-9]{1,10}$/),
  tickSize: decimalText,
  stepSize: decimalText,
  minQty: decimalText.optional(),
  maxQty: decimalText.optional(),
  minPrice: decimalText.optional(),
  maxPrice: decimalText.optional(),
  minNotional: decimalText.optional(),
  maxNotional: decimalText.optional(),
  startPrice: decimalText,
});

const AccountConfig = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
    apiKey: z.string().min(8, 'API keys have at least 8 characters'),
    hmacSecret: z.string().min(8).optional(),
    ed25519PublicKey: z.string().optional(),
    rsaPublicKey: z.string().optional(),
    balances: z.record(z.string().regex(/^[A-Z0-9]{1,10}$/), decimalText).default({}),
  })
  .refine((a) => [a.hmacSecret, a.ed25519PublicKey, a.rsaPublicKey].filter((k) => k !== undefined).length === 1, 'give exactly one of hmacSecret, rsaPublicKey and ed25519PublicKey (a PEM public key)');

export const SimConfigSchema = z.strictObject({
  symbols: z.array(SymbolConfig).min(1).optional(),
  accounts: z.array(AccountConfig).default([]),
  market: z
    .strictObject({
      seed: z.number().int().default(1),
      rate: z.number().min(0).max(1000).default(10),
      volatility: z.number().min(0).max(0.1).default(0.0005),
      levels: z.number().int().min(1).max(50).default(5),
      takerProbability: z.number().min(0).max(1).default(0.3),
    })
    .optional(),
  weightLimit: z.number().int().positive().optional(),
  orderLimit: z.number().int().positive().optional(),
});

export type SimConfig = z.infer<typeof SimConfigSchema>;

export interface ResolvedAccount {
  account: SimAccount;
  balances: Record<string, string>;
}

export function loadSimConfig(file: string): SimConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`sim config ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseSimConfig(raw, `sim config ${file}`);
}

export function parseSimConfig(raw: unknown, what = 'sim config'): SimConfig {
  const result = SimConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UserError(`${what}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return result.data;
}

export function symbolSpecs(config: SimConfig): { specs: SymbolSpec[]; startPrices: Record<string, string> } | undefined {
  if (!config.symbols) return undefined;
  const startPrices: Record<string, string> = {};
  const specs = config.symbols.map((s): SymbolSpec => {
    startPrices[s.symbol] = s.startPrice;
    const step = parseDecimal(s.stepSize);
    const tick = parseDecimal(s.tickSize);
    return {
      symbol: s.symbol,
      baseAsset: s.baseAsset,
      quoteAsset: s.quoteAsset,
      basePrecision: 8,
      quotePrecision: 8,
      minPrice: parseDecimal(s.minPrice ?? s.tickSize),
      maxPrice: parseDecimal(s.maxPrice ?? '1000000'),
      tickSize: tick,
      minQty: parseDecimal(s.minQty ?? s.stepSize),
      maxQty: parseDecimal(s.maxQty ?? '9000'),
      stepSize: step,
      minNotional: parseDecimal(s.minNotional ?? '5'),
      maxNotional: parseDecimal(s.maxNotional ?? '9000000'),
      applyMinToMarket: true,
      applyMaxToMarket: false,
    };
  });
  return { specs, startPrices };
}

/** A PEM public key of the type its field names (rsa or ed25519); one line naming the field otherwise. */
function publicKey(account: string, field: string, pem: string, type: 'rsa' | 'ed25519'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new UserError(`sim config: account ${account}: ${field} is not a PEM public key`);
  }
  if (key.asymmetricKeyType !== type) throw new UserError(`sim config: account ${account}: ${field} is a${key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ed25519' ? 'n' : ''} ${key.asymmetricKeyType} key, not ${type === 'rsa' ? 'an RSA' : 'an Ed25519'} key`);
  return key;
}

export function accountsOf(config: SimConfig): ResolvedAccount[] {
  return config.accounts.map((a) => {
    const ed25519PublicKey = a.ed25519PublicKey !== undefined ? publicKey(a.name, 'ed25519PublicKey', a.ed25519PublicKey, 'ed25519') : undefined;
    const rsaPublicKey = a.rsaPublicKey !== undefined ? publicKey(a.name, 'rsaPublicKey', a.rsaPublicKey, 'rsa') : undefined;
    return {
      account: { name: a.name, apiKey: a.apiKey, ...(a.hmacSecret ? { hmacSecret: a.hmacSecret } : {}), ...(ed25519PublicKey ? { ed25519PublicKey } : {}), ...(rsaPublicKey ? { rsaPublicKey } : {}), makerCommission: 10, takerCommission: 10 },
      balances: a.balances,
    };
  });
}

/**
 * `--account name:apiKey:hmacSecret[:ASSET=amount,...]` on the command line, or
 * `--account name:apiKey:@public.pem[:...]` for an RSA or Ed25519 key (the key says which).
 */
export function parseAccountOption(spec: string): ResolvedAccount {
  const [name, apiKey, secret, balances] = spec.split(':');
  if (!name || !apiKey || !secret) throw new UserError(`--account "${spec.split(':').slice(0, 2).join(':')}:...": expected name:apiKey:hmacSecret[:ASSET=amount,...] or name:apiKey:@public-key.pem[:...]`);
  const parsed: Record<string, string> = {};
  for (const pair of balances ? balances.split(',') : []) {
    const [asset, value] = pair.split('=');
    if (!asset || !value) throw new UserError(`--account ${name}: balance "${pair}" should be ASSET=amount, like USDT=1000`);
    parsed[asset] = value;
  }
  const config = parseSimConfig({ accounts: [{ name, apiKey, ...keyOption(name, secret), balances: parsed }] }, `--account ${name}`);
  return accountsOf(config)[0]!;
}

/** An HMAC secret as given, or `@file`: a PEM public key, RSA or Ed25519. */
function keyOption(name: string, secret: string): { hmacSecret: string } | { rsaPublicKey: string } | { ed25519PublicKey: string } {
  if (!secret.startsWith('@')) return { hmacSecret: secret };
  const file = secret.slice(1);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`--account ${name}: ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let type: string | undefined;
  try {
    type = createPublicKey(pem).asymmetricKeyType;
  } catch {
    throw new UserError(`--account ${name}: ${file} is not a PEM public key`);
  }
  if (type === 'rsa') return { rsaPublicKey: pem };
  if (type === 'ed25519') return { ed25519PublicKey: pem };
  throw new UserError(`--account ${name}: ${file} is a ${type} key; the sim takes RSA or Ed25519 public keys (or an HMAC secret)`);
}
