/**
 * The market streams and WS API methods of issue 14, through the `binance` SDK's WebsocketClient
 * and WebsocketAPIClient: `@depth@1000ms` and `@depth5@1000ms` (the SDK's default names),
 * `@miniTicker`, `!miniTicker@arr`, `@ticker_1h`, `@avgPrice`; `!bookTicker` refused as an
 * invalid stream name (Binance retired it); `trades.historical`, `uiKlines`, `ticker`,
 * `ticker.tradingDay`, `ticker.price` with rateLimits; `session.status`/`session.logout`.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebsocketAPIClient, WebsocketClient } from 'binance';
import { ed25519Signature, wsApiPayload } from '../../src/sim/api/signing.js';
import { startSimServer } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';
import { DAY, restClient, connectWs } from './sim-client.js';

const ed = generateKeyPairSync('ed25519');
const ED_ACCOUNT = { name: 'ed', apiKey: 'ed-key-0001', ed25519PublicKey: ed.publicKey, makerCommission: 10, takerCommission: 10 };
let server: Server;
let port = 0;
/**
 * The sim's clock: real time, moved back to just after this UTC day's start, so no midnight falls
 * inside the test (the trading-day ticker restarts at midnight). Signed requests use it too.
 */
const shift = Math.floor(Date.now() / DAY) * DAY + 1000 - Date.now();
const simNow = () => Date.now() + shift;
before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, accounts: [ED_ACCOUNT], now: simNow }));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const http = () => restClient(`http://127.0.0.1:${port}`, undefined, simNow);
const limit = (side: string, quantity: string, price: string) =>
  http().signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side, type: 'LIMIT', timeInForce: 'GTC', quantity, price, selfTradePreventionMode: 'NONE' });

const connect = (path: string) => connectWs(port, path);

