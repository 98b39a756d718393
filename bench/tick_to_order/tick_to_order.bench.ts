/**
 * bench:tick_to_order — the whole order path, market event to order bytes on the wire, through
 * the real processes, against the bot a Node user would write instead, in one run. Compiled code
 * (npm run build:bench), like production.
 *
 * The market: bench/md's replay server plays the same BTCUSDT depth diffs (Binance's format, one
 * seed) at KF_BENCH_RATE a second (default 100) to each run. The exchange for orders: `kfc sim`
 * behind the wire proxy (bench/common/wire-proxy.ts, stamping from the kernel's receive timestamps:
 * when the sender wrote its last byte; it sleeps, so it takes no core from the processes measured).
 * The sim's own depth stream is Binance's 100 ms one: 10 events a second would take five minutes
 * per thousand samples; the replay gives the same diffs to the stack and to the bot.
 *
 * Runs, one after the other, each KF_BENCH_EVENTS diffs (default 3300; the first WARMUP orders of
 * each are left out):
 *   - default: master, ledger, `kfc md`, `kfc td` and `kfc strategy` (strategy.ts: decision.ts on
 *     every Depth), every one its own process, as `run.sh` starts them;
 *   - -x: the same with -x for the ledger, MD, TD and strategy (the master has no -x);
 *   - ccxt: ccxt-bot.ts, one process, watchOrderBook + createOrderWs, the same decision.
 * For every order of the stack, its path read back from the journals, frame by frame (each
 * frame's trigger_time is the gen_time of the frame that caused it, as `kfc journal --latency`
 * reads them):
 *   md      the WebSocket chunk's arrival in the MD (the Depth frame's trigger_time) -> its commit
 *   strat   Depth commit -> the strategy's OrderInput commit (wake-up, decision, write)
 *   ledger  OrderInput commit -> the ledger's routed OrderInput commit (risk checks, routing)
 *   td      routed commit -> the TD's Pending Order commit (wake-up, tracking)
 *   wire    Pending commit -> the order request's last byte written (build, sign, send)
 * End to end, the goal figure: the MD's receipt of the exchange frame -> the TD's last byte
 * written (the sum of the five). For the bot: its socket's 'data' event for the chunk that
 * completed the book -> its last byte written. Both also from the replay server's write of the
 * frame (`exchange -> wire`: adds the time the frame waited in the kernel for its reader).
 * The CPU of each process (and its children) while the market is idle, from /proc/<pid>/stat over
 * IDLE_S seconds, starting a second after the last order. For reference, in the same run and at the
 * same rate, the plain journal hop between two processes (bench/journal/hop.ts) with the reader
 * asleep in futex (as the strategy and the ledger wait) and in Node's event loop rung through the
 * FIFO doorbell (as the TD waits): the floor of the three wake-ups on the stack's path on this
 * machine. Ends with one line of JSON.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { clockAnchorNs, nowNs, useHomeClock } from '../../src/journal/clock.js';
import { journalRoot, Locations } from '../../src/journal/location.js';
import { riskSettingsPath } from '../../src/ledger/settings.js';
import { BrokerState } from '../../src/model/enums.js';
import { BrokerStateUpdate, MsgType } from '../../src/model/events.js';
import { createLogger } from '../../src/util/log.js';
import { freePort, startChild, stopChild, type Child } from '../common/child.js';
import { cpuPercent, descendantsOf } from '../common/cpu.js';
import { journalHop } from '../common/journal-hop.js';
import { summarize, type Summary } from '../common/stats.js';
import { startWireProxy } from '../common/wire-proxy.js';
import { framesOf, HOPS, replayWrites, stackPaths, type Hop, type PathSamples } from './paths.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const KFC = here('../../src/cli/kfc.js');
const REPLAY = here('../md/replay-server.js');
const STRATEGY = here('./strategy.js');
const BOT = here('./ccxt-bot.js');
const EVENTS = Number(process.env.KF_BENCH_EVENTS ?? 3300);
const RATE = Number(process.env.KF_BENCH_RATE ?? 100);
const WARMUP = 300;
const IDLE_S = 5;
const FIRST_UPDATE_ID = 1_000_000; // the replay server's

const say = (line: string) => process.stderr.write(line + '\n');
const log = createLogger({ name: 'bench', level: 'error', fd: 2 });
const home = mkdtempSync(join(tmpdir(), 'kfts-bench-t2o-'));
process.on('exit', () => rmSync(home, { recursive: true, force: true }));
// Every stamp of this run on the journal clock of this KF_HOME (clock.ts).
mkdirSync(journalRoot(home), { recursive: true, mode: 0o700 });
useHomeClock(journalRoot(home));
const simPort = await freePort();
const masterPort = await freePort();
const kfc = (args: string[], env: NodeJS.ProcessEnv = {}): Child => startChild([KFC, ...args], { env: { KF_HOME: home, KF_MASTER_PORT: String(masterPort), ...env } });

// ---- the exchange, the wire, the master, the accounts ---------------------------------------------
const account = (name: string) => ({ name, apiKey: `kfts-bench-${name}-key`, hmacSecret: `kfts-bench-${name}-secret` });
const ACCOUNTS = { default: 'kf', x: 'kfx', ccxt: 'bot' } as const;
writeFileSync(
  join(home, 'sim.json'),
  JSON.stringify({ accounts: Object.values(ACCOUNTS).map((a) => ({ ...account(a), balances: { USDT: '10000000', BTC: '100' } })), orderLimit: 1_000_000, weightLimit: 10_000_000 }),
);
const sim = kfc(['sim', '--port', String(simPort), '--rate', '0', '--config', join(home, 'sim.json')]);
await sim.line(/simulated exchange on/, 30_000);
const proxy = await startWireProxy({ target: simPort, workDir: home, mode: 'kernel', say });
const master = kfc(['master']);
await master.line(/master listening/, 30_000);
for (const a of [ACCOUNTS.default, ACCOUNTS.x]) {
  writeFileSync(join(home, `${a}.secret`), account(a).hmacSecret, { mode: 0o600 });
  const add = kfc(['account', 'add', '-a', a, '--key', account(a).apiKey, '--secret-file', join(home, `${a}.secret`), '--preset', `sim:${proxy.port}`]);
  if ((await add.exited) !== 0) throw new Error(`kfc account add ${a} failed`);
}
// Limits far above what the bench does (at most MAX_OPEN + 1 open orders, RATE orders a second).
mkdirSync(dirname(riskSettingsPath(home)), { recursive: true, mode: 0o700 });
writeFileSync(
  riskSettingsPath(home),
  JSON.stringify({ limits: { maxOpenOrders: 1000, maxOrdersPerSecond: 10_000, maxOrderNotional: '1000000', maxPositionNotional: '100000000', priceBandPercent: '50' } }),
  { mode: 0o600 },
);

// ---- the runs -----------------------------------------------------------------------------------
function startReplay(tag: string): { replay: Child; stamps: string; port: Promise<number> } {
  const stamps = join(home, `replay-${tag}.txt`);
  const replay = startChild([REPLAY, 'paced', String(EVENTS), String(RATE), stamps], { stderr: 'ignore' });
  return { replay, stamps, port: replay.line(/^\d+$/, 60_000).then(Number) };
}

/** The replay's last diff was sent; its orders have had time to go through. */
async function replayDone(replay: Child): Promise<void> {
  await replay.line(/^done /, (EVENTS / RATE) * 1000 + 120_000);
  await sleep(1000);
}

