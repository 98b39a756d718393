/**
 * One side of a one-hop latency measurement, run as its own process by journal.bench.ts:
 *   hop.js <transport>-<role> <json options>
 * transport: journal | uds | redis; role: writer | reader. The journal reader waits in the
 * EventLoop mode given (block: futex; loop: the FIFO doorbell; spin).
 *
 * Writers send `count` 128-byte messages at `rate` per second (busy-paced), each stamped with the
 * journal clock (a frame's gen_time, or 8 bytes in the message). Readers print "ready", optionally
 * measure their own CPU while idle ("idle <pct>"), then one JSON line of latency percentiles (us)
 * once `count` messages arrived. Both sides read CLOCK_MONOTONIC, which all processes share.
 */
import { writeFileSync, writeSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { setImmediate as yieldNow, setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { nowNs, useHomeClock } from '../../src/journal/clock.js';
import { journalRoot, parseLocation } from '../../src/journal/location.js';
import { EventLoop } from '../../src/journal/loop.js';
import { JournalReader, type WaitMode } from '../../src/journal/reader.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { createLogger } from '../../src/util/log.js';

interface Options {
  home: string;
  location: string;
  count: number;
  rate: number;
  warmup: number;
  idleMs: number;
  wait: WaitMode;
  socket: string;
  redisPort: number;
}

const [mode = '', json = '{}'] = process.argv.slice(2);
const opts = JSON.parse(json) as Options;
const MSG = 128;
const PAYLOAD = MSG - 32;
const log = createLogger({ name: 'bench', level: 'warning', fd: 2 });
// Every transport's stamps on the same clock (the journal's processes anchor it this way too).
useHomeClock(journalRoot(opts.home));

function report(samples: Float64Array, n: number): void {
  const s = samples.subarray(0, n).sort();
  if (process.env.KF_HOP_DUMP) writeFileSync(process.env.KF_HOP_DUMP, JSON.stringify(Array.from(s)));
  const q = (p: number) => s[Math.min(n - 1, Math.floor(p * n))]! / 1000;
  process.stdout.write(JSON.stringify({ n, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: s[n - 1]! / 1000 }) + '\n');
}

/** Reader side bookkeeping: drop the warm-up, keep the rest. */
function collector(onDone: () => void) {
  const samples = new Float64Array(opts.count);
  let seen = 0;
  let kept = 0;
  return (sentNs: bigint) => {
    const latency = Number(nowNs() - sentNs);
    if (seen++ >= opts.warmup) samples[kept++] = latency;
    if (seen === opts.count) {
      report(samples, kept);
      onDone();
    }
  };
}

async function measureIdle(): Promise<void> {
  if (opts.idleMs <= 0) return;
  const before = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(opts.idleMs);
  const used = process.cpuUsage(before);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  process.stdout.write(`idle ${(((used.user + used.system) / wallUs) * 100).toFixed(2)}\n`);
}

/** Announces the writer is set up, then waits for the orchestrator's "go" on stdin. */
async function readyThenGo(): Promise<void> {
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    process.stdin.setEncoding('utf8').on('data', (d: string) => d.includes('go') && resolve());
  });
  process.stdin.pause();
}

/**
 * Calls send(i) count times at the configured rate: the event loop turns while the next send is
 * more than 100 us away (so socket writers flush), then a busy-wait hits the due time precisely.
 */
async function paced(send: (i: number) => void | Promise<void>): Promise<void> {
  await readyThenGo();
  const intervalMs = 1000 / opts.rate;
  const start = performance.now();
  for (let i = 0; i < opts.count; i++) {
    const due = start + i * intervalMs;
    while (due - performance.now() > 0.1) await yieldNow();
    while (performance.now() < due);
    await send(i);
  }
}

/** A journal-driven reader: the process's thread is the event loop's (as in the ledger). */
async function journalReader(): Promise<void> {
  const r = new JournalReader({ home: opts.home, log });
  r.join(parseLocation(opts.location), 0, nowNs());
  const loop = new EventLoop({ reader: r, mode: opts.wait });
  const add = collector(() => loop.stop());
  loop.onFrame((f) => add(f.genTime));
  const following = loop.run();
  process.stdout.write('ready\n');
  await measureIdle();
  process.stdout.write('measuring\n');
  await following;
  r.close();
}

switch (mode) {
  case 'journal-writer': {
    const w = JournalWriter.open({ home: opts.home, location: parseLocation(opts.location), pageSize: 64 << 20, log });
    await paced(() => {
      const at = w.beginFrame(60002, PAYLOAD);
      w.buf.fill(7, at, at + PAYLOAD);
      w.commitFrame();
    });
    await sleep(100);
    w.close();
    break;
  }
  case 'journal-reader':
    await journalReader();
    break;
  case 'uds-writer': {
    // The lean socket hop: one write(2) per message on the socket's descriptor.
    const socket = createConnection({ path: opts.socket, noDelay: true });
    await new Promise((resolve) => socket.once('connect', resolve));
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    const msg = Buffer.alloc(MSG, 7);
    await paced(() => {
      msg.writeBigInt64LE(nowNs(), 0);
      writeSync(fd, msg);
    });
    socket.end();
    break;
  }
  case 'uds-reader': {
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const add = collector(() => done());
    // One 'data' handler; a message that arrives split is reassembled in one reused buffer.
    const partial = Buffer.alloc(MSG);
    let have = 0;
    const server = createServer((s: Socket) => {
      s.on('data', (chunk: Buffer) => {
        let at = 0;
        if (have > 0) {
          const take = Math.min(MSG - have, chunk.length);
          chunk.copy(partial, have, 0, take);
          have += take;
          at = take;
          if (have < MSG) return;
          add(partial.readBigInt64LE(0));
          have = 0;
        }
        for (; at + MSG <= chunk.length; at += MSG) add(chunk.readBigInt64LE(at));
        if (at < chunk.length) have = chunk.copy(partial, 0, at);
      });
    });
    await new Promise<void>((resolve) => server.listen(opts.socket, resolve));
    process.stdout.write('ready\n');
    await measureIdle();
    process.stdout.write('measuring\n');
    await finished;
    server.close();
    process.exit(0);
  }
  case 'redis-writer': {
    const redis = new Redis({ port: opts.redisPort, host: '127.0.0.1', enableAutoPipelining: false });
    const filler = 'x'.repeat(PAYLOAD - 20);
    await paced(async () => {
      await redis.xadd('hop', '*', 't', nowNs().toString(), 'p', filler);
    });
    redis.disconnect();
    break;
  }
  case 'redis-reader': {
    const redis = new Redis({ port: opts.redisPort, host: '127.0.0.1' });
    let finished = false;
    const add = collector(() => (finished = true));
    let last = '$';
    process.stdout.write('ready\n');
    await measureIdle();
    process.stdout.write('measuring\n');
    while (!finished) {
      const res = (await redis.xread('COUNT', 1000, 'BLOCK', 0, 'STREAMS', 'hop', last)) as [string, [string, string[]][]][] | null;
      for (const [, entries] of res ?? []) {
        for (const [id, fields] of entries) {
          last = id;
          add(BigInt(fields[1]!));
          if (finished) break;
        }
      }
    }
    redis.disconnect();
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
