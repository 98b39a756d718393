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
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0 }));
  base = `127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const admin = async (path: string) => {
  const res = await fetch(`http://${base}/admin/${path}`, { method: 'POST' });
  assert.equal(res.status, 200, await res.text());
};
const limit = async (side: string, qty: string, price: string) => {
  const query = `symbol=BTCUSDT&side=${side}&type=LIMIT&timeInForce=GTC&quantity=${qty}&price=${price}&selfTradePreventionMode=NONE&timestamp=${Date.now()}`;
  const res = await fetch(`http://${base}/api/v3/order?${query}&signature=${hmacSignature(DEMO_ACCOUNT.hmacSecret!, query)}`, { method: 'POST', headers: { 'X-MBX-APIKEY': DEMO_ACCOUNT.apiKey } });
  assert.equal(res.status, 200, await res.text());
};
async function socket(path: string): Promise<{ ws: WebSocket; messages: any[]; closed: Promise<void> }> {
  const ws = new WebSocket(`ws://${base}${path}`);
  const messages: any[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, messages, closed };
}

describe('sim fault injection', { timeout: 60_000 }, () => {
  it('answers the next N requests with 5xx or 429, then recovers', async () => {
    await admin('fail?count=2&status=503');
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`http://${base}/api/v3/ping`);
      assert.equal(r.status, 503);
      assert.equal(((await r.json()) as { code: number }).code, -1000);
    }
    assert.equal((await fetch(`http://${base}/api/v3/ping`)).status, 200);
    await admin('fail?count=1&status=429');
    const limited = await fetch(`http://${base}/api/v3/ping`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    await limited.arrayBuffer();
  });

  it('validates every admin parameter (400 with the reason) and keeps serving', async () => {
    const bad = ['fail?status=0', 'fail?status=99999', 'fail?status=200', 'fail?status=abc', 'fail?count=-1', 'fail?count=1e9', 'delay?ms=NaN', 'delay?ms=99999999999', 'pause-stream', 'pause-stream?stream=' + 'x'.repeat(10_000), 'pause-stream?stream=btcusdt%40trade&ms=-5', 'skip-depth?symbol=%00', 'nope'];
    for (const path of bad) {
      const res = await fetch(`http://${base}/admin/${path}`, { method: 'POST' });
      const body = (await res.json()) as { error: string };
      assert.equal(res.status, 400, `${path.slice(0, 40)}: ${JSON.stringify(body)}`);
      assert.match(body.error, /^[^\n]{5,200}$/, `${path.slice(0, 40)}: one line with the reason`);
    }
    // status=0 used to be stored and crash the next request: the sim still answers.
    assert.equal((await fetch(`http://${base}/api/v3/ping`)).status, 200);
  });

  it('refuses admin requests with a foreign Origin (no fault injection from a web page)', async () => {
    const fromPage = await fetch(`http://${base}/admin/fail?count=5&status=503`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    assert.equal(fromPage.status, 403);
    assert.match(((await fromPage.json()) as { error: string }).error, /origin/);
    const local = await fetch(`http://${base}/admin/fail?count=5&status=503`, { method: 'POST', headers: { origin: 'http://localhost:3000' } });
    assert.equal(local.status, 403, 'another local page is another site too');
    assert.equal((await fetch(`http://${base}/api/v3/ping`)).status, 200, 'no fault was injected');
    const same = await fetch(`http://${base}/admin/reset`, { method: 'POST', headers: { origin: `http://${base}` } });
    assert.equal(same.status, 200, 'the sim\'s own origin may');
  });

  it('delays responses', async () => {
    await admin('delay?count=1&ms=300');
    const t0 = Date.now();
    await (await fetch(`http://${base}/api/v3/ping`)).arrayBuffer();
    assert.ok(Date.now() - t0 >= 290, 'held for the delay');
  });

  it('drops every WebSocket, and sends serverShutdown', async () => {
    const stream = await socket('/ws/btcusdt@trade');
    const api = await socket('/ws-api/v3');
    await admin('server-shutdown');
    await waitFor('serverShutdown on the stream', () => stream.messages.find((m) => m.e === 'serverShutdown'));
    await waitFor('serverShutdown on the WS API', () => api.messages.find((m) => m.event?.e === 'serverShutdown'));
    await admin('drop-connections');
    await stream.closed;
    await api.closed;
  });

  it('pauses a stream, and leaves a gap in the depth sequence', async () => {
    const s = await socket('/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@depth@100ms');
    await admin('pause-stream?stream=btcusdt@trade&ms=60000');
    await limit('SELL', '0.01', '61000');
    await limit('BUY', '0.01', '61000'); // a trade, on a paused stream
    await waitFor('book tickers still flowing', () => s.messages.filter((m) => m.stream === 'btcusdt@bookTicker').length >= 2);
    await waitFor('the depth diff of those orders', () => s.messages.some((m) => m.stream === 'btcusdt@depth@100ms'));
    assert.ok(!s.messages.some((m) => m.stream === 'btcusdt@trade'), 'no trade while paused');
    await admin('reset');
    const before = s.messages.filter((m) => m.stream === 'btcusdt@depth@100ms').length;
    await admin('skip-depth?symbol=BTCUSDT');
    await limit('BUY', '0.01', '50000');
    const diffs = await waitFor('a diff after the skip', () => {
      const d = s.messages.filter((m) => m.stream === 'btcusdt@depth@100ms');
      return d.length > before ? d : undefined;
    });
    const [prev, next] = [diffs[diffs.length - 2].data, diffs[diffs.length - 1].data];
    assert.equal(next.U, prev.u + 2, 'one update id left out');
    await limit('SELL', '0.01', '61000');
    await limit('BUY', '0.01', '61000');
    await waitFor('trades again after reset', () => s.messages.some((m) => m.stream === 'btcusdt@trade'));
    s.ws.close();
  });
});
