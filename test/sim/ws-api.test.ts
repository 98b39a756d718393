import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { SimAccount } from '../../src/sim/api/rest.js';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';
import { WsApiClient } from './sim-client.js';

const ed = generateKeyPairSync('ed25519');
const ED: SimAccount = { name: 'ed', apiKey: 'ed-key', ed25519PublicKey: ed.publicKey, makerCommission: 10, takerCommission: 10 };
let server: Server;
let port = 0;

before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, accounts: [ED], deposits: { ed: { USDT: '50000', BTC: '2' } } }));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const open = () => WsApiClient.open(`http://127.0.0.1:${port}`);

describe('sim WS API', { timeout: 60_000 }, () => {
  it('answers ping and time', async () => {
    const c = await open();
    const pong = await c.call('ping');
    assert.deepEqual([pong.id, pong.status, pong.result], ['r1', 200, {}]);
    assert.deepEqual(pong.rateLimits.map((l: any) => [l.rateLimitType, l.interval, l.limit]), [['REQUEST_WEIGHT', 'MINUTE', 6000]]);
    assert.ok(pong.rateLimits[0].count >= 3, 'the connection (2) and the ping (1) counted');
    assert.deepEqual(await c.call('ping', { returnRateLimits: false }), { id: 'r2', status: 200, result: {} });
    assert.ok(Math.abs((await c.call('time')).result.serverTime - Date.now()) < 5000);
    c.ws.close();
  });

  it('streams user data after userDataStream.subscribe.signature, for orders placed over WS or REST', async () => {
    const c = await open();
    const sub = await c.signed('userDataStream.subscribe.signature', {});
    assert.equal(sub.status, 200, JSON.stringify(sub));
    const subscriptionId = sub.result.subscriptionId;
    assert.equal(typeof subscriptionId, 'number');
    const placed = await c.signed('order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000', newClientOrderId: 'ws-1' });
    assert.equal(placed.status, 200, JSON.stringify(placed));
    assert.equal(placed.result.status, 'NEW');
    const report = await waitFor('an executionReport NEW', () => c.events('executionReport').find((m) => m.event.c === 'ws-1' && m.event.x === 'NEW'));
    assert.equal(report.subscriptionId, subscriptionId);
    assert.deepEqual([report.event.S, report.event.o, report.event.q, report.event.p, report.event.X, report.event.i], ['BUY', 'LIMIT', '0.01000000', '50000.00000000', 'NEW', placed.result.orderId]);
    const position = await waitFor('an outboundAccountPosition', () => c.events('outboundAccountPosition').at(-1));
    assert.deepEqual(position.event.B.find((b: any) => b.a === 'USDT'), { a: 'USDT', f: '99500.00000000', l: '500.00000000' });
    const status = await c.signed('order.status', { symbol: 'BTCUSDT', origClientOrderId: 'ws-1' });
    assert.equal(status.result.orderId, placed.result.orderId);
    assert.equal((await c.signed('openOrders.status', { symbol: 'BTCUSDT' })).result.length, 1);
    const canceled = await c.signed('order.cancel', { symbol: 'BTCUSDT', orderId: placed.result.orderId, newClientOrderId: 'ws-1-cancel' });
    assert.deepEqual([canceled.result.status, canceled.result.clientOrderId, canceled.result.origClientOrderId], ['CANCELED', 'ws-1-cancel', 'ws-1']);
    const cancelReport = await waitFor('an executionReport CANCELED', () => c.events('executionReport').find((m) => m.event.x === 'CANCELED'));
    assert.deepEqual([cancelReport.event.c, cancelReport.event.C], ['ws-1-cancel', 'ws-1'], "Binance's cancel report: c is the cancel's id, C the order's");
    const account = await c.signed('account.status', {});
    assert.equal(account.result.balances.find((b: any) => b.asset === 'USDT').free, '100000.00000000');
    c.ws.close();
  });

  it('session.logon (Ed25519) then userDataStream.subscribe; session-authenticated orders; fills reach both sides', async () => {
    const maker = await open();
    assert.equal((await maker.signed('userDataStream.subscribe.signature', {})).status, 200);
    const c = await open();
    const logon = await c.signed('session.logon', {}, ED, ed.privateKey);
    assert.equal(logon.status, 200, JSON.stringify(logon));
    assert.equal(logon.result.apiKey, ED.apiKey);
    assert.equal((await c.call('userDataStream.subscribe')).status, 200);
    assert.equal((await maker.signed('order.place', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '60000', newClientOrderId: 'mk' })).status, 200);
    const taken = await c.call('order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
    assert.equal(taken.status, 200, JSON.stringify(taken));
    assert.equal(taken.result.status, 'FILLED');
    const mine = await waitFor('the taker trade report', () => c.events('executionReport').find((m) => m.event.x === 'TRADE'));
    assert.deepEqual([mine.event.l, mine.event.L, mine.event.m, mine.event.N, mine.event.n], ['0.10000000', '60000.00000000', false, 'BTC', '0.00010000']);
    const theirs = await waitFor('the maker trade report', () => maker.events('executionReport').find((m) => m.event.x === 'TRADE'));
    assert.deepEqual([theirs.event.c, theirs.event.m, theirs.event.X, theirs.event.N], ['mk', true, 'FILLED', 'USDT']);
    assert.ok(!c.events('executionReport').some((m) => m.event.c === 'mk'), 'no one sees another account\'s orders');
    c.ws.close();
    maker.ws.close();
  });

  it('reports a self-trade prevention with Binance\'s fields', async () => {
    const c = await open();
    await c.signed('userDataStream.subscribe.signature', {});
    const maker = await c.signed('order.place', { symbol: 'ETHUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '3500', newClientOrderId: 'stp-maker' });
    const taker = await c.signed('order.place', { symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', quantity: '0.01', price: '3500', selfTradePreventionMode: 'EXPIRE_BOTH' });
    assert.equal(taker.result.status, 'EXPIRED_IN_MATCH', JSON.stringify(taker));
    const reports = await waitFor('two TRADE_PREVENTION reports', () => {
      const r = c.events('executionReport').filter((m) => m.event.x === 'TRADE_PREVENTION');
      return r.length === 2 ? r.map((m) => m.event) : undefined;
    });
    const [t, m] = [reports.find((e: any) => e.i === taker.result.orderId), reports.find((e: any) => e.i === maker.result.orderId)];
    assert.deepEqual([t.X, t.v, t.A, t.B, t.U, t.Cs, t.pl, t.pL, t.pY, t.l, t.L, t.Y, t.V], ['EXPIRED_IN_MATCH', 0, '0.01000000', '0.01000000', maker.result.orderId, 'ETHUSDT', '0.01000000', '3500.00000000', '35.00000000', '0.00000000', '0.00000000', '0.00000000', 'EXPIRE_BOTH']);
    assert.deepEqual([m.X, m.v, m.A, m.U, m.c], ['EXPIRED_IN_MATCH', 0, '0.01000000', taker.result.orderId, 'stp-maker']);
    c.ws.close();
  });

  it('applies request weight and -1104 as REST does, and answers any frame without crashing', async () => {
    const c = await open();
    const before = (await c.call('time')).rateLimits[0].count;
    const info = await c.call('exchangeInfo');
    assert.equal(info.rateLimits[0].count - before, 20, 'exchangeInfo weighs 20');
    assert.deepEqual((await c.call('ping', { colour: 'blue' })).error, { code: -1104, msg: "Not all sent parameters were read; read '0' parameter(s) but was sent '1'." });
    assert.equal((await c.signed('order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '1000', extra: 1 })).error.code, -1104);
    const odd: [string, unknown][] = [
      [JSON.stringify({ id: 'a1', method: 'order.place', params: { symbol: { nested: true } } }), 'a1'],
      [JSON.stringify({ id: 'a2', method: 'depth', params: { symbol: 'BTCUSDT', limit: 1e300 } }), 'a2'],
      [JSON.stringify({ id: 'a3', method: 'depth', params: { symbol: ['BTCUSDT'] } }), 'a3'],
      [JSON.stringify({ id: 'a4', method: 'klines', params: { symbol: 'BTCUSDT', interval: '1m', startTime: -1 } }), 'a4'],
      [JSON.stringify({ id: 'a5', method: 42 }), 'a5'],
      [JSON.stringify({ id: 'a6', method: 'time', params: 'x' }), 'a6'],
      [JSON.stringify({ id: 'x'.repeat(5000), method: 'time' }), null],
      [JSON.stringify({ id: { a: 1 }, method: 'time' }), null],
      ['{"id": 1e400, "method": "time"}', null],
      [JSON.stringify({ id: 'a7', method: 'order.cancel', params: { symbol: 'BTCUSDT', orderId: 99999999999999999999 } }), 'a7'],
      [JSON.stringify({ id: 'a8', method: 'toString' }), 'a8'],
      [JSON.stringify({ id: 'a9', method: '__proto__' }), 'a9'],
      ['[1,2,3]', null],
    ];
    for (const [text, id] of odd) {
      const r = await c.raw(text, id);
      assert.ok(r.status >= 400 && r.status < 500 && typeof r.error.code === 'number', `${text.slice(0, 60)}: ${JSON.stringify(r).slice(0, 200)}`);
      assert.ok(JSON.stringify(r).length < 1000, 'the answer does not echo a giant input');
    }
    assert.deepEqual((await c.call('ping', { returnRateLimits: false })).result, {});
    c.ws.close();
  });

  it('answers bad requests with Binance errors and stays up', async () => {
    const c = await open();
    assert.equal((await c.raw('{not json', null)).error.code, -1135);
    assert.equal((await c.raw(JSON.stringify({ id: 7, method: 'ping', params: [1] }), 7)).error.code, -1135);
    assert.deepEqual((await c.call('no.such.method')).error, { code: -1020, msg: "Unknown method: 'no.such.method'." });
    assert.equal((await c.call('userDataStream.subscribe')).error.code, -2015); // not logged on
    assert.equal((await c.signed('session.logon', {})).error.code, -4056); // HMAC keys cannot log on
    assert.equal((await c.call('order.place', { symbol: 'BTCUSDT' })).error.code, -2014);
    const bad = await c.call('account.status', { apiKey: DEMO_ACCOUNT.apiKey, timestamp: Date.now(), signature: 'f00d' });
    assert.deepEqual(bad.error, { code: -1022, msg: 'Signature for this request is not valid.' });
    assert.equal((await c.signed('order.place', { symbol: 'BTCUSDT', side: 'UP', type: 'LIMIT' })).error.code, -1100);
    assert.deepEqual((await c.call('ping')).result, {});
    c.ws.close();
  });
});
