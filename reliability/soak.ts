/**
 * The soak run: `npm run soak -- --minutes N`. The whole stack under PM2 on a busy simulated market
 * (the demo strategy trading), for N minutes. Each minute it samples every process's memory (below)
 * and the latencies of the minute's orders, read back from the journals:
 *
 *   tick to order   the market-data frame that triggered the strategy -> the TD's Pending frame of
 *                   the order (the request is about to leave): MD, strategy, ledger and TD hops
 *   ledger hop      the strategy's OrderInput -> the ledger's routed OrderInput (a journal hop
 *                   plus the pre-trade checks)
 *
 * Memory is judged on what each process retains, measured right after a full GC that soak-gc.cjs,
 * preloaded in the stack's processes only, runs on SIGUSR2:
 *
 *   heap            V8's used heap: the objects the process holds
 *   retained        its anonymous RSS (its own memory, not the journals' mapped file pages, which
 *                   are the kernel's page cache) less the free part of V8's heap: the objects and
 *                   all native memory (buffers, malloc, code), without the spare pages V8 keeps
 *
 * Not on RSS as it stands: V8 collects its old space lazily, and a process that allocates little
 * (the master) lets garbage pile up for many minutes, so its heap and RSS climb steadily with
 * nothing leaking (heap snapshots minutes apart showed the master retaining the same objects, only
 * PM2's own event-loop histogram filling to its 1028 samples). Nor on anonymous RSS after the GC
 * whole: V8 sizes its young generation to the allocation rate and keeps the pages (the ledger's
 * went up 7 MB at once a few minutes in: 30 more V8 pages of 256 KB, its used heap unmoved),
 * which a full GC does not give back. Both are in the second table. (The forced GC pauses each
 * process for a few milliseconds once a minute; an order caught in one counts in the latencies.)
 *
 * The windows of finished orders (the TD's and the strategy's last 2000, the ledger's last ten
 * minutes: util/retention.ts) fill for about nine minutes at the demo's ~240 orders a minute, so a
 * 10-minute run would see them grow through it: the soak keeps a tenth of each (KF_RETENTION_SCALE
 * 0.1, --retention), full within its warm-up, and any growth after it is growth without bound.
 * With --retention 1 (production sizes) judge a run of at least 30 minutes.
 *
 * It fails if either measure of a process grows by more than 10% between the end of the warm-up
 * (the first third of the run, at least 2 minutes) and the end, or if the p99 of either latency in
 * the last third of the run is more than 2x that of the first third. It prints a table and writes
 * it, with a PNG chart of memory and latency over time, to docs/soak/ (or --out).
 *
 *   --minutes N   how long (default 10, at least 3)
 *   --rate R      the synthetic market's rounds per second (default 50)
 *   --retention S the share of each window of finished orders the processes keep (default 0.1)
 *   --out DIR     where the table and the chart go (default docs/soak)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Locations } from '../src/journal/location.js';
import { JournalReader } from '../src/journal/reader.js';
import { OrderStatus } from '../src/model/enums.js';
import { MsgType, Order, OrderInput } from '../src/model/events.js';
import { createLogger } from '../src/util/log.js';
import { APPS, ChaosStack } from './chaos-stack.js';
import { retentionScale } from '../src/util/retention.js';
import { healthProblem } from './invariants.js';
import { renderChart } from './soak-chart.js';

interface Sample {
  minute: number;
  rssMb: Record<string, number>;
  /** Anonymous memory: the process's own (RSS less the journals' mapped file pages, which are page cache). */
  anonMb: Record<string, number>;
  /** Anonymous memory right after a full GC (no garbage V8 has yet to collect). */
  anonGcMb: Record<string, number>;
  /** V8's used heap right after a full GC. */
  heapGcMb: Record<string, number>;
  /** The free part of V8's heap then (physical less used): spare pages, chiefly the young generation. */
  v8FreeMb: Record<string, number>;
  t2o: number[];
  hop: number[];
  /** The machine's 1-minute load average (other work on the machine moves the latencies). */
  load: number;
}

