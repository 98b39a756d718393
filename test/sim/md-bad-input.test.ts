/**
 * Bad input to the market data endpoints and methods of issue 14, as tables: each missing or
 * malformed parameter answers Binance's code with its HTTP status (never a 500), over REST and the
 * WS API; operations Binance has and the sim does not serve answer -1020.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startSimServer } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';

let server: Server;
let port = 0;
before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, weightLimit: 1_000_000 }));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const many = JSON.stringify(Array.from({ length: 101 }, (_, i) => `SYM${i}`));
/** [path, query, HTTP status, code] */
const REST: [string, string, number, number][] = [
  ['ticker/price', 'symbol=NOPE', 400, -1121],
  ['ticker/price', 'symbol=BTCUSDT&symbols=["ETHUSDT"]', 400, -1128],
  ['ticker/price', 'symbols=BTCUSDT', 400, -1100],
  ['ticker/price', 'symbols=["btcusdt"]', 400, -1100],
  ['ticker/price', 'symbols=["BTCUSDT","BTCUSDT"]', 400, -1151],
  ['ticker/price', 'symbols=["NOPE"]', 400, -1121],
  ['ticker/price', 'symbolStatus=OPEN', 400, -1122],
  ['ticker/price', 'symbol=BTCUSDT&symbolStatus=HALT', 400, -1220],
  ['ticker/bookTicker', 'symbols=[]', 400, -1102],
  ['ticker', '', 400, -1102],
  ['ticker', 'symbol=BTCUSDT&windowSize=60m', 400, -1100],
  ['ticker', 'symbol=BTCUSDT&windowSize=1d2h', 400, -1100],
  ['ticker', 'symbol=BTCUSDT&windowSize=8d', 400, -1100],
  ['ticker', 'symbol=BTCUSDT&type=BIG', 400, -1139],
  ['ticker', `symbols=${many}`, 400, -1101],
  ['ticker/tradingDay', 'type=MINI', 400, -1102],
  ['ticker/tradingDay', 'symbol=BTCUSDT&timeZone=15', 400, -1130],
  ['ticker/24hr', 'symbol=BTCUSDT&type=x', 400, -1139],
  ['uiKlines', 'symbol=BTCUSDT', 400, -1102],
  ['uiKlines', 'symbol=BTCUSDT&interval=7m', 400, -1120],
  ['uiKlines', 'symbol=BTCUSDT&interval=1m&limit=1001', 400, -1100],
  ['historicalTrades', '', 400, -1102],
  ['historicalTrades', 'symbol=BTCUSDT&fromId=-1', 400, -1100],
  ['historicalTrades', 'symbol=BTCUSDT&limit=abc', 400, -1100],
  ['historicalTrades', 'symbol=BTCUSDT&foo=1', 400, -1104],
  ['historicalTrades', 'symbol=BTCUSDT&limit=1&limit=2', 400, -1101],
  ['exchangeInfo', 'symbol=BTCUSDT&permissions=SPOT', 400, -1128],
  ['exchangeInfo', 'symbols=["BTCUSDT"]&symbolStatus=TRADING', 400, -1128],
  ['exchangeInfo', 'permissions=spot!', 400, -1100],
  ['exchangeInfo', 'showPermissionSets=maybe', 400, -1100],
  ['referencePrice', 'symbol=BTCUSDT', 400, -1020],
  ['myAllocations', '', 400, -1020],
  ['nonsense', '', 404, -1000],
];

/** [method, params, code] */
const WS: [string, Record<string, unknown>, number][] = [
  ['ticker.price', { symbol: 'NOPE' }, -1121],
  ['ticker.price', { symbols: 'BTCUSDT' }, -1100],
  ['ticker.price', { symbols: [1, 2] }, -1135],
  ['ticker.price', { symbols: ['BTCUSDT', 'BTCUSDT'] }, -1151],
  ['ticker.book', { symbol: 'BTCUSDT', symbols: ['ETHUSDT'] }, -1128],
  ['ticker', {}, -1102],
  ['ticker', { symbol: 'BTCUSDT', windowSize: '0m' }, -1100],
  ['ticker', { symbols: ['BTCUSDT'], type: 'mini' }, -1139],
  ['ticker.tradingDay', { symbol: 'BTCUSDT', timeZone: '+15:00' }, -1130],
  ['ticker.tradingDay', { symbol: 'BTCUSDT', symbolStatus: 'BREAK' }, -1220],
  ['ticker.24hr', { symbolStatus: 'x' }, -1122],
  ['uiKlines', { symbol: 'BTCUSDT', interval: '2s' }, -1120],
  ['trades.historical', { symbol: 'BTCUSDT', limit: 0 }, -1100],
  ['trades.historical', { limit: 5 }, -1102],
  ['trades.historical', { symbol: 'BTCUSDT', startTime: 1 }, -1104],
  ['session.status', { x: 1 }, -1104],
  ['exchangeInfo', { symbol: 'BTCUSDT', permissions: ['SPOT'] }, -1128],
  ['sor.order.place', {}, -1020],
  ['referencePrice', { symbol: 'BTCUSDT' }, -1020],
];

describe('bad input to the market data of issue 14', { timeout: 60_000 }, () => {
  it('REST: Binance codes and statuses, never a 500', async () => {
    for (const [path, query, status, code] of REST) {
      const res = await fetch(`http://127.0.0.1:${port}/api/v3/${path}${query ? `?${query}` : ''}`);
      const body = (await res.json()) as { code: number; msg: string };
      assert.deepEqual([res.status, body.code], [status, code], `${path}?${query}: ${body.msg}`);
      assert.ok(body.msg.length > 0 && !body.msg.includes('\n'), body.msg);
    }
  });

  it('WS API: the same codes, with status 400 and the session kept', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws-api/v3`);
    const answers = new Map<string, any>();
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      answers.set(m.id, m);
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    for (const [i, [method, params, code]] of WS.entries()) {
      ws.send(JSON.stringify({ id: `r${i}`, method, params }));
      const m = await waitFor(`answer to ${method}`, () => answers.get(`r${i}`));
      assert.deepEqual([m.status, m.error?.code], [400, code], `${method} ${JSON.stringify(params)}: ${m.error?.msg}`);
    }
    assert.equal(answers.get(`r${WS.length - 1}`).error.msg, 'This operation is not supported.');
    ws.close();
  });
});
