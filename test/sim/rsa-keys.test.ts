/**
 * RSA API keys (RSASSA-PKCS1-v1_5 over SHA-256, base64, URL-encoded in a query), as Binance Spot
 * takes them: the `binance` SDK's MainClient and ccxt, given an RSA private key, trade on the sim;
 * a signature by another key, or an HMAC one, is -1022; the config refuses a key of the wrong type.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { MainClient } from 'binance';
import { ccxtBinance } from '../../bench/common/ccxt.js';
import { hmacSignature, rsaSignature, verifyRsa } from '../../src/sim/api/signing.js';
import { accountsOf, parseSimConfig } from '../../src/sim/config.js';
import { startSimServer } from '../../src/sim/sim-server.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
let server: Server;
let base = '';
before(async () => {
  const [resolved] = accountsOf(parseSimConfig({ accounts: [{ name: 'rsa', apiKey: 'rsa-key-0001', rsaPublicKey: PUBLIC, balances: { USDT: '1000' } }] }));
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, accounts: [resolved!.account], deposits: { rsa: resolved!.balances } }));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

describe('RSA API keys', { timeout: 60_000 }, () => {
  it('signs and verifies RSASSA-PKCS1-v1_5 SHA-256, base64', () => {
    const sig = rsaSignature(rsa.privateKey, 'symbol=BTCUSDT&timestamp=1');
    assert.match(sig, /^[A-Za-z0-9+/]{342}==$/);
    assert.ok(verifyRsa(PUBLIC, 'symbol=BTCUSDT&timestamp=1', sig));
    assert.ok(!verifyRsa(PUBLIC, 'symbol=BTCUSDT&timestamp=2', sig));
    assert.ok(!verifyRsa(other.publicKey, 'symbol=BTCUSDT&timestamp=1', sig));
  });

  it('the binance SDK and ccxt trade with an RSA key; a wrong signature is -1022', async () => {
    const sdk = new MainClient({ api_key: 'rsa-key-0001', api_secret: PRIVATE, baseUrl: base, disableTimeSync: true, beautifyResponses: false });
    const placed = (await sdk.submitNewOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 0.001, price: 50000 })) as { status: string };
    assert.equal(placed.status, 'NEW');
    const account = await sdk.getAccountInformation();
    const usdt = account.balances.find((b) => b.asset === 'USDT')!;
    assert.deepEqual([String(usdt.free), String(usdt.locked)], ['950.00000000', '50.00000000']);
    const ex = await ccxtBinance({ rest: base, apiKey: 'rsa-key-0001', secret: PRIVATE });
    const balance = await ex.fetchBalance();
    assert.deepEqual([balance['USDT']?.free, balance['USDT']?.used], [950, 50]);
    const refused = async (signature: string) => {
      const q = `timestamp=${Date.now()}`;
      const res = await fetch(`${base}/api/v3/account?${q}&signature=${encodeURIComponent(signature)}`, { headers: { 'X-MBX-APIKEY': 'rsa-key-0001' } });
      return [res.status, ((await res.json()) as { code: number }).code];
    };
    assert.deepEqual(await refused(rsaSignature(other.privateKey, `timestamp=${Date.now()}`)), [400, -1022]);
    assert.deepEqual(await refused(hmacSignature(PRIVATE, `timestamp=${Date.now()}`)), [400, -1022]);
  });

  it('the config takes one key per account, of the type its field names', () => {
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.throws(() => accountsOf(parseSimConfig({ accounts: [{ name: 'x', apiKey: 'x-key-0001', rsaPublicKey: ed }] })), /: sim config: account x: rsaPublicKey is an ed25519 key, not an RSA key$/);
    assert.throws(() => accountsOf(parseSimConfig({ accounts: [{ name: 'x', apiKey: 'x-key-0001', ed25519PublicKey: PUBLIC }] })), /ed25519PublicKey is an rsa key, not an Ed25519 key/);
    assert.throws(() => parseSimConfig({ accounts: [{ name: 'x', apiKey: 'x-key-0001', rsaPublicKey: PUBLIC, hmacSecret: 'secret-123' }] }), /give exactly one of hmacSecret, rsaPublicKey and ed25519PublicKey/);
  });
});
