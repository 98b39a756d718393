/**
 * The WS API session against kfc sim: the user data stream, -1021 (clock) resynced and retried
 * once, a session that closes mid-request (the outcome is unknown, never a refusal), and the
 * rate-limit figures shared with REST.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { hmacCredentials } from '../../src/gateway/binance/common/credentials.js';
import { BinanceApiError, UnknownOutcome, Unreachable } from '../../src/gateway/binance/common/errors.js';
import { BinanceRest } from '../../src/gateway/binance/common/rest.js';
import { WsApiSession } from '../../src/gateway/binance/td/ws-api.js';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { recordingLogger, waitFor } from '../helpers.js';

let server: Server;
let port = 0;
const admin = (path: string) => fetch(`http://127.0.0.1:${port}/admin/${path}`, { method: 'POST' }).then((r) => r.json());

before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false }));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function session(opts: { secret?: string; url?: string } = {}) {
  const log = recordingLogger();
  const credentials = hmacCredentials(DEMO_ACCOUNT.apiKey, opts.secret ?? DEMO_ACCOUNT.hmacSecret!);
  const rest = new BinanceRest({ base: `http://127.0.0.1:${port}`, credentials, log });
  const events: Record<string, unknown>[] = [];
  const closes: string[] = [];
  const s = new WsApiSession({ url: opts.url ?? `ws://127.0.0.1:${port}/ws-api/v3`, credentials, rest, log, onEvent: (e) => events.push(e), onClose: (r) => closes.push(r) });
  after(() => s.close());
  return { s, rest, log, events, closes };
}

describe('WS API session (against kfc sim)', () => {
  it('a URL that is not a WebSocket endpoint, or where nothing listens: start() is Unreachable, saying which, and the session is closed', async () => {
    const web = createServer((_req, res) => res.writeHead(404).end('not here')).listen(0, '127.0.0.1');
    after(() => web.close());
    await new Promise((r) => web.once('listening', r));
    const notWs = session({ url: `ws://127.0.0.1:${(web.address() as { port: number }).port}/ws-api/v3` });
    await assert.rejects(notWs.s.start(), (e: Error) => e instanceof Unreachable && /answered HTTP 404 to the upgrade$/.test(e.message));
    assert.equal(notWs.s.open, false);
    assert.deepEqual(notWs.closes, [], 'start() says why; onClose is for sessions that were open');
    const nobody = session({ url: 'ws://127.0.0.1:1/ws-api/v3' });
    await assert.rejects(nobody.s.start(), (e: Error) => e instanceof Unreachable && /^cannot reach the WS API at ws:\/\/127\.0\.0\.1:1\/ws-api\/v3 \(ECONNREFUSED\)$/.test(e.message));
  });

  it('subscribes to the user data stream, places an order, and reads the rate limits into the shared budget', async () => {
    const { s, rest, events } = session();
    await s.start();
    assert.equal(s.open, true);
    const placed = await s.request<{ status: string }>('order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', price: '50000', quantity: '0.001', newClientOrderId: 'kfws1' }, { signed: true });
    assert.equal(placed.status, 'NEW');
    await waitFor('the executionReport', () => events.find((e) => e.e === 'executionReport' && e.c === 'kfws1'));
    assert.equal(rest.usage.orders10s, 1, 'ORDERS count from rateLimits');
    assert.ok(rest.usage.weight1m > 0);
    await s.request('order.cancel', { symbol: 'BTCUSDT', origClientOrderId: 'kfws1' }, { signed: true });
  });

  it('a clock off by more than recvWindow: -1021, resync over REST, one retry that succeeds', async () => {
    const { s, rest, log } = session();
    await s.start();
    rest.offsetMs = -60_000;
    const account = await s.request<{ balances: unknown[] }>('account.status', {}, { signed: true });
    assert.ok(Array.isArray(account.balances));
    assert.ok(Math.abs(rest.offsetMs) < 1000);
    assert.ok(log.messages().some((m) => /-1021.*resynced.*retrying account\.status once/.test(m)));
  });

  it('a refusal is a BinanceApiError with Binance\'s code; a wrong secret cannot subscribe', async () => {
    const { s } = session();
    await s.start();
    await assert.rejects(s.request('order.cancel', { symbol: 'BTCUSDT', origClientOrderId: 'nope' }, { signed: true }), (e: unknown) => e instanceof BinanceApiError && e.code === -2011 && e.message === 'Unknown order sent.');
    const bad = session({ secret: 'wrong' });
    await assert.rejects(bad.s.start(), (e: unknown) => e instanceof BinanceApiError && e.code === -1022);
  });

  it('the session closing mid-request: the outcome is unknown (the order exists), the close is reported once', async () => {
    const { s, closes } = session();
    await s.start();
    await admin('delay?count=1&ms=5000&api=ws');
    const placing = s.request('order.place', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', price: '50000', quantity: '0.001', newClientOrderId: 'kfws2' }, { signed: true });
    const outcome = placing.then(
      () => 'answered',
      (e: Error) => e,
    );
    await new Promise((r) => setImmediate(r));
    await waitFor('the order on the exchange', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/api/v3/ticker/bookTicker?symbol=BTCUSDT`);
      return ((await r.json()) as { bidPrice: string }).bidPrice === '50000.00000000';
    });
    await admin('drop-connections');
    const e = await outcome;
    assert.ok(e instanceof UnknownOutcome, String(e));
    assert.match(e.message, /^order\.place: the WS API session closed mid-request \(the WS API closed the connection \(code \d+\)\): the outcome is unknown$/);
    await waitFor('the close reported', () => closes.length === 1);
    await assert.rejects(s.request('ping', {}), Unreachable, 'a closed session sends nothing');
  });
});
