import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { parseDecimal as d } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import { BTCUSDT } from './specs.js';
import { RestApi, type SimAccount } from '../../src/sim/api/rest.js';
import { ed25519Signature, hmacSignature } from '../../src/sim/api/signing.js';

const SPEC = BTCUSDT;

const ed = generateKeyPairSync('ed25519');
const HMAC: SimAccount = { name: 'hmac', apiKey: 'hmac-key', hmacSecret: 'hmac-secret', makerCommission: 10, takerCommission: 10 };
const ED: SimAccount = { name: 'ed', apiKey: 'ed-key', ed25519PublicKey: ed.publicKey, makerCommission: 10, takerCommission: 10 };

let server: Server;
let base = '';

before(async () => {
  const engine = new MatchingEngine([SPEC], { makerRate: d('0.001'), takerRate: d('0.001') });
  for (const a of [HMAC, ED]) {
    engine.deposit(a.name, 'BTC', d('1'));
    engine.deposit(a.name, 'USDT', d('100000'));
  }
  const api = new RestApi({ engine, accounts: [HMAC, ED], weightLimit: 6000 });
  server = createServer((req, res) => {
    if (!api.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

interface Call {
  status: number;
  body: any;
  headers: Headers;
}

async function call(method: string, path: string, init: { query?: string; body?: string; key?: string } = {}): Promise<Call> {
  const res = await fetch(`${base}${path}${init.query ? `?${init.query}` : ''}`, {
    method,
    headers: { ...(init.key ? { 'X-MBX-APIKEY': init.key } : {}), ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(init.body ? { body: init.body } : {}),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** A signed call the way Binance clients make it: params in the query, signature last. */
function signed(method: string, path: string, params: Record<string, string>, account: SimAccount = HMAC, privateKey?: KeyObject): Promise<Call> {
  const query = new URLSearchParams({ ...params, timestamp: params.timestamp ?? String(Date.now()) }).toString();
  const signature = account.hmacSecret ? hmacSignature(account.hmacSecret, query) : ed25519Signature(privateKey!, query);
  return call(method, path, { query: `${query}&signature=${encodeURIComponent(signature)}`, key: account.apiKey });
}

const error = (c: Call) => [c.status, c.body.code, c.body.msg];

describe('sim REST API', () => {
  it('answers public endpoints', async () => {
    assert.deepEqual((await call('GET', '/api/v3/ping')).body, {});
    const time = (await call('GET', '/api/v3/time')).body.serverTime;
    assert.ok(Math.abs(time - Date.now()) < 5000);
    const info = (await call('GET', '/api/v3/exchangeInfo')).body;
    assert.equal(info.symbols[0].symbol, 'BTCUSDT');
    assert.deepEqual(info.symbols[0].filters[0], { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' });
    assert.equal(info.rateLimits[0].rateLimitType, 'REQUEST_WEIGHT');
    const depth = await call('GET', '/api/v3/depth', { query: 'symbol=BTCUSDT&limit=5' });
    assert.deepEqual(depth.body, { lastUpdateId: 0, bids: [], asks: [] });
    assert.ok(Number(depth.headers.get('x-mbx-used-weight-1m')) > 0);
    assert.deepEqual(error(await call('GET', '/api/v3/depth', { query: 'symbol=NOPE' })), [400, -1121, 'Invalid symbol.']);
  });

  it('places, queries, cancels orders and reports balances and trades (HMAC and Ed25519 keys)', async () => {
    const sell = await signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.5', price: '60000', newClientOrderId: 'sell-1' });
    assert.equal(sell.status, 200, JSON.stringify(sell.body));
    assert.equal(sell.body.status, 'NEW');
    assert.equal(sell.body.clientOrderId, 'sell-1');
    assert.equal(sell.body.origQty, '0.50000000');
    assert.deepEqual(sell.body.fills, []);
    const q = await signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'sell-1' });
    assert.equal(q.body.orderId, sell.body.orderId);
    assert.equal(q.body.isWorking, true);
    const buy = await signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.2' }, ED, ed.privateKey);
    assert.equal(buy.status, 200, JSON.stringify(buy.body));
    assert.equal(buy.body.status, 'FILLED');
    assert.deepEqual(buy.body.fills.map((f: any) => [f.price, f.qty, f.commission, f.commissionAsset]), [['60000.00000000', '0.20000000', '0.00020000', 'BTC']]);
    const acct = (await signed('GET', '/api/v3/account', {})).body;
    const usdt = acct.balances.find((b: any) => b.asset === 'USDT');
    const btc = acct.balances.find((b: any) => b.asset === 'BTC');
    assert.deepEqual([btc.free, btc.locked], ['0.50000000', '0.30000000']);
    assert.deepEqual([usdt.free, usdt.locked], ['111988.00000000', '0.00000000']); // 100000 + 12000 - 0.1%
    const trades = (await signed('GET', '/api/v3/myTrades', { symbol: 'BTCUSDT' })).body;
    assert.deepEqual(trades.map((t: any) => [t.qty, t.quoteQty, t.isMaker, t.isBuyer]), [['0.20000000', '12000.00000000', true, false]]);
    const open = (await signed('GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).body;
    assert.equal(open.length, 1);
    assert.equal(open[0].status, 'PARTIALLY_FILLED');
    const cancel = await signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(sell.body.orderId) });
    assert.equal(cancel.body.status, 'CANCELED');
    assert.deepEqual(error(await signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(sell.body.orderId) })), [400, -2011, 'Unknown order sent.']);
    assert.deepEqual(error(await signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', orderId: '999' })), [400, -2013, 'Order does not exist.']);
    assert.deepEqual((await signed('POST', '/api/v3/order/test', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' })).body, {});
  });

  it('enforces Binance\'s security with its codes', async () => {
    const query = `symbol=BTCUSDT&timestamp=${Date.now()}`;
    assert.deepEqual(error(await call('GET', '/api/v3/openOrders', { query })), [401, -2014, 'API-key format invalid.']);
    assert.deepEqual(error(await call('GET', '/api/v3/openOrders', { query, key: 'nope' })), [401, -2015, 'Invalid API-key, IP, or permissions for action.']);
    assert.deepEqual(error(await call('GET', '/api/v3/openOrders', { query, key: HMAC.apiKey })), [400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."]);
    assert.deepEqual(error(await call('GET', '/api/v3/openOrders', { query: `${query}&signature=00ff`, key: HMAC.apiKey })), [400, -1022, 'Signature for this request is not valid.']);
    assert.deepEqual(error(await signed('GET', '/api/v3/openOrders', { timestamp: String(Date.now() - 10_000) })), [400, -1021, 'Timestamp for this request is outside of the recvWindow.']);
    assert.deepEqual(error(await signed('GET', '/api/v3/openOrders', { timestamp: String(Date.now() + 5_000) })), [400, -1021, 'Timestamp for this request is outside of the recvWindow.']);
    assert.equal((await signed('GET', '/api/v3/openOrders', { timestamp: String(Date.now() - 10_000), recvWindow: '20000' })).status, 200);
    assert.deepEqual(error(await call('GET', '/api/v3/account', { query: 'signature=x', key: HMAC.apiKey })), [400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."]);
    // Signed with the other account's key: not valid.
    assert.deepEqual(error(await signed('GET', '/api/v3/account', {}, { ...HMAC, apiKey: ED.apiKey })), [400, -1022, 'Signature for this request is not valid.']);
  });

  it('counts request weight and answers 429 with Retry-After past the limit', async () => {
    const engine = new MatchingEngine([SPEC], { makerRate: 0n, takerRate: 0n });
    const api = new RestApi({ engine, accounts: [], weightLimit: 30 });
    const small = createServer((req, res) => void api.handle(req, res));
    await new Promise<void>((resolve) => small.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(small.address() as { port: number }).port}/api/v3/exchangeInfo`;
    try {
      const first = await fetch(url);
      assert.equal(first.headers.get('x-mbx-used-weight-1m'), '20');
      await first.json();
      const second = await fetch(url);
      assert.equal(second.status, 429);
      assert.equal(((await second.json()) as { code: number }).code, -1003);
      assert.ok(Number(second.headers.get('retry-after')) >= 1);
      assert.equal(second.headers.get('x-mbx-used-weight-1m'), '40');
    } finally {
      small.closeAllConnections();
      small.close();
    }
  });

  it('rejects malformed parameters with Binance\'s messages', async () => {
    const order = (p: Record<string, string>) => signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '100', ...p });
    assert.deepEqual(error(await order({ side: 'UP' })), [400, -1100, "Illegal characters found in parameter 'side'; legal range is '^(BUY|SELL)$'."]);
    assert.deepEqual(error(await order({ quantity: '1e3' })), [400, -1100, "Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."]);
    assert.deepEqual(error(await order({ quantity: '0.000000001' })), [400, -1111, "Parameter 'quantity' has too much precision."]);
    assert.deepEqual(error(await signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '100' })), [400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."]);
    assert.deepEqual(error(await order({ price: '100.001' })), [400, -1013, 'Filter failure: PRICE_FILTER']);
    assert.deepEqual(error(await order({ quantity: '5000', price: '100' })), [400, -2010, 'Account has insufficient balance for requested action.']);
    assert.deepEqual(error(await order({ colour: 'blue' })), [400, -1104, "Not all sent parameters were read; read '8' parameter(s) but was sent '9'."]);
    assert.deepEqual(error(await call('GET', '/api/v3/depth', { query: 'symbol=BTCUSDT&limit=abc' })), [400, -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."]);
    assert.deepEqual(error(await call('GET', '/api/v3/depth', { query: 'symbol=BTCUSDT&limit=5&limit=6' })), [400, -1101, 'Duplicate values for a parameter detected.']);
  });

  it('answers a table of hostile parameters, in the query and in the body, with Binance\'s code: never a 500', async () => {
    const big = 'x'.repeat(10_000);
    const table: [Record<string, string>, number][] = [
      [{ quantity: '1e400' }, -1100], [{ quantity: 'NaN' }, -1100], [{ quantity: 'Infinity' }, -1100], [{ quantity: '-1' }, -1100],
      [{ quantity: '' }, -1102], [{ quantity: '99999999999999999999' }, -1100], [{ quantity: '12345678901234567890.12345678' }, -1100], [{ quantity: '1.12345678901234567890' }, -1111],
      [{ quantity: '0.000000001' }, -1111], [{ quantity: '１' }, -1100], [{ quantity: big }, -1100], [{ quantity: '0.1.2' }, -1100], [{ quantity: ' 1' }, -1100],
      [{ quantity: '0' }, -1013], [{ price: '0' }, -1013], [{ price: '-0' }, -1100], [{ price: '99999999999999999999.99999999' }, -1100], [{ price: '1e3' }, -1100],
      [{ side: 'buy' }, -1100], [{ side: '' }, -1102], [{ side: 'ＢＵＹ' }, -1100], [{ side: big }, -1100],
      [{ symbol: big }, -1121], [{ symbol: '' }, -1102], [{ symbol: 'btcusdt' }, -1121], [{ symbol: 'BTC\u0000USDT' }, -1121],
      [{ type: 'STOP' }, -1100], [{ type: '' }, -1102], [{ timeInForce: 'GTX' }, -1100],
      [{ newClientOrderId: 'ü' }, -1100], [{ newClientOrderId: 'a'.repeat(37) }, -1100], [{ newClientOrderId: big }, -1100],
      [{ newOrderRespType: 'FAST' }, -1100], [{ selfTradePreventionMode: 'DECREMENT' }, -1013], [{ selfTradePreventionMode: 'nope' }, -1100],
      [{ recvWindow: '99999999999999999999' }, -1131], [{ recvWindow: 'NaN' }, -1131], [{ recvWindow: '-1' }, -1131],
      [{ timestamp: '1e12' }, -1102], [{ timestamp: '99999999999999999999' }, -1102], [{ timestamp: '-5' }, -1102], [{ timestamp: big }, -1102],
      [{ ['ü']: '1' }, -1104], [{ ['']: '1' }, -1104], [{ [big]: '1' }, -1104],
      [{ type: 'MARKET', timeInForce: '', price: '', quantity: '' }, -1102], [{ type: 'MARKET', timeInForce: '' }, -1106],
    ];
    const base: Record<string, string> = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '100' };
    for (const [override, code] of table) {
      const params = new URLSearchParams({ ...base, ...override, ...(override.timestamp === undefined ? { timestamp: String(Date.now()) } : {}) });
      for (const k of Object.keys(override)) if (override[k] === '' && base[k] === undefined) params.delete(k);
      const text = params.toString();
      const signature = hmacSignature(HMAC.hmacSecret!, text);
      const inQuery = await call('POST', '/api/v3/order', { query: `${text}&signature=${signature}`, key: HMAC.apiKey });
      const inBody = await call('POST', '/api/v3/order', { body: `${text}&signature=${signature}`, key: HMAC.apiKey });
      const what = JSON.stringify(override).slice(0, 80);
      for (const [where, r] of [['query', inQuery], ['body', inBody]] as const) {
        assert.ok(r.status >= 400 && r.status < 500, `${what} in the ${where}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        assert.equal(r.body.code, code, `${what} in the ${where}: ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }
    // Duplicates in one place are -1101; in query and body, the query's value wins (as on Binance).
    const ts = String(Date.now());
    const dup = `symbol=BTCUSDT&side=BUY&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.1&price=100&timestamp=${ts}`;
    assert.deepEqual(error(await call('POST', '/api/v3/order', { query: `${dup}&signature=${hmacSignature(HMAC.hmacSecret!, dup)}`, key: HMAC.apiKey })), [400, -1101, 'Duplicate values for a parameter detected.']);
    const query = `symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=99000&selfTradePreventionMode=NONE&timestamp=${ts}`;
    const body = `side=NONSENSE&price=abc&quantity=${'9'.repeat(30)}`;
    const wins = await call('POST', '/api/v3/order', { query, body: `${body}&signature=${hmacSignature(HMAC.hmacSecret!, query + body)}`, key: HMAC.apiKey });
    assert.equal(wins.status, 200, JSON.stringify(wins.body));
    assert.deepEqual([wins.body.side, wins.body.price, wins.body.origQty], ['SELL', '99000.00000000', '0.01000000']);
    await signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: String(wins.body.orderId) });
    const loses = `symbol=BTCUSDT&side=NONSENSE&type=LIMIT&timeInForce=GTC&quantity=0.01&price=99000&timestamp=${ts}`;
    const lost = await call('POST', '/api/v3/order', { query: loses, body: `side=SELL&signature=${hmacSignature(HMAC.hmacSecret!, loses + 'side=SELL')}`, key: HMAC.apiKey });
    assert.equal(lost.body.code, -1100, 'the query\'s bad value is the one read');
    // A signature with a broken escape, a body past 64 kB.
    const broken = await call('GET', '/api/v3/account', { query: `timestamp=${Date.now()}&signature=%E0%A4%A`, key: HMAC.apiKey });
    assert.deepEqual([broken.status, broken.body.code], [400, -1022]);
    const huge = await call('POST', '/api/v3/order', { body: 'x='.padEnd(100_000, 'y'), key: HMAC.apiKey });
    assert.deepEqual([huge.status, huge.body.code], [413, -1104]);
  });
});
