import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { hmacCredentials } from '../../src/gateway/binance/common/credentials.js';
import { BinanceApiError, RateLimited, UnknownOutcome, Unreachable } from '../../src/gateway/binance/common/errors.js';
import { BinanceRest } from '../../src/gateway/binance/common/rest.js';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { freePort, recordingLogger } from '../helpers.js';

let server: Server;
let base = '';
const admin = (path: string) => fetch(`${base}/admin/${path}`, { method: 'POST' }).then((r) => r.json());

before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false }));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const demo = () => new BinanceRest({ base, credentials: hmacCredentials(DEMO_ACCOUNT.apiKey, DEMO_ACCOUNT.hmacSecret!), log: recordingLogger() });

describe('Binance REST client (against kfc sim)', () => {
  it('syncs the clock, signs requests, and tracks the weight used', async () => {
    const rest = demo();
    const offset = await rest.syncTime();
    assert.ok(Math.abs(offset) < 1000, `offset ${offset} ms to a local server`);
    const account = await rest.call<{ balances: { asset: string; free: string }[] }>('GET', '/api/v3/account', {}, { signed: true });
    assert.ok(account.balances.some((b) => b.asset === 'USDT'));
    assert.ok(rest.usage.weight1m >= 20, 'X-MBX-USED-WEIGHT-1M read');
  });

  it('a clock off by more than recvWindow: -1021, resync, one retry that succeeds', async () => {
    const log = recordingLogger();
    const rest = new BinanceRest({ base, credentials: hmacCredentials(DEMO_ACCOUNT.apiKey, DEMO_ACCOUNT.hmacSecret!), log });
    rest.offsetMs = -60_000;
    const account = await rest.call<{ balances: unknown[] }>('GET', '/api/v3/account', {}, { signed: true });
    assert.ok(Array.isArray(account.balances));
    assert.ok(Math.abs(rest.offsetMs) < 1000);
    assert.ok(log.messages().some((m) => /-1021.*resynced.*retrying GET \/api\/v3\/account once/.test(m)));
  });

  it('classifies refusals, unknown outcomes, rate limits and unreachable servers', async () => {
    const bad = new BinanceRest({ base, credentials: hmacCredentials('no-such-key-xxxx', 'secret'), log: recordingLogger() });
    await assert.rejects(bad.call('GET', '/api/v3/account', {}, { signed: true }), (e: unknown) => e instanceof BinanceApiError && e.code === -2015 && e.status === 401);

    const rest = demo();
    await admin('fail?count=1&status=503');
    await assert.rejects(rest.call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' }, { signed: true, order: true }), UnknownOutcome);

    await admin('fail?count=1&status=429');
    await assert.rejects(rest.call('GET', '/api/v3/depth', { symbol: 'BTCUSDT' }), (e: unknown) => e instanceof RateLimited && e.status === 429);
    // While blocked: orders are refused without being sent; reads wait it out.
    await assert.rejects(rest.call('GET', '/api/v3/openOrders', {}, { signed: true, order: true }), RateLimited);
    assert.ok(rest.budgetDelayMs(1) > 0);
    const depth = await rest.call<{ lastUpdateId: number }>('GET', '/api/v3/depth', { symbol: 'BTCUSDT' });
    assert.equal(typeof depth.lastUpdateId, 'number');

    const nobody = new BinanceRest({ base: `http://127.0.0.1:${await freePort()}`, log: recordingLogger() });
    await assert.rejects(nobody.call('GET', '/api/v3/time'), (e: unknown) => e instanceof Unreachable && /cannot reach .*ECONNREFUSED/.test(e.message));
  });
});

describe('client order ids', () => {
  it('map to and from journal order ids, and refuse what is not ours', async () => {
    const { clientOrderIdOf, orderIdOf, ownerOf } = await import('../../src/gateway/binance/common/ids.js');
    for (const id of [1n, 42n, (0xdeadbeefn << 32n) | 7n, (1n << 64n) - 1n]) {
      const c = clientOrderIdOf(id);
      assert.match(c, /^[A-Za-z0-9_-]{1,36}$/);
      assert.equal(orderIdOf(c), id);
    }
    assert.equal(ownerOf((0xdeadbeefn << 32n) | 7n), 0xdeadbeef);
    for (const other of ['', 'kf', 'web_123', 'KF12', 'kf-1', 'kf' + 'z'.repeat(14), 'x'.repeat(36)]) assert.equal(orderIdOf(other), undefined, other);
    assert.throws(() => clientOrderIdOf(0n));
    assert.throws(() => clientOrderIdOf(1n << 64n));
  });
});

describe('HMAC credentials', () => {
  it("sign as Binance's published test vector, and as node's createHmac for keys of every length", async () => {
    const { createHmac } = await import('node:crypto');
    const c = hmacCredentials('key', 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j');
    assert.equal(c.sign('symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559'), 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71');
    for (const secret of ['s', 'x'.repeat(64), 'y'.repeat(65), 'ünïcødé-secret', 'z'.repeat(300)]) {
      const signer = hmacCredentials('k', secret);
      for (const payload of ['', 'a=1', 'é'.repeat(100)]) assert.equal(signer.sign(payload), createHmac('sha256', secret).update(payload, 'utf8').digest('hex'), `${secret.length}-character key`);
    }
    assert.ok(!JSON.stringify(c).includes('NhqP'), 'the secret is in no property');
  });
});