async function tdReady(acct: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(50)) {
    let ready = false;
    framesOf(home, log, Locations.td('binance', acct), 0, 0n, MsgType.BrokerState, (f) => (ready = f.decode(BrokerStateUpdate).state === BrokerState.Ready));
    if (ready) return;
  }
  throw new Error(`td/binance/${acct} did not become Ready within 30 s`);
}

/** Idle CPU of each process and of its children (the ledger's history writer), named. */
async function idleCpu(procs: Record<string, Child>): Promise<Record<string, number>> {
  await sleep(1000);
  const pids: Record<string, number> = {};
  for (const [name, c] of Object.entries(procs)) {
    pids[name] = c.proc.pid!;
    for (const child of descendantsOf(c.proc.pid!)) {
      let script = String(child);
      try {
        script = basename(readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0')[1] ?? script, '.js');
      } catch {
        // gone meanwhile
      }
      pids[`${name}/${script}`] = child;
    }
  }
  return cpuPercent(pids, IDLE_S);
}

interface StackRun {
  paths: PathSamples;
  idle: Record<string, number>;
}

async function stackRun(mode: 'default' | 'x'): Promise<StackRun> {
  const x = mode === 'x' ? ['-x'] : [];
  const acct = ACCOUNTS[mode];
  const name = mode === 'x' ? 'tto_x' : 'tto';
  const from = nowNs();
  const ledger = kfc([...x, 'ledger']);
  await ledger.line(/ready \(pid/, 30_000);
  const td = kfc([...x, 'td', '-s', 'binance', '-a', acct]);
  await td.line(/ready \(pid/, 30_000);
  await tdReady(acct);
  const { replay, stamps, port } = startReplay(mode);
  const url = `127.0.0.1:${await port}`;
  const md = kfc([...x, 'md', '-s', 'binance', '--rest-url', `http://${url}`, '--stream-url', `ws://${url}`]);
  await md.line(/ready \(pid/, 30_000);
  // Its Subscribe starts the replay (the MD subscribes upstream): the first diffs are warm-up.
  const strategy = kfc([...x, 'strategy', '-s', name, '-p', STRATEGY], { KF_BENCH_ACCOUNT: acct });
  await strategy.line(/; running$/, 30_000);
  await replayDone(replay);
  const idle = await idleCpu({ master, ledger, md, td, strategy });
  // Ordered stop: the strategy cancels its open orders first, then the gateways, then the ledger.
  for (const c of [strategy, md, td, ledger]) await stopChild(c);
  await stopChild(replay, 'SIGTERM');
  return { paths: stackPaths({ home, log, strategy: name, acct, from, warmup: WARMUP, wire: proxy.stamps.at, sent: replayWrites(stamps) }), idle };
}

interface BotRun {
  e2e: number[];
  exchangeToWire: number[];
  orders: number;
  broken: number;
  idle: Record<string, number>;
}

async function ccxtRun(): Promise<BotRun> {
  const { replay, stamps, port } = startReplay('ccxt');
  const a = account(ACCOUNTS.ccxt);
  const bot = startChild([BOT, JSON.stringify({ replay: await port, wsApi: proxy.port, apiKey: a.apiKey, secret: a.hmacSecret, lastUpdateId: FIRST_UPDATE_ID + EVENTS })]);
  await replayDone(replay);
  await bot.line(/^done /, 60_000);
  const idle = await idleCpu({ ccxt: bot });
  await stopChild(bot, 'SIGTERM');
  await stopChild(replay, 'SIGTERM');
  const sent = replayWrites(stamps);
  const out: BotRun = { e2e: [], exchangeToWire: [], orders: 0, broken: 0, idle };
  for (const line of bot.lines.filter((l) => l.startsWith('o ')).slice(WARMUP)) {
    const [, id, received, updateId] = line.split(' ');
    out.orders++;
    const w = proxy.stamps.at.get(id!);
    if (w === undefined) {
      out.broken++;
      continue;
    }
    out.e2e.push(Number(w - (BigInt(received!) + clockAnchorNs())) / 1000);
    const written = sent.get(Number(updateId));
    if (written !== undefined) out.exchangeToWire.push(Number(w - written) / 1000);
  }
  return out;
}

// ---- report ---------------------------------------------------------------------------------------
const fmt = (s: Summary) => `p50 ${s.p50} us, p99 ${s.p99} us, p99.9 ${s.p999} us`;
const cpuLine = (idle: Record<string, number>) =>
  Object.entries(idle)
    .map(([k, v]) => `${k} ${v}%`)
    .join(', ');
function checkWhole(what: string, orders: number, broken: number): void {
  if (orders === 0 || broken > orders * 0.05) throw new Error(`${what}: ${broken} of ${orders} orders have no whole path (refused, or a frame or wire stamp missing): see ${home}`);
}
function reportStack(title: string, run: StackRun): { e2e: Summary; hops: Record<Hop, Summary>; exchangeToWire: Summary } {
  const { paths } = run;
  checkWhole(title, paths.orders, paths.broken);
  const e2e = summarize(paths.e2e);
  const hops = Object.fromEntries(HOPS.map((h) => [h, summarize(paths.hops[h])])) as Record<Hop, Summary>;
  const exchangeToWire = summarize(paths.exchangeToWire);
  say(`  ${title}: ${e2e.n} orders${paths.broken ? ` (${paths.broken} without a whole path)` : ''}`);
  say(`    MD receipt -> order's last byte written: ${fmt(e2e)}`);
  say(`    hops p50/p99 (us): ${HOPS.map((h) => `${h} ${hops[h].p50}/${hops[h].p99}`).join(', ')}`);
  say(`    exchange's write of the frame -> order's last byte written: ${fmt(exchangeToWire)}`);
  say(`    idle CPU: ${cpuLine(run.idle)}`);
  return { e2e, hops, exchangeToWire };
}

say(`bench:tick_to_order: ${EVENTS} depth diffs at ${RATE}/s per run, the first ${WARMUP} orders of each left out; orders to kfc sim through the wire proxy (${proxy.kind})`);
const futexHop = await journalHop({ dir: home, count: 700, rate: RATE, warmup: 100, wait: 'block' });
const doorbellHop = await journalHop({ dir: home, count: 700, rate: RATE, warmup: 100, wait: 'loop' });
const round1 = (x: number) => Math.round(x * 10) / 10;
const hopFloor = round1(2 * futexHop.p50 + doorbellHop.p50);
say(`  plain journal hop at ${RATE}/s, p50/p99: futex ${futexHop.p50.toFixed(1)}/${futexHop.p99.toFixed(1)} us, doorbell ${doorbellHop.p50.toFixed(1)}/${doorbellHop.p99.toFixed(1)} us; the path's three wake-ups (strategy, ledger: futex; TD: doorbell) cost at least ${hopFloor} us p50 here`);
const plainRun = await stackRun('default');
const plain = reportStack('default', plainRun);
const spin = reportStack('-x (ledger, md, td, strategy; the master has no -x)', await stackRun('x'));
const botRun = await ccxtRun();
checkWhole('ccxt', botRun.orders, botRun.broken);
const bot = summarize(botRun.e2e);
const botExchangeToWire = summarize(botRun.exchangeToWire);
say(`  ccxt pro bot (watchOrderBook + createOrderWs): ${bot.n} orders`);
say(`    socket chunk received -> order's last byte written: ${fmt(bot)}`);
say(`    exchange's write of the frame -> order's last byte written: ${fmt(botExchangeToWire)}`);
say(`    idle CPU: ${cpuLine(botRun.idle)}`);

const ratio = (a: number, b: number) => Number((a / b).toPrecision(2));
const idleMax = Math.max(...Object.values(plainRun.idle));
say(
  `  ratios, ccxt bot / stack: p50 ${ratio(bot.p50, plain.e2e.p50)}x, p99 ${ratio(bot.p99, plain.e2e.p99)}x (default); p50 ${ratio(bot.p50, spin.e2e.p50)}x (-x); ` +
    `exchange -> wire p50 ${ratio(botExchangeToWire.p50, plain.exchangeToWire.p50)}x (default)`,
);
const goals = {
  default_p50_le_100us_p99_le_400us: plain.e2e.p50 <= 100 && plain.e2e.p99 <= 400,
  spin_p50_le_25us: spin.e2e.p50 <= 25,
  idle_cpu_below_3pct: idleMax < 3,
  p50_2x_below_ccxt: bot.p50 >= 2 * plain.e2e.p50,
};
say(`  goals: ${Object.entries(goals).map(([k, v]) => `${k} ${v ? 'met' : 'NOT met'}`).join(', ')}`);
const p50s = (hops: Record<Hop, Summary>) => Object.fromEntries(HOPS.map((h) => [h, hops[h].p50]));
const p99s = (hops: Record<Hop, Summary>) => Object.fromEntries(HOPS.map((h) => [h, hops[h].p99]));
console.log(
  JSON.stringify({
    p50_us: plain.e2e.p50,
    p99_us: plain.e2e.p99,
    p999_us: plain.e2e.p999,
    spin_p50_us: spin.e2e.p50,
    spin_p99_us: spin.e2e.p99,
    spin_p999_us: spin.e2e.p999,
    idle_cpu_pct_max: idleMax,
    baseline_p50_us: bot.p50,
    baseline_p99_us: bot.p99,
    baseline_p999_us: bot.p999,
    baseline_vs_p50: ratio(bot.p50, plain.e2e.p50),
    hop_p50_us: p50s(plain.hops),
    hop_p99_us: p99s(plain.hops),
    spin_hop_p50_us: p50s(spin.hops),
    journal_hop_p50_us: round1(futexHop.p50),
    doorbell_hop_p50_us: round1(doorbellHop.p50),
    hop_floor_p50_us: hopFloor,
    exchange_to_wire_p50_us: plain.exchangeToWire.p50,
    spin_exchange_to_wire_p50_us: spin.exchangeToWire.p50,
    baseline_exchange_to_wire_p50_us: botExchangeToWire.p50,
    idle_cpu_pct: plainRun.idle,
    baseline_idle_cpu_pct: botRun.idle.ccxt,
    orders: { default: plain.e2e.n, spin: spin.e2e.n, baseline: bot.n },
    rate_per_s: RATE,
    proxy: proxy.kind,
    goals,
  }),
);
process.exit(0);
