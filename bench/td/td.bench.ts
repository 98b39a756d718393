/**
 * bench:td — order entry latency of the TD gateway, against what a Node user would otherwise pick,
 * in one run. Runs compiled JavaScript (npm run build:bench), as production does.
 *
 * Measured: from the commit of an OrderInput in the ledger's journal (its gen_time) to the last
 * byte of the order request arriving at the exchange's side of the wire. The exchange is `kfc sim`
 * (a child process) behind a pass-through TCP proxy (bench/common/wire-proxy.ts, spinning): the
 * proxy parses each request (HTTP, or WebSocket frames, unmasked), stamps the journal clock when a
 * request's last byte arrives, and forwards the bytes untouched; it adds nothing to what it
 * measures (the stamp is taken before forwarding). Modes:
 *   - the TD in its default mode ('loop': asleep in Node's event loop, woken by the doorbell) with
 *     orders over the WS API, and over REST;
 *   - the TD with -x (its loop spins) over the WS API;
 *   - the journal hop in the same runs: OrderInput commit -> the TD's Pending Order frame (written
 *     when the TD has read the input, before it builds the request);
 *   - the floor (floor.ts), default and -x: a process that waits as the TD does and, for each
 *     OrderInput, writes one order.place frame and does nothing else. No TD can go under it here;
 *     the TD's figure minus the floor's is the TD's own work;
 *   - baselines: ccxt's createOrder (REST) and createOrderWs, timed from the call to the last byte
 *     at the proxy, against the same sim.
 * Idle RSS of the TD (/proc/<pid>/status, 15 s after Ready) is reported too. Ends with one JSON line.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowNs, useHomeClock } from '../../src/journal/clock.js';
import { journalRoot, Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { clientOrderIdOf } from '../../src/gateway/binance/common/ids.js';
import { parseDecimal as d } from '../../src/model/decimal.js';
import { BrokerState, OrderStatus, PriceType, Side, TimeCondition } from '../../src/model/enums.js';
import { BrokerStateUpdate, MsgType, Order, OrderInput } from '../../src/model/events.js';
import { createLogger } from '../../src/util/log.js';
import { ccxtBinance } from '../common/ccxt.js';
import { startChild, type Child } from '../common/child.js';
import { quantile } from '../common/stats.js';
import { startWireProxy } from '../common/wire-proxy.js';

const KFC = fileURLToPath(new URL('../../src/cli/kfc.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./floor.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'kfts-bench-td-'));
// Every stamp and frame time of this run on the journal clock of this KF_HOME (clock.ts).
mkdirSync(journalRoot(home), { recursive: true, mode: 0o700 });
useHomeClock(journalRoot(home));
const log = createLogger({ name: 'bench', level: 'warning', fd: 2 });
const say = (line: string) => process.stderr.write(line + '\n');
const N = Number(process.env.KF_BENCH_ORDERS ?? 300);
const WARMUP = 30;
process.on('exit', () => rmSync(home, { recursive: true, force: true }));

// ---- processes --------------------------------------------------------------------------------
const kfc = (args: string[]): Child => startChild([KFC, ...args], { env: { KF_HOME: home, KF_MASTER_PORT: String(masterPort) }, stderr: 'ignore' });

const ACCOUNTS = ['bws', 'bwsx', 'brest', 'bccxt'] as const;
const account = (name: string) => ({ name, apiKey: `kfts-bench-${name}-key`, hmacSecret: `kfts-bench-${name}-secret` });
const simPort = 20_000 + Math.floor(Math.random() * 20_000);
const masterPort = simPort + 1;
writeFileSync(join(home, 'sim.json'), JSON.stringify({ accounts: ACCOUNTS.map((a) => ({ ...account(a), balances: { USDT: '10000000', BTC: '100' } })), orderLimit: 1_000_000, weightLimit: 10_000_000 }));
const sim = kfc(['sim', '--port', String(simPort), '--rate', '0', '--config', join(home, 'sim.json')]);
await sim.line(/simulated exchange on/);
const proxy = await startWireProxy({ target: simPort, workDir: home, mode: 'spin', say });
const { port: proxyPort, kind: proxyKind, stamps } = proxy;
const master = kfc(['master']);
await master.line(/master listening/);
for (const a of ACCOUNTS) {
  writeFileSync(join(home, `${a}.secret`), account(a).hmacSecret, { mode: 0o600 });
  const add = kfc(['account', 'add', '-a', a, '--key', account(a).apiKey, '--secret-file', join(home, `${a}.secret`), '--preset', `sim:${proxyPort}`, ...(a === 'brest' ? ['--order-api', 'rest'] : [])]);
  await add.exited;
}

/** The TD's journal: Pending frames (hop) and BrokerState. */
function tdFrames(name: string): { pending: Map<bigint, bigint>; ready: boolean } {
  const r = new JournalReader({ home, log });
  r.join(Locations.td('binance', name), 0);
  const pending = new Map<bigint, bigint>();
  let ready = false;
  for (let f = r.next(); f; f = r.next()) {
    if (f.msgType === MsgType.Order) {
      const o = f.decode(Order);
      if (o.status === OrderStatus.Pending) pending.set(o.order_id, f.genTime);
    } else if (f.msgType === MsgType.BrokerState && f.decode(BrokerStateUpdate).state === BrokerState.Ready) ready = true;
  }
  r.close();
  return { pending, ready };
}

