/**
 * The sim's API accounts and Binance's request security: the API key's account (-2014, -2015),
 * and a signed request's timestamp, recvWindow and signature (-1021, -1022, -1102, -1131), by the
 * account's key type: HMAC, RSA or Ed25519, as Binance Spot accepts.
 */
import type { KeyObject } from 'node:crypto';
import { ExchangeError } from '../engine/types.js';
import type { Params } from './params.js';
import { verifyEd25519, verifyHmac, verifyRsa } from './signing.js';

export interface SimAccount {
  name: string;
  apiKey: string;
  hmacSecret?: string;
  ed25519PublicKey?: KeyObject;
  rsaPublicKey?: KeyObject;
  makerCommission: number;
  takerCommission: number;
}

/** How an account signs (HMAC, RSA or Ed25519), from its public key alone: what logs and listings show. */
export function keyTypeOf(account: SimAccount): 'HMAC' | 'RSA' | 'Ed25519' {
  return account.ed25519PublicKey !== undefined ? 'Ed25519' : account.rsaPublicKey !== undefined ? 'RSA' : 'HMAC';
}

export class Accounts {
  private readonly byKey = new Map<string, SimAccount>();

  constructor(accounts: SimAccount[]) {
    for (const a of accounts) this.byKey.set(a.apiKey, a);
  }

  /** The account of an API key: -2014 when none was sent, -2015 when unknown. */
  of(apiKey: string | undefined): SimAccount {
    if (apiKey === undefined || apiKey === '') throw new ExchangeError(-2014, 'API-key format invalid.', 401);
    const account = this.byKey.get(apiKey);
    if (!account) throw new ExchangeError(-2015, 'Invalid API-key, IP, or permissions for action.', 401);
    return account;
  }
}

/** timestamp/recvWindow and the signature of a signed request, with Binance's errors. */
export function checkSigned(account: SimAccount, params: Params, payload: string, signature: string | undefined, now: number): void {
  const ts = params.optional('timestamp');
  const timestamp = ts !== undefined && /^\d{1,16}$/.test(ts) ? Number(ts) : undefined;
  if (timestamp === undefined) throw new ExchangeError(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
  const recvWindow = params.has('recvWindow') ? Number(params.required('recvWindow')) : 5000;
  if (!(recvWindow > 0 && recvWindow <= 60_000)) throw new ExchangeError(-1131, 'recvWindow must be less than 60000');
  if (!(timestamp < now + 1000 && now - timestamp <= recvWindow)) throw new ExchangeError(-1021, 'Timestamp for this request is outside of the recvWindow.');
  if (signature === undefined || signature === '') throw new ExchangeError(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
  const valid =
    account.hmacSecret !== undefined
      ? verifyHmac(account.hmacSecret, payload, signature)
      : account.rsaPublicKey !== undefined
        ? verifyRsa(account.rsaPublicKey, payload, signature)
        : account.ed25519PublicKey !== undefined && verifyEd25519(account.ed25519PublicKey, payload, signature);
  if (!valid) throw new ExchangeError(-1022, 'Signature for this request is not valid.');
}
