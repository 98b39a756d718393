/**
 * The soak run: `npm run soak -- --minutes N`. The whole stack under PM2 on a busy simulated market
 * (the demo strategy trading), for N minutes. Each minute it samples every process's memory (RSS,
 * and V8's used heap as PM2 reports it) and the latencies of the minute's orders, read back from
 * the journals:
 *
 *   tick to order   the market-data frame that triggered the strategy -> the TD's Pending frame of
 *                   the order (the request is about to leave): MD, strategy, ledger and TD hops
 *   ledger hop      the strategy's OrderInput -> the ledger's routed OrderInput (a journal hop
 *                   plus the pre-trade checks)
 *
 * It fails if a process's memory (anonymous RSS: its own, not the journals' mapped file pages,
 * which are the kernel's page cache) grows by more than 10% between the end of the warm-up
 * (the first third of the run, at least 2 minutes) and the end, or if the p99 of either latency in the last third of the run is more than 2x that
 * of the first third. It prints a table and writes it, with a PNG chart of memory and latency
 * over time, to docs/soak/ (or --out).
 *
 *   --minutes N   how long (default 10, at least 3)
 *   --rate R      the synthetic market's rounds per second (default 50)
 *   --out DIR     where the table and the chart go (default docs/soak)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Locations } from '../src/journal/location.js';
import { JournalReader } from '../src/journal/reader.js';
import { OrderStatus } from '../src/model/enums.js';
import { MsgType, Order, OrderInput } from '../src/model/events.js';
import { createLogger } from '../src/util/log.js';
import { APPS, ChaosStack } from './chaos-stack.js';
import { healthProblem } from './invariants.js';
import { renderChart } from './soak-chart.js';

interface Sample {
  minute: number;
  rssMb: Record<string, number>;
  /** Anonymous memory: the process's own (RSS less the journals' mapped file pages, which are page cache). */
  anonMb: Record<string, number>;
  heapMb: Record<string, number | null>;
  t2o: number[];
  hop: number[];
}

const pct = (xs: number[], p: number) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!);
const us = (ns: bigint) => Number(ns) / 1000;

/** A /proc/<pid>/status field in MB (VmRSS, RssAnon). */
function statusMb(pid: number, field: string): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
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
  const { values } = parseArgs({ options: { minutes: { type: 'string' }, rate: { type: 'string' }, out: { type: 'string' } } });
  const minutes = Number(values.minutes ?? 10);
  const rate = Number(values.rate ?? 50);
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
  const stack = await ChaosStack.start({ seed: 11, masterPort: port, rate });
  const samples: Sample[] = [];
  let failed: string | undefined;
  try {
    for (let i = 0; i < 600 && (await healthProblem(stack).catch((e: Error) => e.message)); i++) await new Promise((r) => setTimeout(r, 100));
    const latencies = new OrderLatencies(stack.home);
    say(`soak: ${minutes} min, market at ${rate} rounds/s, KF_HOME ${stack.home}`);
    latencies.take(); // from here on
    for (let minute = 1; minute <= minutes; minute++) {
      await new Promise((r) => setTimeout(r, 60_000));
      const pm2 = await stack.pm2List();
      const heaps = await stack.pm2Heaps();
      const s: Sample = { minute, rssMb: {}, anonMb: {}, heapMb: {}, ...latencies.take() };
      for (const { app } of APPS) {
        s.rssMb[app] = statusMb(pm2.get(app)?.pid ?? 0, 'VmRSS');
        s.anonMb[app] = statusMb(pm2.get(app)?.pid ?? 0, 'RssAnon');
        s.heapMb[app] = heaps.get(app) ?? null;
      }
      samples.push(s);
      say(`  minute ${String(minute).padStart(3)}: ${APPS.map(({ app }) => `${app} ${s.rssMb[app]!.toFixed(1)} MB (anon ${s.anonMb[app]!.toFixed(1)})`).join(', ')}; tick-to-order p50 ${pct(s.t2o, 50).toFixed(0)} p99 ${pct(s.t2o, 99).toFixed(0)} us (${s.t2o.length} orders); ledger hop p99 ${pct(s.hop, 99).toFixed(0)} us`);
    }
    latencies.close();
  } finally {
    await stack.close();
  }

  // The verdict.
  // The warm-up is the first third: the bounded windows (the TD's last 2000 finished orders, the
  // ledger's last 10 minutes of them) fill during it; past it, memory must stay flat.
  const warm = samples[Math.max(2, Math.floor(samples.length / 3)) - 1]!;
  const last = samples.at(-1)!;
  const problems: string[] = [];
  for (const { app } of APPS) {
    const growth = last.anonMb[app]! / warm.anonMb[app]! - 1;
    if (!(growth <= 0.1)) problems.push(`${app} memory grew ${(growth * 100).toFixed(1)}% (anonymous RSS ${warm.anonMb[app]!.toFixed(1)} -> ${last.anonMb[app]!.toFixed(1)} MB)`);
  }
  const third = Math.max(1, Math.floor(samples.length / 3));
  for (const key of ['t2o', 'hop'] as const) {
    const first = pct(samples.slice(1, 1 + third).flatMap((s) => s[key]), 99);
    const end = pct(samples.slice(-third).flatMap((s) => s[key]), 99);
    if (!(end <= 2 * first)) problems.push(`${key === 't2o' ? 'tick-to-order' : 'ledger hop'} p99 drifted ${(end / first).toFixed(2)}x (${first.toFixed(0)} -> ${end.toFixed(0)} us)`);
  }
  failed = problems[0];

  // The table and the chart.
  const header = ['minute', ...APPS.map((a) => `${a.app} RSS MB`), ...APPS.map((a) => `${a.app} anon MB`), ...APPS.map((a) => `${a.app} heap MB`), 't2o p50 us', 't2o p99 us', 'hop p50 us', 'hop p99 us', 'orders'];
  const rows = samples.map((s) => [s.minute, ...APPS.map((a) => s.rssMb[a.app]!.toFixed(1)), ...APPS.map((a) => s.anonMb[a.app]!.toFixed(1)), ...APPS.map((a) => s.heapMb[a.app]?.toFixed(1) ?? '-'), pct(s.t2o, 50).toFixed(0), pct(s.t2o, 99).toFixed(0), pct(s.hop, 50).toFixed(0), pct(s.hop, 99).toFixed(0), s.t2o.length].map(String));
  const table = [header, ...rows].map((r) => `| ${r.join(' | ')} |`);
  table.splice(1, 0, `|${header.map(() => '---').join('|')}|`);
  mkdirSync(out, { recursive: true });
  const verdict = failed ? `FAILED: ${failed}` : `passed: every process's anonymous memory within 10% of minute ${warm.minute}, latency p99 within 2x`;
  writeFileSync(join(out, 'soak.md'), `# Soak run: ${minutes} min, market at ${rate} rounds/s (${new Date().toISOString()})\n\n${verdict}\n\n![memory and latency](soak.png)\n\n${table.join('\n')}\n`);
  writeFileSync(join(out, 'soak.png'), await renderChart(samples.map((s) => ({ minute: s.minute, rssMb: s.anonMb, t2oP50: pct(s.t2o, 50), t2oP99: pct(s.t2o, 99), hopP99: pct(s.hop, 99) }))));
  say('');
  say(table.join('\n'));
  say('');
  say(`soak: ${verdict} (table and chart in ${out}/)`);
  return failed ? 1 : 0;
}

process.exit(await main());