const pct = (xs: number[], p: number) => quantile([...xs].sort((a, b) => a - b), p / 100);
const round = (x: number) => Math.round(x * 10) / 10;

/**
 * N orders (+ warm-up), each written as the ledger writes them to `name`'s TD, one at a time:
 * from each commit to its last byte at the proxy, in us, and each order's commit time.
 */
async function placeOrders(name: string, strategySeq: bigint): Promise<{ wire: number[]; committed: Map<bigint, bigint> }> {
  const ledger = JournalWriter.open({ home, location: Locations.ledger(), dest: Locations.td('binance', name).uid, log });
  const input = OrderInput.empty();
  Object.assign(input, { symbol: 'BTCUSDT', exchange: 'binance', source: 'binance', account: name, price: d('1000'), volume: d('0.01'), price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC });
  const wire: number[] = [];
  const committed = new Map<bigint, bigint>();
  for (let i = 0; i < N + WARMUP; i++) {
    input.order_id = (strategySeq << 32n) | BigInt(i + 1);
    const gen = ledger.write(MsgType.OrderInput, OrderInput, input);
    if (i >= WARMUP) committed.set(input.order_id, gen);
    const at = await stamps.of(clientOrderIdOf(input.order_id));
    if (i >= WARMUP) wire.push(Number(at - gen) / 1000);
    await sleep(3); // the reader goes back to sleep between orders, as between real ones
  }
  ledger.close();
  return { wire, committed };
}

