/**
 * Aggregate trades, klines and the average price, over REST and streams; and the stream
 * connection's limits: 5 incoming messages a second, and an answer (never a crash) to any control
 * message.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startSimServer } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';
import { errorOf, restClient, connectWs } from './sim-client.js';

let server: Server;
let port = 0;
let api: ReturnType<typeof restClient>;
before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false }));
  port = (server.address() as { port: number }).port;
  api = restClient(`http://127.0.0.1:${port}`);
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const connect = (path: string) => connectWs(port, path);

const order = (p: Record<string, string>) => api.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', selfTradePreventionMode: 'NONE', ...p });

describe('sim candles and aggregate trades', { timeout: 60_000 }, () => {
  it('aggregates one taker\'s trades at one price; klines and avgPrice add up; the streams push them', async () => {
    const s = await connect('/stream?streams=btcusdt@aggTrade/btcusdt@kline_1s/btcusdt@kline_1m@%2B08:00'); // '+' encoded, as in any query string
    await order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '60000' });
    await order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.02', price: '60000' });
    await order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '60100' });
    const taken = (await order({ side: 'BUY', type: 'MARKET', quantity: '0.03' })).body; // two trades at 60000: one aggregate
    assert.equal(taken.fills.length, 2);
    await order({ side: 'BUY', type: 'MARKET', quantity: '0.01' }); // 60100

    const aggs = (await api.get('/api/v3/aggTrades', { symbol: 'BTCUSDT' })).body;
    assert.deepEqual(aggs.map((a: any) => [a.a, a.p, a.q, a.f, a.l, a.m, a.M]), [
      [0, '60000.00000000', '0.03000000', 1, 2, false, true],
      [1, '60100.00000000', '0.01000000', 3, 3, false, true],
    ]);
    assert.deepEqual((await api.get('/api/v3/aggTrades', { symbol: 'BTCUSDT', fromId: '1' })).body.map((a: any) => a.a), [1]);
    assert.deepEqual((await api.get('/api/v3/aggTrades', { symbol: 'BTCUSDT', limit: '1' })).body.map((a: any) => a.a), [1], 'the latest');
    assert.deepEqual((await api.get('/api/v3/aggTrades', { symbol: 'BTCUSDT', startTime: String(aggs[0].T), limit: '1' })).body.map((a: any) => a.a), [0], 'the oldest from startTime');

    // However the trades fall across kline boundaries, the klines add up to them.
    for (const [interval, timeZone] of [['1s', undefined], ['1m', undefined], ['1d', '+08:00'], ['1M', '-1:00'], ['1w', undefined], ['3d', '05:45']] as const) {
      const rows = (await api.get('/api/v3/klines', { symbol: 'BTCUSDT', interval, limit: '1000', ...(timeZone ? { timeZone } : {}) })).body as any[];
      const traded = rows.filter((k) => k[8] > 0);
      const sum = (i: number) => traded.reduce((s, k) => s + Number(k[i]), 0);
      assert.deepEqual([sum(5).toFixed(8), sum(7).toFixed(8), sum(8), sum(9).toFixed(8), sum(10).toFixed(8)], ['0.04000000', '2401.00000000', 3, '0.04000000', '2401.00000000'], `${interval} ${timeZone ?? ''}`);
      assert.equal(Math.max(...traded.map((k) => Number(k[2]))), 60100);
      assert.equal(Math.min(...traded.map((k) => Number(k[3]))), 60000);
      for (const k of rows) assert.ok(k[6] > k[0] && k[11] === '0', `${interval}: close time after open time`);
    }
    assert.deepEqual(errorOf(await api.get('/api/v3/klines', { symbol: 'BTCUSDT', interval: '2m' })), [400, -1120, 'Invalid interval.']);
    assert.deepEqual(errorOf(await api.get('/api/v3/klines', { symbol: 'BTCUSDT', interval: '1h', timeZone: '+15:00' })), [400, -1130, "Data sent for parameter 'timeZone' is not valid."]);
    assert.deepEqual(errorOf(await api.get('/api/v3/klines', { symbol: 'BTCUSDT' }))[1], -1102);

    const avg = (await api.get('/api/v3/avgPrice', { symbol: 'BTCUSDT' })).body;
    assert.deepEqual([avg.mins, avg.price, avg.closeTime], [5, '60025.00000000', aggs[1].T]); // 2401 / 0.04

    const streamed = await waitFor('both aggregate trades', () => {
      const a = s.messages.filter((m) => m.stream === 'btcusdt@aggTrade');
      return a.length >= 2 ? a : undefined;
    });
    assert.deepEqual(streamed.map((m) => [m.data.e, m.data.s, m.data.a, m.data.q, m.data.f, m.data.l]), [['aggTrade', 'BTCUSDT', 0, '0.03000000', 1, 2], ['aggTrade', 'BTCUSDT', 1, '0.01000000', 3, 3]]);
    const closed = await waitFor('a closed 1s kline with the trades', () => s.messages.find((m) => m.stream === 'btcusdt@kline_1s' && m.data.k.x === true && m.data.k.n > 0));
    assert.deepEqual([closed.data.e, closed.data.k.i, closed.data.k.T - closed.data.k.t], ['kline', '1s', 999]);
    const zoned = await waitFor('a 1m kline in +08:00', () => s.messages.find((m) => m.stream === 'btcusdt@kline_1m@+08:00'));
    assert.equal(zoned.data.k.t % 60_000, 0);
    s.ws.close();
  });

  it('closes a stream connection past 5 incoming messages a second', async () => {
    const s = await connect('/ws/btcusdt@trade');
    for (let i = 0; i < 30; i++) s.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: i }));
    assert.equal(await s.closed, 1008);
    assert.ok(s.messages.filter((m) => 'result' in m).length <= 10, 'the flood was not served');
  });

  it('answers any control message with an error, and stays up', async () => {
    const s = await connect('/ws/btcusdt@trade');
    const odd = ['[]', '"text"', '1e400', 'null', '{"method":"SUBSCRIBE","params":"btcusdt@trade","id":1}', '{"method":"SUBSCRIBE","params":[{}],"id":2}', `{"method":"LIST_SUBSCRIPTIONS","id":{"a":1}}`, `{"method":"LIST_SUBSCRIPTIONS","id":"${'x'.repeat(1000)}"}`, '{"method":"LIST_SUBSCRIPTIONS","id":1e300}', `{"method":"${'M'.repeat(5000)}","id":3}`, '{"method":"SET_PROPERTY","params":["combined","yes"],"id":4}'];
    const sent: number[] = [];
    for (const text of odd) {
      // At most 3 a second (Binance closes past 5).
      while (sent.length >= 3 && Date.now() - sent[sent.length - 3]! < 1000) await new Promise((r) => setTimeout(r, 50));
      sent.push(Date.now());
      const before = s.messages.length;
      s.ws.send(text);
      await waitFor(`an answer to ${text.slice(0, 40)}`, () => s.messages.length > before);
      const answer = s.messages.at(-1);
      assert.ok('error' in answer || 'result' in answer, `${text.slice(0, 40)}: ${JSON.stringify(answer).slice(0, 200)}`);
      assert.ok(JSON.stringify(answer).length < 600, 'the answer does not echo a giant input');
    }
    assert.equal(s.ws.readyState, WebSocket.OPEN);
    s.ws.close();
  });
});
