/**
 * An API key and how to sign with it: HMAC-SHA256 (hex) or Ed25519 (base64), over the payload
 * rules of binance-spot.md ("Signing"). The secret stays inside the closure: no property of this
 * object holds it, so a log line or JSON.stringify of credentials cannot print it.
 */
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { ed25519Signature } from '../../../sim/api/signing.js';

export interface Credentials {
  readonly apiKey: string;
  readonly keyType: 'HMAC' | 'Ed25519';
  /** The signature of `payload`, as it goes into a query, a body or WS API params (not encoded). */
  sign(payload: string): string;
}

export function hmacCredentials(apiKey: string, secret: string): Credentials {
  return { apiKey, keyType: 'HMAC', sign: hmacSigner(secret) };
}

/**
 * HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once: each signature copies the
 * two prepared hash states (hash.copy()) instead of deriving them from the key again, which halves
 * the cost of signing an order. The key itself is not kept, only the states.
 */
function hmacSigner(secret: string): (payload: string) => string {
  let key = Buffer.from(secret, 'utf8');
  if (key.length > 64) key = createHash('sha256').update(key).digest();
  const ipad = Buffer.alloc(64, 0x36);
  const opad = Buffer.alloc(64, 0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i]! ^= key[i]!;
    opad[i]! ^= key[i]!;
  }
  const inner = createHash('sha256').update(ipad);
  const outer = createHash('sha256').update(opad);
  key.fill(0);
  ipad.fill(0);
  opad.fill(0);
  return (payload) => outer.copy().update(inner.copy().update(payload, 'utf8').digest()).digest('hex');
}

/** `privateKey`: a PEM text or a KeyObject of an Ed25519 private key. */
export function ed25519Credentials(apiKey: string, privateKey: string | KeyObject): Credentials {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the private key is ${key.asymmetricKeyType ?? 'not an asymmetric key'}, not Ed25519`);
  return { apiKey, keyType: 'Ed25519', sign: (payload) => ed25519Signature(key, payload) };
}

/** The API key as logs and listings may show it: its first 4 characters. */
export function maskKey(key: string): string {
  return key.length <= 4 ? '****' : `${key.slice(0, 4)}${'*'.repeat(Math.min(8, key.length - 4))}`;
}
