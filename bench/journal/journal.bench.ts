/**
 * bench:journal — what the journal costs, against what a Node team would otherwise use, in one run.
 *
 * (a) append throughput in one process, 128-byte frames, vs fs.writeSync of the same bytes;
 * (b) one hop writer process -> reader process, p50/p99/p99.9 at 1k and 100k frames/s, default
 *     (adaptive) mode, and the reader's CPU while idle; (c) the same with readers spinning (-x);
 * (d) the same hop over a Unix socket and over Redis Streams (XADD / XREAD BLOCK, redis-server
 *     started here), as ratios. Ends with one line of JSON.
 */
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

const HOP = fileURLToPath(new URL('./hop.ts', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'kfts-bench-'));
const log = createLogger({ name: 'bench', level: 'warning', fd: 2 });
const say = (line: string) => process.stderr.write(line + '\n');
process.on('exit', () => rmSync(home, { recursive: true, force: true }));

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
say(`    journal append   ${(appendRate / 1e6).toFixed(2)} M frames/s`);
say(`    fs.writeSync     ${(fsRate / 1e6).toFixed(2)} M frames/s   (journal is ${(appendRate / fsRate).toFixed(1)}x)`);

// ---- hops between processes ------------------------------------------------------------------
interface Proc {
  child: ChildProcess;
  line(re: RegExp): Promise<string>;
}

function start(mode: string, opts: object): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', HOP, mode, JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'inherit'] });
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

let runId = 0;
async function hop(transport: 'journal' | 'uds' | 'redis', rate: number, count: number, extra: { spin?: boolean; idleMs?: number; redisPort?: number } = {}): Promise<HopResult> {
  const opts = {
    home,
    location: `md/hop${++runId}/hop${runId}/live`,
    socket: join(home, `hop${runId}.sock`),
    count,
    rate,
    warmup: Math.min(2000, Math.floor(count / 10)),
    idleMs: extra.idleMs ?? 0,
    spin: extra.spin ?? false,
    redisPort: extra.redisPort ?? 0,
  };
  // The journal writer must exist before its reader joins; the socket/redis readers listen first.
  let writer: Proc | undefined;
  if (transport === 'journal') {
    writer = start(`${transport}-writer`, opts);
    await writer.line(/^ready$/);
  }
  const reader = start(`${transport}-reader`, opts);
  await reader.line(/^ready$/);
  if (!writer) {
    writer = start(`${transport}-writer`, opts);
    await writer.line(/^ready$/);
  }
  await sleep(200); // let the doorbell / connection settle before the idle measurement
  const idle = opts.idleMs > 0 ? Number((await reader.line(/^idle /)).split(' ')[1]) : undefined;
  await reader.line(/^measuring$/);
  writer.child.stdin!.write('go\n');
  const result = JSON.parse(await reader.line(/^\{/)) as HopResult;
  writer.child.kill();
  reader.child.kill();
  return idle === undefined ? result : { ...result, idle };
}

const fmt = (r: HopResult) => `p50 ${r.p50.toFixed(1)}  p99 ${r.p99.toFixed(1)}  p99.9 ${r.p999.toFixed(1)}  max ${r.max.toFixed(0)} us` + (r.idle !== undefined ? `   idle CPU ${r.idle.toFixed(2)}%` : '');

say('(b) one hop, default (adaptive) mode');
const j1k = await hop('journal', 1_000, 6_000, { idleMs: 5_000 });
say(`    1k/s    ${fmt(j1k)}`);
const j100k = await hop('journal', 100_000, 300_000);
say(`    100k/s  ${fmt(j100k)}`);
say('(c) one hop, -x spin mode');
const s1k = await hop('journal', 1_000, 6_000, { spin: true, idleMs: 2_000 });
say(`    1k/s    ${fmt(s1k)}`);
const s100k = await hop('journal', 100_000, 300_000, { spin: true });
say(`    100k/s  ${fmt(s100k)}`);
say('(d) baselines: the same hop over a Unix socket and Redis Streams');
const u1k = await hop('uds', 1_000, 6_000, { idleMs: 2_000 });
say(`    uds 1k/s    ${fmt(u1k)}`);
const u100k = await hop('uds', 100_000, 300_000);
say(`    uds 100k/s  ${fmt(u100k)}`);

let r1k: HopResult | undefined;
const redisBin = spawnSync('sh', ['-c', 'command -v redis-server']).stdout.toString().trim();
if (redisBin) {
  const port = 16379 + (process.pid % 1000);
  const redis = spawn(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && spawnSync('sh', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { shell: '/bin/bash' }).status !== 0; i++) await sleep(50);
  try {
    r1k = await hop('redis', 1_000, 6_000, { redisPort: port, idleMs: 2_000 });
    say(`    redis 1k/s  ${fmt(r1k)}   (XADD round trips cap one client near 10-20k/s: 1k/s only)`);
  } finally {
    redis.kill();
  }
} else {
  say('    redis-server not found: apt-get install -y redis-server to include the Redis Streams baseline');
}

const ratio = (a: number | undefined, b: number) => (a === undefined ? null : Number((a / b).toFixed(2)));
say('');
say(`journal vs Unix socket, p50 at 1k/s: ${ratio(u1k.p50, j1k.p50)}x lower; vs Redis Streams: ${ratio(r1k?.p50, j1k.p50) ?? 'n/a'}x lower`);
const round = (x: number, d = 2) => Number(x.toFixed(d));
console.log(
  JSON.stringify({
    append_frames_per_s: Math.round(appendRate),
    fs_write_frames_per_s: Math.round(fsRate),
    append_vs_fs_write: round(appendRate / fsRate),
    hop_p50_us: round(j1k.p50),
    hop_p99_us: round(j1k.p99),
    hop_p999_us: round(j1k.p999),
    hop_100k_p50_us: round(j100k.p50),
    hop_100k_p99_us: round(j100k.p99),
    hop_100k_p999_us: round(j100k.p999),
    idle_cpu_pct: round(j1k.idle ?? NaN),
    spin_hop_p50_us: round(s1k.p50),
    spin_hop_p99_us: round(s1k.p99),
    spin_hop_100k_p50_us: round(s100k.p50),
    spin_idle_cpu_pct: round(s1k.idle ?? NaN),
    uds_hop_p50_us: round(u1k.p50),
    uds_hop_p99_us: round(u1k.p99),
    uds_hop_100k_p50_us: round(u100k.p50),
    redis_hop_p50_us: r1k ? round(r1k.p50) : null,
    redis_hop_p99_us: r1k ? round(r1k.p99) : null,
    uds_over_journal_p50: ratio(u1k.p50, j1k.p50),
    redis_over_journal_p50: ratio(r1k?.p50, j1k.p50),
  }),
);
