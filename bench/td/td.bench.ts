/**
 * bench:td — order entry latency of the TD gateway, against what a Node user would otherwise pick,
 * in one run. Runs compiled JavaScript (npm run build:bench), as production does.
 *
 * Measured: from the commit of an OrderInput in the ledger's journal (its gen_time) to the last
 * byte of the order request arriving at the exchange's side of the wire. The exchange is `kfc sim`
 * (a child process) behind a pass-through TCP proxy in this process: the proxy parses each
 * request (HTTP, or WebSocket frames, unmasked), stamps the journal clock when a request's last
 * byte arrives, and forwards the bytes untouched; it adds nothing to what it measures (the stamp is
 * taken before forwarding). Modes:
 *   - the TD in its default mode ('loop': asleep in Node's event loop, woken by the doorbell) with
 *     orders over the WS API, and over REST;
 *   - the TD with -x (its loop spins) over the WS API;
 *   - the journal hop in the same runs: OrderInput commit -> the TD's Pending Order frame (written
 *     when the TD has read the input, before it builds the request);
 *   - baselines: ccxt's createOrder (REST) and createOrderWs, timed from the call to the last byte
 *     at the proxy, against the same sim.
 * Idle RSS of the TD (/proc/<pid>/status, 15 s after Ready) is reported too. Ends with one JSON line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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

const KFC = fileURLToPath(new URL('../../src/cli/kfc.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'kfts-bench-td-'));
// Every stamp and frame time of this run on the journal clock of this KF_HOME (clock.ts).
mkdirSync(journalRoot(home), { recursive: true, mode: 0o700 });
useHomeClock(journalRoot(home));
const log = createLogger({ name: 'bench', level: 'warning', fd: 2 });
const say = (line: string) => process.stderr.write(line + '\n');
const N = Number(process.env.KF_BENCH_ORDERS ?? 300);
const WARMUP = 30;
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

// ---- the proxy: stamps the last byte of each order request --------------------------------------
/** clientOrderId -> journal-clock ns when its request's last byte arrived. */
const stamps = new Map<string, bigint>();
const waiters = new Map<string, (t: bigint) => void>();
function stamp(clientOrderId: string, at: bigint): void {
  stamps.set(clientOrderId, at);
  waiters.get(clientOrderId)?.(at);
  waiters.delete(clientOrderId);
}
function stampOf(clientOrderId: string, timeoutMs = 15_000): Promise<bigint> {
  const s = stamps.get(clientOrderId);
  if (s !== undefined) return Promise.resolve(s);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no order request ${clientOrderId} within ${timeoutMs} ms`)), timeoutMs);
    waiters.set(clientOrderId, (t) => (clearTimeout(timer), resolve(t)));
  });
}

const ORDER_ID_RE = /newClientOrderId["=:]+"?([A-Za-z0-9_-]{1,36})/;

/** Parses a client->server byte stream: HTTP requests, then (after an Upgrade) WebSocket frames. */
class RequestParser {
  private buf: Buffer = Buffer.alloc(0);
  private ws = false;

  push(chunk: Buffer, at: bigint): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const used = this.ws ? this.frame(at) : this.http(at);
      if (used === 0) return;
      this.buf = this.buf.subarray(used);
    }
  }

  private http(at: bigint): number {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return 0;
    const head = this.buf.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const total = end + 4 + length;
    if (this.buf.length < total) return 0;
    if (/^GET [^ ]+ HTTP\/1\.1\r\n/.test(head) && /\r\nupgrade: *websocket/i.test(head)) this.ws = true;
    const m = /^POST \/api\/v3\/order[? ]/.test(head) ? ORDER_ID_RE.exec(this.buf.subarray(0, total).toString('latin1')) : null;
    if (m) stamp(m[1]!, at);
    return total;
  }

  private frame(at: bigint): number {
    const b = this.buf;
    if (b.length < 2) return 0;
    let len = b[1]! & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return 0;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return 0;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    const masked = (b[1]! & 0x80) !== 0;
    const total = off + (masked ? 4 : 0) + len;
    if (b.length < total) return 0;
    if ((b[0]! & 0x0f) === 1) {
      const payload = Buffer.from(b.subarray(total - len, total));
      if (masked) for (let i = 0; i < len; i++) payload[i]! ^= b[off + (i & 3)]!;
      const text = payload.toString('utf8');
      if (text.includes('"order.place"')) {
        const m = ORDER_ID_RE.exec(text);
        if (m) stamp(m[1]!, at);
      }
    }
    return total;
  }
}

async function startProxy(target: number): Promise<number> {
  const server = createServer((client: Socket) => {
    client.setNoDelay(true);
    const upstream = connect(target, '127.0.0.1');
    upstream.setNoDelay(true);
    const parser = new RequestParser();
    client.on('data', (chunk: Buffer) => {
      parser.push(chunk, nowNs()); // stamped before anything else happens to the bytes
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => (client.destroy(), upstream.destroy());
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return (server.address() as { port: number }).port;
}

/**
 * The spinning C proxy (wire-proxy.c): its stamp is taken as recv() returns, with no wake-up of a
 * sleeping process in between. Undefined when no C compiler is there (then the Node proxy above,
 * whose stamps include its own event-loop wake-up, is used, and the report says so).
 */
let proxyKind = 'node (stamps include its event-loop wake-up)';
async function startWireProxy(target: number): Promise<number | undefined> {
  const exe = join(home, 'wire-proxy');
  const src = fileURLToPath(new URL('../../../bench/td/wire-proxy.c', import.meta.url));
  const cc = spawnSync('cc', ['-O2', '-o', exe, src], { encoding: 'utf8' });
  if (cc.status !== 0) {
    say(`  (no C compiler: ${(cc.stderr || String(cc.error)).split('\n')[0]}; using the Node proxy)`);
    return undefined;
  }
  const port = target + 2;
  const p = spawn(exe, [String(port), String(target)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(p);
  // The journal clock is CLOCK_MONOTONIC plus an anchor (clock.ts); process.hrtime reads the same counter.
  const anchor = nowNs() - process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    createInterface({ input: p.stdout! }).on('line', (l) => {
      if (l === 'listening') return resolve();
      const [mono, id] = l.split(' ');
      if (id) stamp(id, BigInt(mono!) + anchor);
    });
  });
  proxyKind = 'C, spinning (stamps as recv() returns)';
  return port;
}

// ---- processes --------------------------------------------------------------------------------
function kfc(args: string[], env: Record<string, string> = {}): ChildProcess {
  const p = spawn(process.execPath, [KFC, ...args], { env: { ...process.env, KF_HOME: home, KF_MASTER_PORT: String(masterPort), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(p);
  return p;
}
function waitLine(p: ChildProcess, re: RegExp, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line ${re}`)), timeoutMs);
    createInterface({ input: p.stdout! }).on('line', (l) => {
      if (re.test(l)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

const ACCOUNTS = ['bws', 'bwsx', 'brest', 'bccxt'] as const;
const account = (name: string) => ({ name, apiKey: `kfts-bench-${name}-key`, hmacSecret: `kfts-bench-${name}-secret` });
const simPort = 20_000 + Math.floor(Math.random() * 20_000);
const masterPort = simPort + 1;
writeFileSync(join(home, 'sim.json'), JSON.stringify({ accounts: ACCOUNTS.map((a) => ({ ...account(a), balances: { USDT: '10000000', BTC: '100' } })), orderLimit: 1_000_000, weightLimit: 10_000_000 }));
const sim = kfc(['sim', '--port', String(simPort), '--rate', '0', '--config', join(home, 'sim.json')]);
await waitLine(sim, /simulated exchange on/);
const proxyPort = (await startWireProxy(simPort)) ?? (await startProxy(simPort));
const master = kfc(['master']);
await waitLine(master, /master listening/);
for (const a of ACCOUNTS) {
  writeFileSync(join(home, `${a}.secret`), account(a).hmacSecret, { mode: 0o600 });
  const add = kfc(['account', 'add', '-a', a, '--key', account(a).apiKey, '--secret-file', join(home, `${a}.secret`), '--preset', `sim:${proxyPort}`, ...(a === 'brest' ? ['--order-api', 'rest'] : [])]);
  await new Promise((r) => add.on('exit', r));
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

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number) => Math.round(x * 10) / 10;

/** N orders through one TD: latency to the wire, and the hop to its Pending frame. */
async function runTd(name: string, args: string[], strategySeq: bigint, idle?: { rssMb: number }): Promise<{ p50: number; p99: number; hopP50: number; startedAt: number; pid: number }> {
  const td = kfc([...args, 'td', '-s', 'binance', '-a', name]);
  const startedAt = Date.now();
  await waitLine(td, /ready \(pid/);
  while (!tdFrames(name).ready) await sleep(20);
  if (idle) {
    // Idle memory as the 60 MB budget means it: 15 s after start, before any order.
    await sleep(Math.max(0, startedAt + 15_000 - Date.now()));
    idle.rssMb = rssMb(td.pid!);
  }
  const ledger = JournalWriter.open({ home, location: Locations.ledger(), dest: Locations.td('binance', name).uid, log });
  const input = OrderInput.empty();
  Object.assign(input, { symbol: 'BTCUSDT', exchange: 'binance', source: 'binance', account: name, price: d('1000'), volume: d('0.01'), price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC });
  const wire: number[] = [];
  const committed = new Map<bigint, bigint>();
  for (let i = 0; i < N + WARMUP; i++) {
    input.order_id = (strategySeq << 32n) | BigInt(i + 1);
    const gen = ledger.write(MsgType.OrderInput, OrderInput, input);
    committed.set(input.order_id, gen);
    const at = await stampOf(clientOrderIdOf(input.order_id));
    if (i >= WARMUP) wire.push(Number(at - gen) / 1000);
    await sleep(3); // the TD goes back to sleep between orders, as between real ones
  }
  const { pending } = tdFrames(name);
  const hops = [...committed].slice(WARMUP).map(([id, gen]) => Number(pending.get(id)! - gen) / 1000);
  ledger.close();
  return { p50: round(pct(wire, 50)), p99: round(pct(wire, 99)), hopP50: round(pct(hops, 50)), startedAt, pid: td.pid! };
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

// ---- baselines: ccxt ---------------------------------------------------------------------------
const ccxt = (await import('ccxt')).default as unknown as { pro: Record<string, new (o: object) => any> };
const b = account('bccxt');
// enableRateLimit off: ccxt's own throttle would otherwise hold each order back (by design, not by cost).
const ex = new ccxt.pro.binance!({ apiKey: b.apiKey, secret: b.hmacSecret, enableRateLimit: false, options: { fetchMarkets: { types: ['spot'] }, fetchMargins: false, fetchCurrencies: false, adjustForTimeDifference: false, warnOnFetchOpenOrdersWithoutSymbol: false } });
const base = `http://127.0.0.1:${proxyPort}`;
ex.urls.api = { ...ex.urls.api, public: `${base}/api/v3`, private: `${base}/api/v3`, v1: `${base}/api/v1`, ws: { ...ex.urls.api.ws, 'ws-api': { spot: `ws://127.0.0.1:${proxyPort}/ws-api/v3` } } };
await ex.loadMarkets();
await ex.loadHttpProxyAgent(); // ccxt's rule for ws:// URLs (the sim speaks plain WebSocket)
async function runCcxt(method: 'createOrder' | 'createOrderWs', prefix: string): Promise<{ p50: number; p99: number }> {
  const xs: number[] = [];
  for (let i = 0; i < N + WARMUP; i++) {
    const id = `${prefix}${i}`;
    const t0 = nowNs();
    const placed = ex[method]('BTC/USDT', 'limit', 'buy', 0.01, 1000, { newClientOrderId: id });
    const at = await stampOf(id);
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