describe('sim streams and WS API methods of issue 14', { timeout: 60_000 }, () => {
  it('depth@1000ms, depth5@1000ms, miniTicker, !miniTicker@arr, ticker_1h and avgPrice follow the trades', async () => {
    const ws = new WebsocketClient({ wsUrl: `ws://127.0.0.1:${port}`, beautify: false });
    const got: { stream: string; data: any }[] = [];
    // The SDK unwraps combined-stream events, an object keeping the stream's name in streamName.
    ws.on('message', (msg: any) => got.push(Array.isArray(msg) ? { stream: '!miniTicker@arr', data: msg } : { stream: msg?.streamName ?? msg?.stream, data: msg?.data ?? msg }));
    await ws.subscribeSpotDiffBookDepth('BTCUSDT'); // the SDK's default name: btcusdt@depth@1000ms
    // The rest in one SUBSCRIBE (a connection takes at most 5 messages a second).
    await ws.subscribe(['btcusdt@depth5@1000ms', 'btcusdt@miniTicker', '!miniTicker@arr', 'btcusdt@ticker_1h', 'btcusdt@avgPrice'], 'main');
    try {
      for (const [side, qty, price] of [['SELL', '0.01', '60000'], ['BUY', '0.01', '60000'], ['SELL', '0.02', '60500'], ['BUY', '0.02', '60500'], ['BUY', '0.03', '59000']] as const) {
        assert.equal((await limit(side, qty, price)).status, 200);
      }
      const book = (await http().get('/api/v3/depth', { symbol: 'BTCUSDT', limit: '5' })).body;
      const on = (stream: string, pred: (d: any) => boolean) => waitFor(stream, () => got.find((m) => m.stream === stream && pred(m.data)), 15_000);
      const diff = await on('btcusdt@depth@1000ms', (d) => d.u >= book.lastUpdateId);
      assert.equal(diff.data.e, 'depthUpdate');
      const partial = await on('btcusdt@depth5@1000ms', (d) => d.lastUpdateId === book.lastUpdateId);
      assert.deepEqual([partial.data.bids, partial.data.asks], [book.bids, book.asks]);
      const mini = await on('btcusdt@miniTicker', (d) => d.v === '0.03000000');
      const { e, s, c, o, h, l, v, q } = mini.data;
      assert.deepEqual({ e, s, c, o, h, l, v, q }, { e: '24hrMiniTicker', s: 'BTCUSDT', c: '60500.00000000', o: '60000.00000000', h: '60500.00000000', l: '60000.00000000', v: '0.03000000', q: '1810.00000000' });
      const arr = await on('!miniTicker@arr', (d) => Array.isArray(d) && d.some((t: any) => t.v === '0.03000000'));
      assert.deepEqual(arr.data.map((t: any) => [t.s, t.c]), [['BTCUSDT', '60500.00000000']], 'only the symbol that traded');
      const hour = await on('btcusdt@ticker_1h', (d) => d.n === 2);
      assert.deepEqual([hour.data.e, hour.data.o, hour.data.c, hour.data.v, hour.data.h, hour.data.O % 60_000], ['1hTicker', '60000.00000000', '60500.00000000', '0.03000000', '60500.00000000', 0]);
      const avg = (await http().get('/api/v3/avgPrice', { symbol: 'BTCUSDT' })).body;
      const streamed = await on('btcusdt@avgPrice', (d) => d.w === avg.price);
      assert.deepEqual([streamed.data.e, streamed.data.s, streamed.data.i, streamed.data.T], ['avgPrice', 'BTCUSDT', '5m', avg.closeTime]);
    } finally {
      ws.closeAll();
    }
  });

  it('!bookTicker is an invalid stream name, as on Binance since it was retired', async () => {
    const { ws, messages } = await connect('/ws');
    ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['!bookTicker'], id: 1 }));
    ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@ticker_2h'], id: 2 }));
    ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 3 }));
    await waitFor('three answers', () => messages.length >= 3);
    assert.deepEqual(messages, [
      { error: { code: 2, msg: 'Invalid request: invalid stream name "!bookTicker"' }, id: 1 },
      { error: { code: 2, msg: 'Invalid request: invalid stream name "btcusdt@ticker_2h"' }, id: 2 },
      { result: [], id: 3 },
    ]);
    ws.close();
  });

  it('trades.historical, uiKlines, ticker, ticker.tradingDay and ticker.price answer with rateLimits', async () => {
    const api = new WebsocketAPIClient({ wsUrl: `ws://127.0.0.1:${port}`, beautify: false } as never);
    try {
      const recent = (await http().get('/api/v3/trades', { symbol: 'BTCUSDT' })).body as any[];
      const hist = await api.getSpotHistoricalTrades({ symbol: 'BTCUSDT', fromId: recent[1].id });
      assert.deepEqual(hist.result, recent.slice(1));
      assert.equal(hist.rateLimits?.find((r: any) => r.rateLimitType === 'REQUEST_WEIGHT')?.limit, 6000);
      const ui = await api.getSpotUIKlines({ symbol: 'BTCUSDT', interval: '1m' });
      assert.deepEqual(ui.result, (await http().get('/api/v3/klines', { symbol: 'BTCUSDT', interval: '1m' })).body);
      const rolling = (await api.getSpotTicker({ symbols: ['BTCUSDT', 'ETHUSDT'], windowSize: '1h' } as never)).result as any[];
      assert.deepEqual(rolling.map((t) => [t.symbol, t.volume, t.count]), [['BTCUSDT', '0.03000000', 2], ['ETHUSDT', '0.00000000', 0]]);
      const day = (await api.getSpotTradingDayTicker({ symbol: 'BTCUSDT', type: 'MINI' } as never)).result as any;
      assert.deepEqual([day.volume, day.count, 'priceChange' in day], ['0.03000000', 2, false]);
      const price = await api.getSpotSymbolPriceTicker({ symbol: 'BTCUSDT' });
      assert.deepEqual(price.result, { symbol: 'BTCUSDT', price: '60500.00000000' });
    } finally {
      api.getWSClient().closeAll();
    }
  });

  it('session.status and session.logout: logon shows the key; logout forgets it and closes the session subscription only', async () => {
    const { ws, messages } = await connect('/ws-api/v3');
    const ask = async (id: string, method: string, params?: Record<string, unknown>) => {
      ws.send(JSON.stringify({ id, method, ...(params ? { params } : {}) }));
      return waitFor(id, () => messages.find((m) => m.id === id));
    };
    const signed = (params: Record<string, string | number>) => {
      const all = { apiKey: ED_ACCOUNT.apiKey, timestamp: simNow(), ...params };
      return { ...all, signature: ed25519Signature(ed.privateKey, wsApiPayload(all)) };
    };
    const fresh = (await ask('s0', 'session.status')).result;
    assert.deepEqual([fresh.apiKey, fresh.authorizedSince, fresh.userDataStream, fresh.returnRateLimits], [null, null, false, true]);
    const logon = (await ask('l1', 'session.logon', signed({}))).result;
    assert.equal(logon.apiKey, ED_ACCOUNT.apiKey);
    assert.equal((await ask('u1', 'userDataStream.subscribe')).result.subscriptionId, 0);
    assert.equal((await ask('u2', 'userDataStream.subscribe.signature', signed({}))).status, 400, 'one subscription per account');
    const status = (await ask('s1', 'session.status')).result;
    assert.deepEqual([status.apiKey, status.authorizedSince, status.connectedSince, status.userDataStream], [ED_ACCOUNT.apiKey, logon.authorizedSince, fresh.connectedSince, true]);
    const out = (await ask('o1', 'session.logout')).result;
    assert.deepEqual([out.apiKey, out.authorizedSince, out.userDataStream], [null, null, false]);
    assert.deepEqual((await ask('q1', 'session.subscriptions')).result, []);
    // A .signature subscription survives a logout.
    assert.equal((await ask('u3', 'userDataStream.subscribe.signature', signed({}))).result.subscriptionId, 1);
    await ask('l2', 'session.logon', signed({}));
    await ask('o2', 'session.logout');
    assert.deepEqual((await ask('q2', 'session.subscriptions')).result, [{ subscriptionId: 1 }]);
    assert.equal((await ask('a1', 'account.status')).error.code, -2014, 'after logout, signed methods need their key and signature again');
    ws.close();
  });
});
