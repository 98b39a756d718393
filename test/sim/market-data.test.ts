import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { hmacSignature } from '../../src/sim/api/signing.js';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';

let server: Server;
let base = '';
before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, orderLimit: 6 }));
  base = `127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function limit(side: string, qty: string, price: string): Promise<Response> {
  const query = `symbol=BTCUSDT&side=${side}&type=LIMIT&timeInForce=GTC&quantity=${qty}&price=${price}&selfTradePreventionMode=NONE&timestamp=${Date.now()}`;
  return fetch(`http://${base}/api/v3/order?${query}&signature=${hmacSignature(DEMO_ACCOUNT.hmacSecret!, query)}`, { method: 'POST', headers: { 'X-MBX-APIKEY': DEMO_ACCOUNT.apiKey } });
}
const get = async (path: string) => (await (await fetch(`http://${base}${path}`)).json()) as any;

describe('sim market data and order limits', { timeout: 60_000 }, () => {
  it('recent trades, 24h ticker, book ticker, the @ticker stream; order counts and -1015', async () => {
    const ws = new WebSocket(`ws://${base}/ws/btcusdt@ticker`);
    const tickers: any[] = [];
    ws.on('message', (d) => tickers.push(JSON.parse(d.toString())));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

    const counts: string[] = [];
    for (const [side, qty, price] of [['SELL', '0.01', '60000'], ['SELL', '0.01', '60100'], ['BUY', '0.01', '60000'], ['BUY', '0.01', '60100'], ['BUY', '0.01', '59000']]) {
      const res = await limit(side!, qty!, price!);
      assert.equal(res.status, 200);
      counts.push(res.headers.get('x-mbx-order-count-10s') ?? '');
      await res.arrayBuffer();
    }
    // Each order counts one more in its 10 s window (or 1, if a new window began meanwhile).
    counts.map(Number).forEach((c, i, all) => assert.ok(i === 0 ? c >= 1 : c === all[i - 1]! + 1 || c === 1, `counts ${counts}`));

    const trades = await get('/api/v3/trades?symbol=BTCUSDT&limit=10');
    assert.deepEqual(trades.map((t: any) => [t.price, t.qty, t.quoteQty, t.isBuyerMaker]), [
      ['60000.00000000', '0.01000000', '600.00000000', false],
      ['60100.00000000', '0.01000000', '601.00000000', false],
    ]);
    const t24 = await get('/api/v3/ticker/24hr?symbol=BTCUSDT');
    assert.deepEqual(
      [t24.openPrice, t24.highPrice, t24.lowPrice, t24.lastPrice, t24.volume, t24.quoteVolume, t24.priceChange, t24.priceChangePercent, t24.count],
      ['60000.00000000', '60100.00000000', '60000.00000000', '60100.00000000', '0.02000000', '1201.00000000', '100.00000000', '0.167', 2],
    );
    assert.equal(t24.weightedAvgPrice, '60050.00000000');
    assert.deepEqual(await get('/api/v3/ticker/bookTicker?symbol=BTCUSDT'), { symbol: 'BTCUSDT', bidPrice: '59000.00000000', bidQty: '0.01000000', askPrice: '0.00000000', askQty: '0.00000000' });
    assert.equal((await get('/api/v3/ticker/bookTicker')).length, 2, 'all symbols without symbol=');
    const streamed = await waitFor('a 24hrTicker event', () => tickers.find((m) => m.e === '24hrTicker' && m.n === 2));
    assert.deepEqual([streamed.s, streamed.o, streamed.c, streamed.v, streamed.b], ['BTCUSDT', '60000.00000000', '60100.00000000', '0.02000000', '59000.00000000']);
    ws.close();

    // Orders until the limit bites: the one after the 6th in a window is refused with -1015.
    let lastCount = '';
    for (let i = 0; i < 40; i++) {
      const res = await limit('BUY', '0.01', '58000');
      if (res.status === 429) {
        assert.deepEqual(await res.json(), { code: -1015, msg: 'Too many new orders; current limit is 6 orders per TEN_SECONDS.' });
        assert.equal(lastCount, '6');
        return;
      }
      assert.equal(res.status, 200);
      lastCount = res.headers.get('x-mbx-order-count-10s') ?? '';
      await res.arrayBuffer();
    }
    assert.fail('the order-count limit never applied');
  });
});