const pct = (xs: number[], p: number) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!);
const us = (ns: bigint) => Number(ns) / 1000;
const MIB = 1024 * 1024;
/** What a process retains after a full GC: its anonymous RSS less V8's free heap pages. */
const retainedMb = (s: Sample, app: string) => s.anonGcMb[app]! - s.v8FreeMb[app]!;

/** A /proc/<pid>/status field in MB (VmRSS, RssAnon). */
function statusMb(pid: number, field: string): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Whether `pid` catches SIGUSR2 (/proc's SigCgt mask): a process that does not would die of it. */
function catchesSigusr2(pid: number): boolean {
  try {
    const m = /^SigCgt:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m !== null && ((BigInt(`0x${m[1]}`) >> 11n) & 1n) === 1n; // SIGUSR2 is 12: bit 11
  } catch {
    return false;
  }
}

/**
 * `pid`'s memory right after a full GC, which soak-gc.cjs (preloaded in every process of the
 * stack) runs on SIGUSR2: V8's used heap, the free part of its heap, and the anonymous RSS. NaN
 * when the process cannot be asked or does not answer within 10 s.
 */
async function collected(pid: number, dir: string): Promise<{ heapMb: number; v8FreeMb: number; anonMb: number }> {
  const file = join(dir, `${pid}.json`);
  rmSync(file, { force: true });
  const none = { heapMb: NaN, v8FreeMb: NaN, anonMb: NaN };
  if (pid <= 0 || !catchesSigusr2(pid)) return none;
  process.kill(pid, 'SIGUSR2');
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
    let answer: { usedHeap: number; physicalHeap: number };
    try {
      answer = JSON.parse(readFileSync(file, 'utf8')) as { usedHeap: number; physicalHeap: number };
    } catch {
      continue;
    }
    return { heapMb: answer.usedHeap / MIB, v8FreeMb: (answer.physicalHeap - answer.usedHeap) / MIB, anonMb: statusMb(pid, 'RssAnon') };
  }
  return none;
}

/** Follows the strategy's, the ledger's and the TD's journals, pairing each order's frames. */
class OrderLatencies {
  private readonly reader: JournalReader;
  private readonly fromStrategy = new Map<bigint, { trigger: bigint; gen: bigint }>();
  private t2o: number[] = [];
  private hop: number[] = [];

  constructor(home: string) {
    this.reader = new JournalReader({ home, log: createLogger({ name: 'soak', level: 'error', fd: 2 }) });
    const ledger = Locations.ledger();
    const td = Locations.td('binance', 'my_account');
    this.reader.join(Locations.strategy('demo_spot'), ledger.uid);
    this.reader.join(ledger, td.uid);
    this.reader.join(td, 0);
  }

  /** What was read since the last call: the minute's latencies (us). */
  take(): { t2o: number[]; hop: number[] } {
    this.reader.housekeep();
    for (let f = this.reader.next(); f; f = this.reader.next()) {
      if (f.msgType === MsgType.OrderInput && f.location.category === 'strategy') {
        this.fromStrategy.set(f.decode(OrderInput).order_id, { trigger: f.triggerTime, gen: f.genTime });
      } else if (f.msgType === MsgType.OrderInput && f.location.category === 'system') {
        const s = this.fromStrategy.get(f.decode(OrderInput).order_id);
        if (s) this.hop.push(us(f.genTime - s.gen));
      } else if (f.msgType === MsgType.Order) {
        const o = f.decode(Order);
        const s = this.fromStrategy.get(o.order_id);
        if (o.status === OrderStatus.Pending && s && s.trigger > 0n) {
          this.t2o.push(us(f.genTime - s.trigger));
          this.fromStrategy.delete(o.order_id);
        }
      }
    }
    const out = { t2o: this.t2o, hop: this.hop };
    this.t2o = [];
    this.hop = [];
    return out;
  }

