/**
 * Conformance: the sim driven by an independent, widely used Binance client (the `binance` npm
 * SDK), with its REST base URL and WebSocket URL pointed at the sim. If the SDK cannot tell the
 * sim from Binance, neither can our gateways.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { MainClient, WebsocketClient } from 'binance';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';

let server: Server;
let port = 0;
let rest: MainClient;
before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0 }));
  port = (server.address() as { port: number }).port;
  rest = new MainClient({ api_key: DEMO_ACCOUNT.apiKey, api_secret: DEMO_ACCOUNT.hmacSecret!, baseUrl: `http://127.0.0.1:${port}`, disableTimeSync: true, beautifyResponses: false });
});
after(() => {
  server.closeAllConnections();
  server.close();
});

describe('conformance: the binance SDK against the sim', { timeout: 60_000 }, () => {
  it('places, queries and cancels orders, and reads balances over REST', async () => {
    const info = await rest.getExchangeInfo();
    assert.ok(info.symbols.some((s) => s.symbol === 'BTCUSDT'));
    const placed = (await rest.submitNewOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 0.01, price: 50000, newClientOrderId: 'sdk-1' })) as { orderId: number; status: string };
    assert.equal(placed.status, 'NEW');
    const queried = await rest.getOrder({ symbol: 'BTCUSDT', orderId: placed.orderId });
    assert.equal(queried.clientOrderId, 'sdk-1');
    const account = await rest.getAccountInformation();
    const usdt = account.balances.find((b) => b.asset === 'USDT')!;
    assert.deepEqual([String(usdt.free), String(usdt.locked)], ['99500.00000000', '500.00000000']);
    const canceled = await rest.cancelOrder({ symbol: 'BTCUSDT', orderId: placed.orderId });
    assert.equal(canceled.status, 'CANCELED');
    await assert.rejects(rest.getOrder({ symbol: 'BTCUSDT', orderId: 424242 }), (err: any) => err.code === -2013 || err.body?.code === -2013);
  });

  it('subscribes to depth and trades and rebuilds a book equal to GET /depth', async () => {
    // The base URL, as for Binance's wss://stream.binance.com:9443: the SDK adds /stream itself.
    const ws = new WebsocketClient({ wsUrl: `ws://127.0.0.1:${port}`, beautify: false });
    const diffs: any[] = [];
    const trades: any[] = [];
    ws.on('message', (msg: any) => {
      const data = msg?.data ?? msg;
      if (data?.e === 'depthUpdate') diffs.push(data);
      if (data?.e === 'trade') trades.push(data);
    });
    await ws.subscribeSpotDiffBookDepth('BTCUSDT', 100);
    await ws.subscribeSpotTrades('BTCUSDT');
    const order = (side: 'BUY' | 'SELL', quantity: number, price: number) => rest.submitNewOrder({ symbol: 'BTCUSDT', side, type: 'LIMIT', timeInForce: 'GTC', quantity, price, selfTradePreventionMode: 'NONE' });
    await order('BUY', 0.01, 49000);
    await order('SELL', 0.02, 51000);
    const snapshot = await rest.getOrderBook({ symbol: 'BTCUSDT', limit: 1000 });
    await order('BUY', 0.01, 51000); // trades half of the 51000 ask
    await order('BUY', 0.03, 49500);
    const target = (await rest.getOrderBook({ symbol: 'BTCUSDT', limit: 1000 })).lastUpdateId;
    await waitFor('diffs through the last update', () => diffs.some((d) => d.u >= target));
    await waitFor('the trade', () => trades.length > 0);
    const book = { bids: new Map<string, string>(), asks: new Map<string, string>() };
    for (const [p, q] of snapshot.bids) book.bids.set(String(p), String(q));
    for (const [p, q] of snapshot.asks) book.asks.set(String(p), String(q));
    let local = snapshot.lastUpdateId;
    for (const d of diffs) {
      if (d.u <= local) continue;
      assert.ok(d.U <= local + 1, 'no gap');
      for (const [side, levels] of [['bids', d.b], ['asks', d.a]] as const) {
        for (const [p, q] of levels as string[][]) {
          if (Number(q) === 0) book[side].delete(p!);
          else book[side].set(p!, q!);
        }
      }
      local = d.u;
    }
    const now = await rest.getOrderBook({ symbol: 'BTCUSDT', limit: 1000 });
    const norm = (levels: [unknown, unknown][]) => levels.map(([p, q]) => [String(p), String(q)]);
    const sorted = (m: Map<string, string>, desc: boolean) => [...m].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));
    assert.equal(local, now.lastUpdateId);
    assert.deepEqual(sorted(book.bids, true), norm(now.bids as [unknown, unknown][]));
    assert.deepEqual(sorted(book.asks, false), norm(now.asks as [unknown, unknown][]));
    assert.deepEqual([trades[0].p, trades[0].q], ['51000.00000000', '0.01000000']);
    ws.closeAll(true);
  });
});
