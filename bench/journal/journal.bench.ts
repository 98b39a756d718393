/**
 * bench:journal — what the journal costs, against what a Node team would otherwise use, in one run.
 * Runs compiled JavaScript (npm run build:bench), as production does.
 *
 * (a) append throughput in one process, 128-byte frames, vs fs.writeSync of the same bytes;
 * (b) one hop writer process -> reader process at 1k frames/s, p50/p99/p99.9, for each way a
 *     reader waits: futex (journal-driven processes: ledger, strategies), the FIFO doorbell
 *     (network-driven processes: gateways, master), and spinning (-x); each reader's CPU while idle;
 *     the futex hop also at 100k frames/s;
 * (c) the same hop over a lean Unix socket (one write(2) per message, one 'data' handler) and over
 *     Redis Streams (XADD / XREAD BLOCK; redis-server started here, installed if possible);
 * (d) the same wake-up in C (futex-floor.c, compiled here): the kernel's floor on this machine.
 * The hops run in rounds, interleaved (futex, doorbell, socket, ...), and each figure is the median
 * over rounds: the machine's noise falls on every transport alike. Ends with one line of JSON.
 */
import type { FsyncPolicy } from '../../src/journal/durability.js';
import { MsgType } from '../../src/model/events.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { Locations } from '../../src/journal/location.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { defineLayout } from '../../src/model/layout.js';
import { createLogger } from '../../src/util/log.js';

const HOP = fileURLToPath(new URL('./hop.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'kfts-bench-'));
const log = createLogger({ name: 'bench', level: 'warning', fd: 2 });
const say = (line: string) => process.stderr.write(line + '\n');
process.on('exit', () => rmSync(home, { recursive: true, force: true }));
const ROUNDS = Number(process.env.KF_BENCH_ROUNDS ?? 3);

// ---- (a) append throughput -------------------------------------------------------------------
/** A 96-byte payload of twelve 8-byte fields: with the 32-byte header, a 128-byte frame. */
const Event96 = defineLayout('Event96', Array.from({ length: 12 }, (_, i) => [`f${i}`, 'i64'] as const));

/**
 * Appends n frames, letting the event loop turn every 10k frames as a real process does between
 * socket reads (the next page is prepared in the background meanwhile). Wall time, yields included.
 */
async function appendRun(n: number, id: number): Promise<number> {
  const location = Locations.md(`append${id}`);
  const w = JournalWriter.open({ home, location, pageSize: 64 << 20, log });
  const ev = Event96.empty() as Record<string, bigint>;
  for (let i = 0; i < 12; i++) ev[`f${i}`] = BigInt(i * 1000);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += 10_000) {
    for (let j = 0; j < 10_000; j++) {
      const at = w.beginFrame(60003, Event96.size);
      Event96.encode(w.view, w.buf, at, ev as never);
      w.commitFrame();
    }
    await yieldToEventLoop();
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  w.close();
  await sleep(50); // let a page preparation in flight finish before its directory goes
  rmSync(join(home, 'journal', 'md', `append${id}`), { recursive: true, force: true });
  return n / s;
}

function fsWriteRun(n: number): number {
  const file = join(home, 'fswrite.bin');
  const fd = openSync(file, 'w');
  const frame = Buffer.alloc(128, 7);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) writeSync(fd, frame);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(fd);
  rmSync(file);
  return n / s;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

say('(a) append throughput, 128-byte frames');
await appendRun(500_000, 0); // warm-up: JIT and page cache
const appendRates: number[] = [];
for (const i of [1, 2, 3]) appendRates.push(await appendRun(2_000_000, i));
const appendRate = median(appendRates);
const fsRate = median([1, 2, 3].map(() => fsWriteRun(300_000)));
say(`    journal append   ${(appendRate / 1e6).toFixed(2)} M frames/s   (runs: ${appendRates.map((r) => (r / 1e6).toFixed(2)).join(', ')})`);
say(`    fs.writeSync     ${(fsRate / 1e6).toFixed(2)} M frames/s   (journal is ${(appendRate / fsRate).toFixed(1)}x)`);

// ---- hops between processes ------------------------------------------------------------------
interface Proc {
  child: ChildProcess;
  line(re: RegExp): Promise<string>;
}

function start(mode: string, opts: object): Proc {
  const child = spawn(process.execPath, [HOP, mode, JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const seen: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    seen.push(l);
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.re.test(l)) waiters.splice(i, 1)[0]!.resolve(l);
  });
  return {
    child,
    line: (re) => {
      const found = seen.find((l) => re.test(l));
      return found !== undefined ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ re, resolve }));
    },
  };
}

