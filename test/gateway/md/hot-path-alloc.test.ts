/**
 * The MD gateway's hot path (a depth frame's bytes -> scan -> book -> Depth frame in the journal)
 * makes almost no garbage once V8 has optimized it: a heap number here and there (a double
 * returned from a call that is not inlined, a double argument, a clock read stored in a field)
 * cost bench:md a GC every few hundred messages. What remains per frame is mostly the journal
 * writer's gen_time (two bigints). Measured with V8's own counter of the young generation, across
 * runs of frames during which no garbage collection happened.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { MarketData } from '../../../src/gateway/binance/md/market.js';
import { MdPublisher } from '../../../src/gateway/binance/md/publish.js';
import type { BinanceRest } from '../../../src/gateway/binance/common/rest.js';
import { Locations } from '../../../src/journal/location.js';
import { FRAME_HEADER_SIZE } from '../../../src/journal/format.js';
import { JournalWriter } from '../../../src/journal/writer.js';
import { Depth } from '../../../src/model/events.js';
import { createLogger } from '../../../src/util/log.js';

const home = mkdtempSync(join(tmpdir(), 'kfts-md-alloc-'));
after(() => rmSync(home, { recursive: true, force: true }));

let seed = 7;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};
const price = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
const qty = (units: number) => `${Math.floor(units / 1e8)}.${String(units % 1e8).padStart(8, '0')}`;

/** A book of 200 levels a side, and `count` diffs near its top (bench:md's replay, smaller). */
function market(count: number): { snapshot: unknown; frames: Buffer; ends: number[] } {
  const mid = 6_000_000;
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  for (let i = 1; i <= 200; i++) {
    bids.set(mid - i, 1 + rand(100_000_000));
    asks.set(mid + i, 1 + rand(100_000_000));
  }
  const levels = (m: Map<number, number>, dir: number) =>
    [...m].sort((a, b) => dir * (a[0] - b[0])).map(([p, q]) => [price(p), qty(q)]);
  let snapshot: unknown;
  const parts: Buffer[] = [];
  const ends: number[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const side = (book: Map<number, number>, dir: number) => {
      const out: [number, number][] = [];
      for (let k = 1 + rand(3); k > 0; k--) {
        const p = mid + dir * (1 + rand(15));
        if (out.some(([x]) => x === p)) continue;
        const q = rand(6) === 0 && book.size > 100 ? 0 : 1 + rand(200_000_000);
        out.push([p, q]);
        if (q === 0) book.delete(p);
        else book.set(p, q);
      }
      return out.map(([p, q]) => `["${price(p)}","${qty(q)}"]`).join(',');
    };
    const u = 1001 + i;
    const text = `{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":${1_780_000_000_000 + i},"s":"BTCUSDT","U":${u},"u":${u},"b":[${side(bids, -1)}],"a":[${side(asks, 1)}]}}`;
    // The snapshot is taken after the first diff, as Binance's rule wants (its lastUpdateId in the first diff's [U, u]).
    if (i === 0) snapshot = { lastUpdateId: u, bids: levels(bids, -1), asks: levels(asks, 1) };
    const b = Buffer.from(text);
    parts.push(b);
    ends.push((at += b.length));
  }
  return { snapshot, frames: Buffer.concat(parts), ends };
}

const youngUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;

it('a depth frame costs the hot path no more than the journal clock read in garbage', { timeout: 120_000 }, async (t) => {
  const WARM = 60_000;
  const RUN = 3_000;
  const { snapshot, frames, ends } = market(WARM + 20 * RUN);
  const log = createLogger({ name: 'alloc-test', level: 'error', fd: 2 });
  const journal = JournalWriter.open({ home, location: Locations.md('binance'), log });
  const rest = { budgetDelayMs: () => 0, call: async () => snapshot } as unknown as BinanceRest;
  const md = new MarketData({ rest, publisher: new MdPublisher(journal, 'binance'), log, tickUnits: () => 1_000_000, depthLevels: () => 20, barPartial: () => false, changed() {} });
  md.track('BTCUSDT');
  let start = 0;
  let i = 0;
  const feed = (n: number) => {
    for (const stop = i + n; i < stop; i++) {
      if (!md.fast(frames, start, ends[i]!, 1n)) assert.fail(`frame ${i} did not take the hot path`);
      start = ends[i]!;
    }
  };
  feed(1); // asks for the snapshot
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(md.books.get('BTCUSDT')!.state, 'live');
  // Warm up in slices, letting the event loop run (the writer prepares pages in the background).
  while (i < WARM) {
    feed(1000);
    await new Promise((resolve) => setImmediate(resolve));
  }
  // Runs of frames between two readings of the young generation; one without a garbage
  // collection in the middle (V8 reports each to a PerformanceObserver) gives the bytes a frame
  // allocates. Each run must have written its Depth frames (a hot path that skipped the journal
  // would allocate nothing).
  const collections: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) collections.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const perFrame: number[] = [];
  while (perFrame.length < 3 && i + RUN <= ends.length) {
    const from = journal.position;
    const t0 = performance.now();
    const before = youngUsed();
    feed(RUN);
    const after = youngUsed();
    const t1 = performance.now();
    const to = journal.position;
    await new Promise((resolve) => setTimeout(resolve, 5)); // the observer's entries arrive later
    if (to.pageId !== from.pageId || collections.some((c) => c.end >= t0 && c.start <= t1)) continue;
    assert.ok(to.offset - from.offset >= (RUN / 2) * (Depth.size + FRAME_HEADER_SIZE), `a Depth frame for most diffs (${to.offset - from.offset} bytes for ${RUN} diffs)`);
    perFrame.push((after - before) / RUN);
  }
  observer.disconnect();
  journal.close();
  assert.equal(perFrame.length, 3, 'three runs without a garbage collection');
  const least = Math.min(...perFrame);
  t.diagnostic(`bytes allocated per depth frame: ${perFrame.map((b) => b.toFixed(1)).join(', ')}`);
  // What remains is mostly the writer's gen_time, two bigints (the clock read, the anchor added):
  // 40 to 60 bytes. Before the hot path was cleaned up a frame allocated 135 to 160; a clock read
  // per message put back (Date.now() for idle detection) makes it about 73.
  assert.ok(least <= 64, `a depth frame allocated ${least.toFixed(1)} bytes on the heap (runs: ${perFrame.map((b) => b.toFixed(1)).join(', ')})`);
});
