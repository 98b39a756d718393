import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { hmacSignature } from '../../src/sim/api/signing.js';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';
import { connectWs } from './sim-client.js';

let server: Server;
let port = 0;
before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0 }));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function order(params: Record<string, string>): Promise<{ status: number; body: any }> {
  const query = new URLSearchParams({ symbol: 'BTCUSDT', selfTradePreventionMode: 'NONE', ...params, timestamp: String(Date.now()) }).toString();
  const res = await fetch(`http://127.0.0.1:${port}/api/v3/order?${query}&signature=${hmacSignature(DEMO_ACCOUNT.hmacSecret!, query)}`, {
    method: 'POST',
    headers: { 'X-MBX-APIKEY': DEMO_ACCOUNT.apiKey },
  });
  return { status: res.status, body: await res.json() };
}

const limit = (side: string, qty: string, price: string) => order({ side, type: 'LIMIT', timeInForce: 'GTC', quantity: qty, price });

/**
 * Binance closes a stream connection past 5 incoming messages a second (pings and pongs count): a
 * client sends at most 3 in any second, leaving room for heartbeat pongs.
 */
function pacer(perSecond = 3): () => Promise<void> {
  const sent: number[] = [];
  return async () => {
    for (;;) {
      while (sent.length > 0 && Date.now() - sent[0]! >= 1000) sent.shift();
      if (sent.length < perSecond) break;
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() - sent[0]!) + 10));
    }
    sent.push(Date.now());
  };
}

const connect = (path: string) => connectWs(port, path);

describe('sim market streams', { timeout: 60_000 }, () => {
  it('rebuilds a local order book from a snapshot and @depth@100ms diffs, equal to GET /depth', async () => {
    const { ws, messages } = await connect('/stream?streams=btcusdt@depth@100ms/btcusdt@trade/btcusdt@bookTicker');
    for (let i = 0; i < 5; i++) {
      assert.equal((await limit('BUY', '0.01', `${60000 - i * 10}`)).status, 200);
      assert.equal((await limit('SELL', '0.01', `${60100 + i * 10}`)).status, 200);
    }
    // The snapshot, taken while diffs are already buffered (Binance's procedure).
    const snapshot = (await (await fetch(`http://127.0.0.1:${port}/api/v3/depth?symbol=BTCUSDT&limit=1000`)).json()) as { lastUpdateId: number; bids: string[][]; asks: string[][] };
    await limit('BUY', '0.02', '60100'); // takes 0.01 at 60100; the rest bids at 60100
    await limit('SELL', '0.005', '59990'); // hits that bid: the buyer is the maker
    await limit('BUY', '0.03', '59995'); // below the best ask: rests

    const book = { bids: new Map(snapshot.bids.map(([p, q]) => [p!, q!])), asks: new Map(snapshot.asks.map(([p, q]) => [p!, q!])) };
    let local = snapshot.lastUpdateId;
    const target = ((await (await fetch(`http://127.0.0.1:${port}/api/v3/depth?symbol=BTCUSDT&limit=1000`)).json()) as { lastUpdateId: number }).lastUpdateId;
    await waitFor('diffs up to the last update', () => messages.some((m) => m.stream === 'btcusdt@depth@100ms' && m.data.u >= target));
    let applied = 0;
    for (const m of messages.filter((x) => x.stream === 'btcusdt@depth@100ms')) {
      const ev = m.data;
      assert.equal(ev.e, 'depthUpdate');
      assert.equal(ev.s, 'BTCUSDT');
      if (ev.u <= local) continue; // older than the snapshot
      assert.ok(ev.U <= local + 1, `no gap: U ${ev.U} after ${local}`);
      for (const [side, levels] of [['bids', ev.b], ['asks', ev.a]] as const) {
        for (const [p, q] of levels as string[][]) {
          if (Number(q) === 0) book[side].delete(p!);
          else book[side].set(p!, q!);
        }
      }
      local = ev.u;
      applied++;
    }
    assert.ok(applied > 0);
    const now = (await (await fetch(`http://127.0.0.1:${port}/api/v3/depth?symbol=BTCUSDT&limit=1000`)).json()) as { lastUpdateId: number; bids: string[][]; asks: string[][] };
    assert.equal(local, now.lastUpdateId);
    const sorted = (m: Map<string, string>, desc: boolean) => [...m].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0])));
    assert.deepEqual(sorted(book.bids, true), now.bids);
    assert.deepEqual(sorted(book.asks, false), now.asks);

    const trades = messages.filter((m) => m.stream === 'btcusdt@trade').map((m) => m.data);
    assert.deepEqual(trades.slice(0, 2).map((t) => [t.e, t.s, t.p, t.q, t.m]), [
      ['trade', 'BTCUSDT', '60100.00000000', '0.01000000', false],
      ['trade', 'BTCUSDT', '60100.00000000', '0.00500000', true],
    ]);
    const ticker = messages.filter((m) => m.stream === 'btcusdt@bookTicker').at(-1)!.data;
    assert.deepEqual([ticker.s, ticker.b, ticker.a], ['BTCUSDT', now.bids[0]![0], now.asks[0]![0]]);
    ws.close();
  });

  it('subscribes, unsubscribes and lists live; answers bad requests with Binance errors', async () => {
    const { ws, messages } = await connect('/ws/btcusdt@trade');
    const pace = pacer();
    const ask = async (body: string, id: number | null) => {
      await pace();
      const before = messages.length;
      ws.send(body);
      await waitFor(`an answer to ${body}`, () => messages.slice(before).find((m) => m.id === id && ('result' in m || 'error' in m)));
      return messages.slice(before).find((m) => m.id === id && ('result' in m || 'error' in m));
    };
    assert.deepEqual(await ask(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@depth5@100ms', 'ethusdt@trade'], id: 1 }), 1), { result: null, id: 1 });
    assert.deepEqual(await ask(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 2 }), 2), { result: ['btcusdt@trade', 'btcusdt@depth5@100ms', 'ethusdt@trade'], id: 2 });
    assert.deepEqual(await ask(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['ethusdt@trade'], id: 3 }), 3), { result: null, id: 3 });
    assert.deepEqual((await ask(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 4 }), 4)).result, ['btcusdt@trade', 'btcusdt@depth5@100ms']);
    assert.equal((await ask(JSON.stringify({ method: 'SUBSCRIBE', params: ['nosuch@trade'], id: 5 }), 5)).error.code, 2);
    assert.equal((await ask(JSON.stringify({ method: 'FROBNICATE', id: 6 }), 6)).error.code, 2);
    assert.equal((await ask('{not json', null)).error.code, 3);
    // Partial depth arrives once the book changes.
    await limit('BUY', '0.01', '59000');
    const partial = await waitFor('a partial depth message', () => messages.find((m) => Array.isArray(m.bids) && 'lastUpdateId' in m));
    assert.ok(partial.bids.length <= 5);
    ws.close();
  });
});