interface HopResult {
  n: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  idle?: number;
}

type Transport = 'futex' | 'doorbell' | 'spin' | 'uds' | 'redis';

let runId = 0;
async function hop(transport: Transport, rate: number, count: number, extra: { idleMs?: number; redisPort?: number } = {}): Promise<HopResult> {
  const kind = transport === 'uds' || transport === 'redis' ? transport : 'journal';
  const opts = {
    home,
    location: `md/hop${++runId}/hop${runId}/live`,
    socket: join(home, `hop${runId}.sock`),
    count,
    rate,
    warmup: Math.min(2000, Math.floor(count / 10)),
    idleMs: extra.idleMs ?? 0,
    wait: transport === 'futex' ? 'block' : transport === 'doorbell' ? 'loop' : 'spin',
    redisPort: extra.redisPort ?? 0,
  };
  // The journal writer must exist before its reader joins; the socket/redis readers listen first.
  let writer: Proc | undefined;
  if (kind === 'journal') {
    writer = start('journal-writer', opts);
    await writer.line(/^ready$/);
  }
  const reader = start(`${kind}-reader`, opts);
  await reader.line(/^ready$/);
  if (!writer) {
    writer = start(`${kind}-writer`, opts);
    await writer.line(/^ready$/);
  }
  await sleep(200); // let the reader settle into its wait before the idle measurement
  const idle = opts.idleMs > 0 ? Number((await reader.line(/^idle /)).split(' ')[1]) : undefined;
  await reader.line(/^measuring$/);
  writer.child.stdin!.write('go\n');
  const result = JSON.parse(await reader.line(/^\{/)) as HopResult;
  writer.child.kill();
  reader.child.kill();
  return idle === undefined ? result : { ...result, idle };
}

/** Median of each figure over rounds. */
function combine(results: HopResult[]): HopResult {
  const m = (k: keyof HopResult) => median(results.map((r) => r[k] as number));
  const idles = results.filter((r) => r.idle !== undefined).map((r) => r.idle!);
  return { n: results.reduce((s, r) => s + r.n, 0), p50: m('p50'), p99: m('p99'), p999: m('p999'), max: Math.max(...results.map((r) => r.max)), ...(idles.length ? { idle: median(idles) } : {}) };
}

const fmt = (r: HopResult) => `p50 ${r.p50.toFixed(1)}  p99 ${r.p99.toFixed(1)}  p99.9 ${r.p999.toFixed(1)}  max ${r.max.toFixed(0)} us` + (r.idle !== undefined ? `   idle CPU ${r.idle.toFixed(2)}%` : '');

/** redis-server from PATH, or installed with apt-get when this user can; else why not. */
function findRedis(): { bin?: string; why?: string } {
  const which = () => spawnSync('sh', ['-c', 'command -v redis-server']).stdout.toString().trim();
  let bin = which();
  if (!bin && process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    say('    redis-server not found: installing it (apt-get install -y redis-server)');
    spawnSync('apt-get', ['install', '-y', '-q', 'redis-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    bin = which();
  }
  return bin ? { bin } : { why: 'redis-server is not installed and cannot be installed here (apt-get install -y redis-server as root)' };
}

const COUNT = 6_000;
const rounds: Record<'futex' | 'doorbell' | 'uds', HopResult[]> = { futex: [], doorbell: [], uds: [] };
say(`(b) one hop at 1k/s, ${ROUNDS} rounds interleaved (futex, doorbell, Unix socket), medians`);
for (let r = 0; r < ROUNDS; r++) {
  const idleMs = r === 0 ? 5_000 : 0;
  rounds.futex.push(await hop('futex', 1_000, COUNT, { idleMs }));
  rounds.doorbell.push(await hop('doorbell', 1_000, COUNT, { idleMs }));
  rounds.uds.push(await hop('uds', 1_000, COUNT, { idleMs: r === 0 ? 2_000 : 0 }));
  say(`    round ${r + 1}: futex p50 ${rounds.futex[r]!.p50.toFixed(1)}, doorbell ${rounds.doorbell[r]!.p50.toFixed(1)}, socket ${rounds.uds[r]!.p50.toFixed(1)} us`);
}
const futex = combine(rounds.futex);
const doorbell = combine(rounds.doorbell);
const uds = combine(rounds.uds);
say(`    futex (ledger, strategies)     ${fmt(futex)}`);
say(`    doorbell (gateways, master)    ${fmt(doorbell)}`);
say(`    lean Unix socket               ${fmt(uds)}`);
const futex100k = await hop('futex', 100_000, 300_000);
say(`    futex at 100k/s                ${fmt(futex100k)}`);
say('(c) -x: readers spin');
const spin = await hop('spin', 1_000, COUNT, { idleMs: 2_000 });
say(`    spin 1k/s                      ${fmt(spin)}`);

/** The same hop in C (bench/journal/futex-floor.c): the kernel's floor on this machine. */
async function futexFloor(): Promise<{ p50: number; p99: number; p999: number } | { why: string }> {
  const source = fileURLToPath(new URL('../../../bench/journal/futex-floor.c', import.meta.url));
  const bin = join(home, 'futex-floor');
  const cc = spawnSync('cc', ['-O2', '-o', bin, source], { encoding: 'utf8' });
  if (cc.status !== 0) return { why: `cannot compile ${source} (${(cc.stderr || cc.error?.message || 'no cc').split('\n')[0]})` };
  const file = join(home, 'futex-floor.shm');
  const reader = spawn(bin, [file, 'reader', String(COUNT), String(COUNT / 10)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: reader.stdout! });
  const out: string[] = [];
  lines.on('line', (l) => out.push(l));
  const exited = new Promise<void>((resolve) => reader.once('exit', () => resolve()));
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  spawnSync(bin, [file, 'writer', String(COUNT)]);
  await exited;
  if (out.length < 2) return { why: `the C reader got too few wake-ups (${reader.exitCode === null ? 'killed' : `exit code ${reader.exitCode}`})` };
  const [p50, p99, p999] = out[1]!.split(' ').map(Number) as [number, number, number];
  return { p50, p99, p999 };
}

let redis: HopResult | undefined;
const redisFound = findRedis();
if (redisFound.bin) {
  const port = 16379 + (process.pid % 1000);
  const server = spawn(redisFound.bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && spawnSync('sh', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { shell: '/bin/bash' }).status !== 0; i++) await sleep(50);
  try {
    redis = await hop('redis', 1_000, COUNT, { redisPort: port, idleMs: 2_000 });
    say(`    Redis Streams 1k/s             ${fmt(redis)}`);
  } finally {
    server.kill();
  }
} else {
  say(`    Redis Streams: no figure: ${redisFound.why}`);
}

const floor = await futexFloor();
if ('why' in floor) say(`    C futex floor: no figure: ${floor.why}`);
else say(`    C futex floor (the kernel's)   p50 ${floor.p50.toFixed(1)}  p99 ${floor.p99.toFixed(1)}  p99.9 ${floor.p999.toFixed(1)} us`);

// ---- (e) the fsync policy's cost (durability.ts) -----------------------------------------------
/** Mean us per committed frame under `policy`: n frames, one in ten an order-path frame (Order). */
async function fsyncRun(policy: FsyncPolicy, n: number): Promise<number> {
  const location = Locations.td('bench', `fsync${policy.kind}`);
  const w = JournalWriter.open({ home, location, pageSize: 4 << 20, log, fsync: policy });
  const ev = Event96.empty() as Record<string, bigint>;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const at = w.beginFrame(i % 10 === 0 ? MsgType.Order : 60003, Event96.size);
    Event96.encode(w.view, w.buf, at, ev as never);
    w.commitFrame();
    if (i % 1000 === 999) await yieldToEventLoop();
  }
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  w.close();
  await sleep(50);
  rmSync(join(home, 'journal', 'td', 'bench', `fsync${policy.kind}`), { recursive: true, force: true });
  return us;
}
say('');
say('(e) the fsync policy: mean cost of a commit, one frame in ten an Order (KF_JOURNAL_FSYNC)');
const fsyncCost: Record<string, number> = {};
for (const [name, policy, n] of [
  ['none', { kind: 'none' }, 200_000],
  ['page', { kind: 'page' }, 200_000],
  ['10ms', { kind: 'interval', ms: 10 }, 200_000],
  ['orders', { kind: 'orders' }, 5_000],
  ['frame', { kind: 'frame' }, 2_000],
] as const) {
  fsyncCost[name] = await fsyncRun(policy, n);
  say(`    ${name.padEnd(8)} ${fsyncCost[name]!.toFixed(3).padStart(9)} us per frame (${(fsyncCost[name]! / fsyncCost.none!).toFixed(1)}x none)`);
}

const ratio = (a: number | undefined, b: number) => (a === undefined ? null : Number((a / b).toFixed(2)));
say('');
say(`futex hop vs lean Unix socket: p50 ${ratio(uds.p50, futex.p50)}x lower, p99 ${ratio(uds.p99, futex.p99)}x lower; doorbell p50 ${ratio(uds.p50, doorbell.p50)}x lower; vs Redis Streams p50 ${ratio(redis?.p50, futex.p50) ?? 'n/a'}x lower`);
const round = (x: number, d = 2) => Number(x.toFixed(d));
console.log(
  JSON.stringify({
    append_frames_per_s: Math.round(appendRate),
    fs_write_frames_per_s: Math.round(fsRate),
    append_vs_fs_write: round(appendRate / fsRate),
    hop_p50_us: round(futex.p50),
    hop_p99_us: round(futex.p99),
    hop_p999_us: round(futex.p999),
    idle_cpu_pct: round(futex.idle ?? NaN),
    hop_100k_p50_us: round(futex100k.p50),
    hop_100k_p99_us: round(futex100k.p99),
    doorbell_hop_p50_us: round(doorbell.p50),
    doorbell_hop_p99_us: round(doorbell.p99),
    doorbell_idle_cpu_pct: round(doorbell.idle ?? NaN),
    spin_hop_p50_us: round(spin.p50),
    spin_hop_p99_us: round(spin.p99),
    uds_hop_p50_us: round(uds.p50),
    uds_hop_p99_us: round(uds.p99),
    uds_idle_cpu_pct: round(uds.idle ?? NaN),
    redis_hop_p50_us: redis ? round(redis.p50) : null,
    redis_hop_p99_us: redis ? round(redis.p99) : null,
    redis_missing: redis ? undefined : redisFound.why,
    uds_over_futex_p50: ratio(uds.p50, futex.p50),
    uds_over_futex_p99: ratio(uds.p99, futex.p99),
    uds_over_doorbell_p50: ratio(uds.p50, doorbell.p50),
    redis_over_futex_p50: ratio(redis?.p50, futex.p50),
    c_futex_floor_p50_us: 'why' in floor ? null : floor.p50,
    c_futex_floor_p99_us: 'why' in floor ? null : floor.p99,
    fsync_none_us: round(fsyncCost.none!, 3),
    fsync_page_us: round(fsyncCost.page!, 3),
    fsync_10ms_us: round(fsyncCost['10ms']!, 3),
    fsync_orders_us: round(fsyncCost.orders!, 3),
    fsync_frame_us: round(fsyncCost.frame!, 3),
    rounds: ROUNDS,
  }),
);