  close(): void {
    this.reader.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { minutes: { type: 'string' }, rate: { type: 'string' }, retention: { type: 'string' }, out: { type: 'string' } } });
  const minutes = Number(values.minutes ?? 10);
  const rate = Number(values.rate ?? 50);
  const retention = values.retention ?? '0.1';
  retentionScale(retention); // a bad value fails here, not in each process
  if (!Number.isInteger(minutes) || minutes < 3 || minutes > 1440) throw new Error(`--minutes "${values.minutes}": a whole number from 3 to 1440`);
  if (!Number.isFinite(rate) || rate < 1 || rate > 1000) throw new Error(`--rate "${values.rate}": rounds per second, from 1 to 1000`);
  const out = values.out ?? 'docs/soak';
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  // Every process of the stack (PM2's daemon passes its environment on) preloads soak-gc.cjs.
  const gcDir = mkdtempSync(join(tmpdir(), 'kfts-soak-gc-'));
  const preload = fileURLToPath(new URL('./soak-gc.cjs', import.meta.url));
  Object.assign(process.env, { KF_RETENTION_SCALE: retention, KF_SOAK_GC_DIR: gcDir, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc --require ${JSON.stringify(preload)}`.trim() });
  const stack = await ChaosStack.start({ seed: 11, masterPort: port, rate });
  const samples: Sample[] = [];
  let failed: string | undefined;
  try {
    for (let i = 0; i < 600 && (await healthProblem(stack).catch((e: Error) => e.message)); i++) await new Promise((r) => setTimeout(r, 100));
    const latencies = new OrderLatencies(stack.home);
    say(`soak: ${minutes} min, market at ${rate} rounds/s, windows of finished orders at ${retention} of their size, KF_HOME ${stack.home}`);
    latencies.take(); // from here on
    for (let minute = 1; minute <= minutes; minute++) {
      await new Promise((r) => setTimeout(r, 60_000));
      const pm2 = await stack.pm2List();
      const s: Sample = { minute, rssMb: {}, anonMb: {}, anonGcMb: {}, heapGcMb: {}, v8FreeMb: {}, ...latencies.take(), load: loadavg()[0]! };
      for (const { app } of APPS) {
        const pid = pm2.get(app)?.pid ?? 0;
        s.rssMb[app] = statusMb(pid, 'VmRSS');
        s.anonMb[app] = statusMb(pid, 'RssAnon');
        const after = await collected(pid, gcDir);
        s.anonGcMb[app] = after.anonMb;
        s.heapGcMb[app] = after.heapMb;
        s.v8FreeMb[app] = after.v8FreeMb;
      }
      samples.push(s);
      say(`  minute ${String(minute).padStart(3)}: ${APPS.map(({ app }) => `${app} ${s.rssMb[app]!.toFixed(1)} MB (anon ${s.anonMb[app]!.toFixed(1)}; after GC: anon ${s.anonGcMb[app]!.toFixed(1)}, V8 free ${s.v8FreeMb[app]!.toFixed(1)}, retained ${retainedMb(s, app).toFixed(1)}, heap ${s.heapGcMb[app]!.toFixed(1)})`).join(', ')}; tick-to-order p50 ${pct(s.t2o, 50).toFixed(0)} p99 ${pct(s.t2o, 99).toFixed(0)} us (${s.t2o.length} orders); ledger hop p99 ${pct(s.hop, 99).toFixed(0)} us`);
    }
    latencies.close();
  } finally {
    await stack.close();
    rmSync(gcDir, { recursive: true, force: true });
  }

  // The verdict.
  // The warm-up is the first third: the windows of finished orders (at --retention of their size)
  // fill during it; past it, what each process retains must stay flat: its used heap and its
  // anonymous RSS, both right after a full GC.
  const warm = samples[Math.max(2, Math.floor(samples.length / 3)) - 1]!;
  const last = samples.at(-1)!;
  const problems: string[] = [];
  for (const { app } of APPS) {
    for (const [what, of] of [['V8 used heap after a full GC', (x: Sample) => x.heapGcMb[app]!], ['retained memory (anonymous RSS less V8\'s free heap, after a full GC)', (x: Sample) => retainedMb(x, app)]] as const) {
      const growth = of(last) / of(warm) - 1;
      if (!(growth <= 0.1)) problems.push(`${app} memory grew ${(growth * 100).toFixed(1)}% (${what} ${of(warm).toFixed(1)} -> ${of(last).toFixed(1)} MB)`);
    }
  }
  const third = Math.max(1, Math.floor(samples.length / 3));
  for (const key of ['t2o', 'hop'] as const) {
    const first = pct(samples.slice(1, 1 + third).flatMap((s) => s[key]), 99);
    const end = pct(samples.slice(-third).flatMap((s) => s[key]), 99);
    if (!(end <= 2 * first)) problems.push(`${key === 't2o' ? 'tick-to-order' : 'ledger hop'} p99 drifted ${(end / first).toFixed(2)}x (${first.toFixed(0)} -> ${end.toFixed(0)} us)`);
  }
  failed = problems.length > 1 ? `${problems[0]} (and ${problems.length - 1} more: ${problems.slice(1).join('; ')})` : problems[0];

  // The tables and the chart: what is judged, with the latencies; then memory as it stands.
  const mb = (of: (s: Sample, app: string) => number) => (s: Sample) => APPS.map((a) => of(s, a.app).toFixed(1));
  const markdown = (header: string[], rows: (string | number)[][]) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  const judged = markdown(
    ['minute', ...APPS.map((a) => `${a.app} retained MB`), ...APPS.map((a) => `${a.app} heap MB`), 't2o p50 us', 't2o p99 us', 'hop p50 us', 'hop p99 us', 'orders', 'load'],
    samples.map((s) => [s.minute, ...mb(retainedMb)(s), ...mb((x, app) => x.heapGcMb[app]!)(s), pct(s.t2o, 50).toFixed(0), pct(s.t2o, 99).toFixed(0), pct(s.hop, 50).toFixed(0), pct(s.hop, 99).toFixed(0), s.t2o.length, s.load.toFixed(2)]),
  );
  const raw = markdown(
    ['minute', ...APPS.map((a) => `${a.app} RSS MB`), ...APPS.map((a) => `${a.app} anon MB`), ...APPS.map((a) => `${a.app} anon after GC MB`), ...APPS.map((a) => `${a.app} V8 free MB`)],
    samples.map((s) => [s.minute, ...mb((x, app) => x.rssMb[app]!)(s), ...mb((x, app) => x.anonMb[app]!)(s), ...mb((x, app) => x.anonGcMb[app]!)(s), ...mb((x, app) => x.v8FreeMb[app]!)(s)]),
  );
  const table = [...judged, '', 'Memory as it stands (RSS, anonymous RSS), and after the full GC (anonymous RSS, the free part of V8\'s heap):', '', ...raw];
  mkdirSync(out, { recursive: true });
  const verdict = failed ? `FAILED: ${failed}` : `passed: every process's heap and retained memory after a full GC within 10% of minute ${warm.minute}, latency p99 within 2x`;
  writeFileSync(join(out, 'soak.md'), `# Soak run: ${minutes} min, market at ${rate} rounds/s, windows of finished orders at ${retention} of their size (${new Date().toISOString()})\n\n${verdict}\n\n![memory and latency](soak.png)\n\n${table.join('\n')}\n`);
  writeFileSync(join(out, 'soak.png'), await renderChart(samples.map((s) => ({ minute: s.minute, retainedMb: Object.fromEntries(APPS.map((a) => [a.app, retainedMb(s, a.app)])), heapMb: s.heapGcMb, t2oP50: pct(s.t2o, 50), t2oP99: pct(s.t2o, 99), hopP99: pct(s.hop, 99) }))));
  say('');
  say(table.join('\n'));
  say('');
  say(`soak: ${verdict} (table and chart in ${out}/)`);
  return failed ? 1 : 0;
}

process.exit(await main());
