import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { ed25519Signature, hmacSignature, restPayload, verifyEd25519, verifyHmac, wsApiPayload } from '../../src/sim/api/signing.js';

// Binance's published example (reference/binance-spot.md, "Signing").
const SECRET = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
const PAYLOAD = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559';
const SIGNATURE = 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71';

describe('request signing', () => {
  it('reproduces Binance\'s published HMAC-SHA256 vector', () => {
    assert.equal(hmacSignature(SECRET, PAYLOAD), SIGNATURE);
    assert.ok(verifyHmac(SECRET, PAYLOAD, SIGNATURE));
    assert.ok(verifyHmac(SECRET, PAYLOAD, SIGNATURE.toUpperCase()));
    assert.ok(!verifyHmac(SECRET, PAYLOAD + '&x=1', SIGNATURE));
    assert.ok(!verifyHmac(SECRET, PAYLOAD, 'abc'));
  });

  it('signs the same payload split between query string and body', () => {
    // Binance's example 3: part in the query, part in the body, concatenated with no separator.
    const query = 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC';
    const body = `quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=${SIGNATURE}`;
    const { payload, signature } = restPayload(query, body);
    assert.equal(payload, 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559');
    assert.equal(signature, SIGNATURE);
    assert.equal(restPayload(`${PAYLOAD}&signature=${SIGNATURE}`, '').payload, PAYLOAD);
    assert.equal(restPayload(`signature=${SIGNATURE}&${PAYLOAD}`, '').payload, PAYLOAD);
  });

  it('signs and verifies Ed25519, base64, over the same bytes', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const sig = ed25519Signature(privateKey, PAYLOAD);
    assert.match(sig, /^[A-Za-z0-9+/]{86}==$/);
    assert.ok(verifyEd25519(publicKey, PAYLOAD, sig));
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.ok(verifyEd25519(pem, PAYLOAD, sig));
    assert.ok(!verifyEd25519(publicKey, PAYLOAD.replace('BUY', 'SELL'), sig));
    assert.ok(!verifyEd25519(publicKey, PAYLOAD, 'not base64 at all'));
  });

  it('builds the WS API payload: sorted names, no signature, no encoding', () => {
    const payload = wsApiPayload({ timestamp: 1499827319559, apiKey: 'k', symbol: 'BTCUSDT', signature: 'x', newClientOrderId: 'a b' });
    assert.equal(payload, 'apiKey=k&newClientOrderId=a b&symbol=BTCUSDT&timestamp=1499827319559');
  });
});
