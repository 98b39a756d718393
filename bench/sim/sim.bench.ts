/**
 * bench:sim: (a) the matching engine's throughput in process (orders/s, a mix of resting, crossing
 * and cancels); (b) a signed REST order round trip over loopback, p50/p99, against the same
 * client's GET /api/v3/ping in the same run (the HTTP floor). Ends with one line of JSON.
 */
import { parseDecimal as d, formatFixed } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import { hmacSignature } from '../../src/sim/api/signing.js';
import { DEFAULT_SYMBOLS, DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';

const say = (line: string) => process.stderr.write(line + '\n');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function engineRun(n: number): number {
  const engine = new MatchingEngine(DEFAULT_SYMBOLS, { makerRate: d('0.001'), takerRate: d('0.001') });
  for (const a of ['a', 'b']) {
    engine.deposit(a, 'BTC', d('100000000'));
    engine.deposit(a, 'USDT', d('90000000000'));
  }
  let seed = 1;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  // Prepared up front so the loop measures the engine, not the generator.
  const orders = Array.from({ length: n }, () => {
    const side = rand() < 0.5 ? ('BUY' as const) : ('SELL' as const);
    const offset = Math.floor(rand() * 40) - (side === 'BUY' ? 25 : 15); // some cross
    return { side, price: d(formatFixed(BigInt(6_000_000 + offset) * 1_000_000n, 2)), qty: d(`0.0${1 + Math.floor(rand() * 9)}`), cancel: rand() < 0.1 };
  });
  const resting: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const o = orders[i]!;
    if (o.cancel && resting.length > 0) {
      try {
        engine.cancelOrder(i % 2 ? 'a' : 'b', 'BTCUSDT', { orderId: resting.pop()! });
      } catch {
        // filled or another account's: still a request the engine answered
      }
      continue;
    }
    const r = engine.placeOrder({ account: i % 2 ? 'a' : 'b', symbol: 'BTCUSDT', side: o.side, type: 'LIMIT', timeInForce: 'GTC', quantity: o.qty, price: o.price, clientOrderId: `c${i}` });
    if (r.order.isWorking) resting.push(r.order.orderId);
  }
  return n / ((performance.now() - t0) / 1000);
}

say('(a) matching engine, in process');
engineRun(20_000); // warm-up
const matchRate = median([1, 2, 3].map(() => engineRun(100_000)));
say(`    ${Math.round(matchRate).toLocaleString()} orders/s`);

say('(b) REST round trips over loopback (keep-alive), signed POST /api/v3/order vs GET /api/v3/ping');
const { server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, weightLimit: 1_000_000_000, orderLimit: 1_000_000_000 });
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
async function timed(n: number, request: (i: number) => Promise<Response>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await request(i);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    samples.push(performance.now() - t0);
  }
  return samples.sort((a, b) => a - b);
}
const order = (i: number) => {
  // Alternating buys and sells at one price: each sell fills the previous buy, the book stays small
  // (the same account on both sides: self-trade prevention off, so they trade).
  const query = `symbol=BTCUSDT&side=${i % 2 ? 'SELL' : 'BUY'}&type=LIMIT&timeInForce=GTC&quantity=0.001&price=60000&newOrderRespType=RESULT&selfTradePreventionMode=NONE&timestamp=${Date.now()}`;
  return fetch(`${base}/api/v3/order?${query}&signature=${hmacSignature(DEMO_ACCOUNT.hmacSecret!, query)}`, { method: 'POST', headers: { 'X-MBX-APIKEY': DEMO_ACCOUNT.apiKey } });
};
await timed(500, order);
await timed(500, () => fetch(`${base}/api/v3/ping`));
const orders = await timed(5000, order);
const pings = await timed(5000, () => fetch(`${base}/api/v3/ping`));
const q = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
say(`    order p50 ${q(orders, 0.5).toFixed(3)} ms  p99 ${q(orders, 0.99).toFixed(3)} ms`);
say(`    ping  p50 ${q(pings, 0.5).toFixed(3)} ms  p99 ${q(pings, 0.99).toFixed(3)} ms   (an order costs ${(q(orders, 0.5) / q(pings, 0.5)).toFixed(2)}x a ping)`);
server.closeAllConnections();
server.close();
const r = (x: number, n = 3) => Number(x.toFixed(n));
console.log(
  JSON.stringify({
    match_orders_per_s: Math.round(matchRate),
    rest_order_p50_ms: r(q(orders, 0.5)),
    rest_order_p99_ms: r(q(orders, 0.99)),
    rest_ping_p50_ms: r(q(pings, 0.5)),
    rest_ping_p99_ms: r(q(pings, 0.99)),
    order_over_ping_p50: r(q(orders, 0.5) / q(pings, 0.5), 2),
  }),
);
