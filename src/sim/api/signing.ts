/**
 * Binance request signing, both sides of it (the sim verifies, the gateways will sign):
 * HMAC-SHA256 (hex), RSA (RSASSA-PKCS1-v1_5 with SHA-256, base64) and Ed25519 (base64) over the
 * exact payload rules of
 * ../shared/reference/binance-spot.md.
 *
 * REST: the payload is the query string concatenated, with no separator, to the form body, as
 * sent, without the `signature` parameter. WS API: every parameter but `signature`, sorted by name,
 * joined as k=v with '&', not percent-encoded.
 */
import { constants, createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

export function hmacSignature(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}

export function ed25519Signature(privateKey: KeyObject | string, payload: string): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return sign(null, Buffer.from(payload, 'utf8'), key).toString('base64');
}

/** RSASSA-PKCS1-v1_5 over SHA-256, base64 (percent-encode it in a URL): Binance's RSA keys. */
export function rsaSignature(privateKey: KeyObject | string, payload: string): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return sign('sha256', Buffer.from(payload, 'utf8'), { key, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
}

export function verifyRsa(publicKey: KeyObject | string, payload: string, signature: string): boolean {
  try {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    return verify('sha256', Buffer.from(payload, 'utf8'), { key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function verifyHmac(secret: string, payload: string, signature: string): boolean {
  const expected = Buffer.from(hmacSignature(secret, payload), 'utf8');
  const given = Buffer.from(signature.toLowerCase(), 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function verifyEd25519(publicKey: KeyObject | string, payload: string, signature: string): boolean {
  try {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    return verify(null, Buffer.from(payload, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * The signed REST payload and the signature it carries: the raw query string and body with the
 * `signature=...` parameter taken out (wherever it stands), everything else byte for byte.
 */
export function restPayload(query: string, body: string): { payload: string; signature: string | undefined } {
  let signature: string | undefined;
  const strip = (text: string) =>
    text
      .split('&')
      .filter((pair) => {
        if (pair.startsWith('signature=')) {
          signature = decodeComponent(pair.slice('signature='.length));
          return false;
        }
        return true;
      })
      .join('&');
  return { payload: strip(query) + strip(body), signature };
}

/** Percent-decoding that never throws: a malformed escape stays as sent (and fails the signature check). */
function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The WS API payload: all params but `signature`, sorted by name, k=v joined with '&'. */
export function wsApiPayload(params: Record<string, string | number | boolean>): string {
  return Object.keys(params)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}