/** N orders through one TD: latency to the wire, and the hop to its Pending frame. */
async function runTd(name: string, args: string[], strategySeq: bigint, idle?: { rssMb: number }): Promise<{ p50: number; p99: number; hopP50: number; startedAt: number; pid: number }> {
  const td = kfc([...args, 'td', '-s', 'binance', '-a', name]);
  const startedAt = Date.now();
  await td.line(/ready \(pid/);
  while (!tdFrames(name).ready) await sleep(20);
  if (idle) {
    // Idle memory as the 60 MB budget means it: 15 s after start, before any order.
    await sleep(Math.max(0, startedAt + 15_000 - Date.now()));
    idle.rssMb = rssMb(td.proc.pid!);
  }
  const { wire, committed } = await placeOrders(name, strategySeq);
  const { pending } = tdFrames(name);
  const hops = [...committed].map(([id, gen]) => Number(pending.get(id)! - gen) / 1000);
  return { p50: round(pct(wire, 50)), p99: round(pct(wire, 99)), hopP50: round(pct(hops, 50)), startedAt, pid: td.proc.pid! };
}

/** N orders through the floor (floor.ts) in `mode`: the journal hop and one write, nothing else. */
async function runFloor(name: string, mode: 'loop' | 'spin', strategySeq: bigint): Promise<{ p50: number; p99: number }> {
  const floor = startChild([FLOOR, JSON.stringify({ home, account: name, proxyPort, mode })], { env: { KF_HOME: home } });
  await floor.line(/^ready$/, 15_000);
  const { wire } = await placeOrders(name, strategySeq);
  floor.proc.kill('SIGTERM');
  await floor.exited;
  return { p50: round(pct(wire, 50)), p99: round(pct(wire, 99)) };
}

function rssMb(pid: number): number {
  return Math.round((Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024) * 10) / 10;
}

say(`bench:td: ${N} orders per mode (+${WARMUP} warm-up), kfc sim behind a stamping proxy (${proxyKind})`);
const idle = { rssMb: 0 };
const ws = await runTd('bws', [], 1n, idle);
const idleRss = idle.rssMb;
say(`  TD idle RSS (15 s after its start, before its orders): ${idleRss} MB; after ${N + WARMUP} orders: ${rssMb(ws.pid)} MB`);
say(`  TD default, WS API:  p50 ${ws.p50} us  p99 ${ws.p99} us   (journal hop to the TD's Pending frame: p50 ${ws.hopP50} us)`);
const spin = await runTd('bwsx', ['-x'], 2n);
say(`  TD -x, WS API:       p50 ${spin.p50} us  p99 ${spin.p99} us   (hop p50 ${spin.hopP50} us)`);
const rest = await runTd('brest', [], 3n);
say(`  TD default, REST:    p50 ${rest.p50} us  p99 ${rest.p99} us   (hop p50 ${rest.hopP50} us)`);
const floor = await runFloor('floor', 'loop', 5n);
const spinFloor = await runFloor('floorx', 'spin', 6n);
say(`  floor (the journal hop and one write, no work), default: p50 ${floor.p50} us  p99 ${floor.p99} us;  -x: p50 ${spinFloor.p50} us  p99 ${spinFloor.p99} us`);
say(`  the TD's p50 minus the floor's (runs minutes apart: the TD's own work, roughly): ${round(ws.p50 - floor.p50)} us (default), ${round(spin.p50 - spinFloor.p50)} us (-x)`);

// ---- baselines: ccxt ---------------------------------------------------------------------------
const b = account('bccxt');
const ex = await ccxtBinance({ rest: `http://127.0.0.1:${proxyPort}`, wsApi: `ws://127.0.0.1:${proxyPort}/ws-api/v3`, apiKey: b.apiKey, secret: b.hmacSecret });
await ex.loadMarkets();
async function runCcxt(method: 'createOrder' | 'createOrderWs', prefix: string): Promise<{ p50: number; p99: number }> {
  const xs: number[] = [];
  for (let i = 0; i < N + WARMUP; i++) {
    const id = `${prefix}${i}`;
    const t0 = nowNs();
    const placed = ex[method]('BTC/USDT', 'limit', 'buy', 0.01, 1000, { newClientOrderId: id });
    const at = await stamps.of(id);
    await placed;
    if (i >= WARMUP) xs.push(Number(at - t0) / 1000);
    await sleep(3);
  }
  return { p50: round(pct(xs, 50)), p99: round(pct(xs, 99)) };
}
const ccxtRest = await runCcxt('createOrder', 'ccxtrest');
say(`  ccxt createOrder (REST):    p50 ${ccxtRest.p50} us  p99 ${ccxtRest.p99} us`);
const ccxtWs = await runCcxt('createOrderWs', 'ccxtws');
say(`  ccxt createOrderWs:         p50 ${ccxtWs.p50} us  p99 ${ccxtWs.p99} us`);
await ex.close();

const goals = {
  spin_ws_p50_le_15us: spin.p50 <= 15,
  default_ws_p50_le_hop_plus_15us: ws.p50 <= ws.hopP50 + 15,
  ws_3x_below_ccxt_ws: ws.p50 * 3 <= ccxtWs.p50 && spin.p50 * 3 <= ccxtWs.p50,
  idle_rss_below_60mb: idleRss < 60,
};
say(`  ratios: ccxt createOrderWs / TD WS = ${round(ccxtWs.p50 / ws.p50)}x (default), ${round(ccxtWs.p50 / spin.p50)}x (-x); ccxt createOrder / TD REST = ${round(ccxtRest.p50 / rest.p50)}x`);
say(`  goals: ${Object.entries(goals).map(([k, v]) => `${k} ${v ? 'met' : 'NOT met'}`).join(', ')}`);
console.log(
  JSON.stringify({
    orders: N,
    p50_us: ws.p50,
    p99_us: ws.p99,
    spin_p50_us: spin.p50,
    spin_p99_us: spin.p99,
    rest_p50_us: rest.p50,
    rest_p99_us: rest.p99,
    hop_p50_us: ws.hopP50,
    spin_hop_p50_us: spin.hopP50,
    floor_p50_us: floor.p50,
    floor_p99_us: floor.p99,
    spin_floor_p50_us: spinFloor.p50,
    spin_floor_p99_us: spinFloor.p99,
    baseline_p50_us: ccxtRest.p50,
    baseline_p99_us: ccxtRest.p99,
    baseline_ws_p50_us: ccxtWs.p50,
    baseline_ws_p99_us: ccxtWs.p99,
    td_idle_rss_mb: idleRss,
    proxy: proxyKind,
    goals,
  }),
);
process.exit(0);
