import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nowNs } from '../../src/journal/clock.js';
import { JournalError } from '../../src/journal/errors.js';
import { FRAME_HEADER_SIZE, PAGE_HEADER_SIZE, PageHeader, alignFrame } from '../../src/journal/format.js';
import { Locations, journalDir, makeLocation } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { EventLoop } from '../../src/journal/loop.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { parseDecimal } from '../../src/model/decimal.js';
import { LAYOUTS, MsgType, Quote } from '../../src/model/events.js';
import { checkTestPayload, fillTestPayload, readTestSeqs, TEST_MSG_TYPE, TEST_PAYLOAD } from '../fixtures/frames.js';
import { recordingLogger, tmpHome, waitFor, WARN } from '../helpers.js';

const PAGE = 64 * 1024;
const FRAME = alignFrame(FRAME_HEADER_SIZE + TEST_PAYLOAD);

function writeSeq(w: JournalWriter, from: number, n: number, trigger = 0n): void {
  for (let s = from; s < from + n; s++) {
    const at = w.beginFrame(TEST_MSG_TYPE, TEST_PAYLOAD);
    fillTestPayload(w.buf, at, s);
    w.commitFrame(trigger);
  }
}

function readAll(home: string, loc = Locations.md('binance'), from = 0n, log = recordingLogger()): number[] {
  return readTestSeqs(home, log, loc, from);
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('journal', () => {
  it('reads back what was written, with header fields, across page rollovers', () => {
    const home = tmpHome();
    const loc = Locations.md('binance');
    const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    const q = Quote.empty();
    q.symbol = 'BTCUSDT';
    q.bid_price = parseDecimal('65000.12');
    const trigger = nowNs();
    const gen = w.write(MsgType.Quote, Quote, q, trigger);
    const perPage = Math.floor((PAGE - PAGE_HEADER_SIZE - FRAME_HEADER_SIZE) / FRAME);
    writeSeq(w, 0, perPage * 3);
    w.close();
    const pages = readdirSync(journalDir(home, loc)).filter((f) => f.endsWith('.journal'));
    assert.equal(pages.length, 4, 'three full pages and the current one');
    for (const p of pages) assert.equal(statSync(join(journalDir(home, loc), p)).size, PAGE, 'fixed-size pages');

    const r = new JournalReader({ home, log: recordingLogger() });
    r.join(loc);
    const first = r.next()!;
    assert.equal(first.msgType, MsgType.Quote);
    assert.equal(first.genTime, gen);
    assert.equal(first.triggerTime, trigger);
    assert.equal(first.source, loc.uid);
    assert.equal(first.dest, 0);
    assert.deepEqual(first.decode(Quote), q);
    const seqs: number[] = [];
    let lastGen = gen;
    for (let f = r.next(); f; f = r.next()) {
      assert.ok(f.genTime >= lastGen, 'gen_time never decreases');
      lastGen = f.genTime;
      seqs.push(checkTestPayload(f.buf, f.offset));
    }
    assert.deepEqual(seqs, range(0, perPage * 3));
  });

  it('round-trips every event type through a journal frame', () => {
    const home = tmpHome();
    const loc = Locations.td('binance', 'acct');
    const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    const written: [number, unknown][] = [];
    for (const [type, layout] of LAYOUTS) {
      if (type === MsgType.PageEnd) continue; // the journal's own marker, never returned
      const value = layout.empty() as Record<string, unknown>;
      for (const f of layout.fields) {
        if (f.type === 'decimal') value[f.name] = parseDecimal('12345.6789');
        else if (f.type === 'time' || f.type === 'i64') value[f.name] = -42n - BigInt(type);
        else if (typeof f.type === 'object' && 'str' in f.type) value[f.name] = `${layout.name}.${f.name}`.slice(0, f.type.str);
        else if (f.type === 'u8' || f.type === 'i32' || f.type === 'u32') value[f.name] = 7;
      }
      w.write(type, layout, value);
      written.push([type, value]);
    }
    w.close();
    const r = new JournalReader({ home, log: recordingLogger() });
    r.join(loc);
    for (const [type, value] of written) {
      const f = r.next();
      assert.ok(f, `frame of type ${type}`);
      assert.equal(f.msgType, type);
      assert.deepEqual(f.decode(LAYOUTS.get(type)!), value);
    }
    assert.equal(r.next(), undefined);
  });

  it('replays from a given time', () => {
    const home = tmpHome();
    const w = JournalWriter.open({ home, location: Locations.md('binance'), pageSize: PAGE, log: recordingLogger() });
    writeSeq(w, 0, 1500);
    const middle = nowNs();
    writeSeq(w, 1500, 1500);
    w.close();
    assert.deepEqual(readAll(home, Locations.md('binance'), middle), range(1500, 3000));
    assert.deepEqual(readAll(home, Locations.md('binance'), 0n).length, 3000);
    assert.deepEqual(readAll(home, Locations.md('binance'), nowNs()), []);
  });

  it('merges several journals in gen_time order', () => {
    const home = tmpHome();
    const locs = [Locations.md('binance'), Locations.td('binance', 'a1'), Locations.strategy('s1')];
    const writers = locs.map((location) => JournalWriter.open({ home, location, pageSize: PAGE, log: recordingLogger() }));
    const expected: [number, number][] = [];
    for (let i = 0; i < 3000; i++) {
      const k = (i * 7) % 3;
      const at = writers[k]!.beginFrame(TEST_MSG_TYPE, TEST_PAYLOAD);
      fillTestPayload(writers[k]!.buf, at, i);
      writers[k]!.commitFrame();
      expected.push([k, i]);
    }
    for (const w of writers) w.close();
    const r = new JournalReader({ home, log: recordingLogger() });
    for (const l of locs) r.join(l);
    const got: [number, number][] = [];
    let last = 0n;
    for (let f = r.next(); f; f = r.next()) {
      assert.ok(f.genTime >= last);
      last = f.genTime;
      got.push([locs.findIndex((l) => l.uid === f.source), checkTestPayload(f.buf, f.offset)]);
    }
    assert.deepEqual(got, expected);
  });

  it('a restarted writer appends after the last whole frame', () => {
    const home = tmpHome();
    const loc = Locations.md('binance');
    let w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    writeSeq(w, 0, 1000);
    w.close();
    w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    writeSeq(w, 1000, 1000);
    w.close();
    assert.deepEqual(readAll(home), range(0, 2000));
    // A page size that is not one is refused at open, before anything is written (a resumed
    // writer would otherwise prepare its next pages at that size: pages no reader accepts).
    assert.throws(() => JournalWriter.open({ home, location: loc, pageSize: 5000, log: recordingLogger() }), (e: JournalError) => e.code === 'bad-page-size' && /page size 5000 is invalid/.test(e.message));
    JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() }).close(); // the refused open held no lock
    assert.deepEqual(readAll(home), range(0, 2000));
  });

  it('the clear option empties a journal only under its lock', () => {
    const home = tmpHome();
    const w = JournalWriter.open({ home, location: Locations.ledger(), pageSize: PAGE, log: recordingLogger() });
    writeSeq(w, 0, 10);
    // A second writer asking to clear is refused before it touches anything.
    assert.throws(() => JournalWriter.open({ home, location: Locations.ledger(), pageSize: PAGE, clear: true, log: recordingLogger() }), /already being written/);
    assert.equal(readAll(home, Locations.ledger()).length, 10);
    w.close();
    const cleared = JournalWriter.open({ home, location: Locations.ledger(), pageSize: PAGE, clear: true, log: recordingLogger() });
    assert.equal(cleared.cleared, 1);
    writeSeq(cleared, 100, 2);
    cleared.close();
    assert.deepEqual(readAll(home, Locations.ledger()), [100, 101]);
  });

  it('gen_time never goes below a page begin time nor backwards across restarts', () => {
    const home = tmpHome();
    const loc = Locations.md('binance');
    JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() }).close();
    // An empty page whose begin time lies ahead of the clock (a clock that was ahead when it was
    // created, a copy from another machine): frames written now must be visible, and must stay
    // visible across a restart (which used to discard them as garbage).
    const file = join(journalDir(home, loc), '00000000.1.journal');
    const fd = openSync(file, 'r+');
    const future = Buffer.alloc(8);
    const ahead = nowNs() + 3_600_000_000_000n;
    future.writeBigInt64LE(ahead);
    writeSync(fd, future, 0, 8, PageHeader.beginTime);
    closeSync(fd);
    let w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    writeSeq(w, 0, 3);
    w.close();
    w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    writeSeq(w, 3, 2);
    w.close();
    const log = recordingLogger();
    const r = new JournalReader({ home, log });
    r.join(loc);
    const gens: bigint[] = [];
    const seqs: number[] = [];
    for (let f = r.next(); f; f = r.next()) {
      gens.push(f.genTime);
      seqs.push(checkTestPayload(f.buf, f.offset));
    }
    assert.deepEqual(seqs, range(0, 5), log.messages().join('\n'));
    for (let i = 1; i < gens.length; i++) assert.ok(gens[i]! >= gens[i - 1]!, 'never backwards');
    for (const g of gens) assert.ok(g >= ahead, 'not below the page begin time');
    r.close();
  });

  it('a reader following a journal that is cleared and recreated moves to the new pages', async () => {
    const home = tmpHome();
    const loc = Locations.md('binance');
    let w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    writeSeq(w, 0, 5);
    const log = recordingLogger();
    const r = new JournalReader({ home, log });
    r.join(loc);
    const seqs: number[] = [];
    for (let f = r.next(); f; f = r.next()) seqs.push(checkTestPayload(f.buf, f.offset));
    w.close();
    w = JournalWriter.open({ home, location: loc, pageSize: PAGE, clear: true, log: recordingLogger() });
    writeSeq(w, 1000, 3);
    assert.equal(r.next(), undefined, 'the unlinked page has nothing more');
    r.housekeep();
    for (let f = r.next(); f; f = r.next()) seqs.push(checkTestPayload(f.buf, f.offset));
    assert.deepEqual(seqs, [0, 1, 2, 3, 4, 1000, 1001, 1002]);
    assert.ok(log.messages().some((m) => /was cleared or replaced; following its new pages/.test(m)));
    r.close();
    w.close();
  });

  it('an event-loop reader is woken by the writer\'s ring, not by a poll', async () => {
    const home = tmpHome();
    const loc = Locations.md('binance');
    const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    const r = new JournalReader({ home, log: recordingLogger() });
    r.join(loc);
    // Housekeeping (the only periodic look at the journal) once a minute: only a ring can
    // deliver the frames within the bound below.
    const loop = new EventLoop({ reader: r, mode: 'loop', housekeepingMs: 60_000 });
    const got: number[] = [];
    const times: number[] = [];
    loop.onFrame((f) => {
      got.push(checkTestPayload(f.buf, f.offset));
      times.push(performance.now());
      if (got.length === 3) loop.stop();
    });
    const running = loop.run();
    const sent: number[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((res) => setTimeout(res, 100)); // the reader is asleep again by now
      sent.push(performance.now());
      writeSeq(w, i, 1);
    }
    await running;
    assert.deepEqual(got, [0, 1, 2]);
    for (let i = 0; i < 3; i++) assert.ok(times[i]! - sent[i]! < 20_000, `frame ${i} delivered by the ring`);
    r.close();
    w.close();
  });

  it('timers and frames run in time order; intervals do not drift', () => {
    const home = tmpHome();
    const loc = Locations.strategy('s');
    const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    const gens: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const at = w.beginFrame(TEST_MSG_TYPE, TEST_PAYLOAD);
      fillTestPayload(w.buf, at, i);
      gens.push(w.commitFrame());
    }
    w.close();
    const r = new JournalReader({ home, log: recordingLogger() });
    r.join(loc);
    const loop = new EventLoop({ reader: r, mode: 'block' });
    const events: string[] = [];
    loop.onFrame((f) => events.push(`frame ${checkTestPayload(f.buf, f.offset)} @${f.genTime === loop.now()}`));
    // Between frames 1 and 2, and between 3 and 4; one added later but due earlier runs first.
    const between = (a: bigint, b: bigint) => a + (b - a) / 2n;
    loop.addTimer(between(gens[3]!, gens[4]!), (now) => events.push(`late timer @${now === loop.now()}`));
    loop.addTimer(between(gens[1]!, gens[2]!), () => events.push('early timer'));
    const cancelled = loop.addTimer(between(gens[0]!, gens[1]!), () => events.push('cancelled timer'));
    loop.cancel(cancelled);
    assert.equal(loop.drain(), 7);
    assert.deepEqual(events, ['frame 0 @true', 'frame 1 @true', 'early timer', 'frame 2 @true', 'frame 3 @true', 'late timer @true', 'frame 4 @true']);
    // An interval is due every period from its first time, whatever the delay of each run.
    const fired: bigint[] = [];
    const start = gens[0]! - 10_000n;
    loop.addInterval(1000n, (now) => fired.push(now - start), start);
    loop.drain(4);
    assert.deepEqual(fired, [0n, 1000n, 2000n, 3000n]);
    r.close();
  });

  describe('bad input', () => {
    it('refuses a second writer with a clear error', () => {
      const home = tmpHome();
      const w = JournalWriter.open({ home, location: Locations.ledger(), log: recordingLogger() });
      assert.throws(
        () => JournalWriter.open({ home, location: Locations.ledger(), log: recordingLogger() }),
        (err: unknown) => err instanceof JournalError && err.code === 'second-writer' && /already being written by pid \d+/.test(err.message) && !err.message.includes('\n'),
      );
      w.close();
      JournalWriter.open({ home, location: Locations.ledger(), log: recordingLogger() }).close();
    });

    it('reports a damaged page header in one line', () => {
      const home = tmpHome();
      const loc = Locations.md('binance');
      const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
      writeSeq(w, 0, 3);
      w.close();
      const file = join(journalDir(home, loc), '00000000.1.journal');
      const fd = openSync(file, 'r+');
      writeSync(fd, Buffer.from('GARBAGE!'), 0, 8, 0);
      closeSync(fd);
      const expectDamaged = (fn: () => unknown) =>
        assert.throws(fn, (e: unknown) => e instanceof JournalError && e.code === 'bad-header' && /is damaged \(bad magic .*move it out of the way/.test(e.message) && !e.message.includes('\n'));
      expectDamaged(() => readAll(home));
      expectDamaged(() => JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() }));
    });

    it('reports a page of the wrong version or size', () => {
      const home = tmpHome();
      const loc = Locations.md('binance');
      const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
      writeSeq(w, 0, 3);
      w.close();
      const file = join(journalDir(home, loc), '00000000.1.journal');
      const fd = openSync(file, 'r+');
      const v = Buffer.alloc(4);
      v.writeUInt32LE(7);
      writeSync(fd, v, 0, 4, PageHeader.version);
      closeSync(fd);
      assert.throws(() => readAll(home), (e: unknown) => e instanceof JournalError && e.code === 'bad-version' && /format version 7, but this kfc reads version 1/.test(e.message));
      v.writeUInt32LE(1);
      const fd2 = openSync(file, 'r+');
      writeSync(fd2, v, 0, 4, PageHeader.version);
      closeSync(fd2);
      truncateSync(file, PAGE * 2);
      assert.throws(() => readAll(home), (e: unknown) => e instanceof JournalError && e.code === 'bad-size' && /wrong size: 131072 bytes on disk but 65536/.test(e.message));
    });

    it('detects a truncated page tail with a log line, not a crash', () => {
      const home = tmpHome();
      const loc = Locations.md('binance');
      const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
      writeSeq(w, 0, 200); // 200 * 128 bytes: past 16 KiB
      w.close();
      const file = join(journalDir(home, loc), '00000000.1.journal');
      truncateSync(file, 16 * 1024 + 40); // cut mid-frame
      const log = recordingLogger();
      const seqs = readAll(home, loc, 0n, log);
      const whole = Math.floor((16 * 1024 + 40 - PAGE_HEADER_SIZE) / FRAME);
      assert.deepEqual(seqs, range(0, whole));
      assert.ok(log.messages(WARN).some((m) => /is truncated: 16424 of 65536 bytes/.test(m)), log.messages().join('\n'));
      // The writer refills the page and appends after the last whole frame.
      const wlog = recordingLogger();
      const w2 = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: wlog });
      writeSeq(w2, whole, 10);
      w2.close();
      assert.ok(wlog.messages(WARN).some((m) => /truncated/.test(m)));
      assert.deepEqual(readAll(home, loc), range(0, whole + 10));
    });

    it('skips a garbage-filled page tail: reported once, never returned as data', () => {
      const home = tmpHome();
      const loc = Locations.md('binance');
      const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
      writeSeq(w, 0, 50);
      const tail = w.position.offset;
      w.close();
      const file = join(journalDir(home, loc), '00000000.1.journal');
      const fd = openSync(file, 'r+');
      const garbage = Buffer.alloc(4096);
      for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 17) & 0xff;
      writeSync(fd, garbage, 0, garbage.length, tail);
      closeSync(fd);
      const log = recordingLogger();
      const r = new JournalReader({ home, log });
      r.join(loc);
      let n = 0;
      for (let f = r.next(); f; f = r.next()) {
        assert.equal(checkTestPayload(f.buf, f.offset), n);
        n++;
      }
      assert.equal(r.next(), undefined); // asked again: still nothing, and no second report
      assert.equal(n, 50);
      const reports = log.messages(WARN).filter((m) => /garbage where a frame should be/.test(m));
      assert.equal(reports.length, 1, log.messages().join('\n'));
      r.close();
      // A new writer reports it, overwrites it, and readers continue.
      const wlog = recordingLogger();
      const w2 = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: wlog });
      assert.ok(wlog.messages(WARN).some((m) => /garbage where a frame should be .* appending after the last whole frame/.test(m)), wlog.messages().join('\n'));
      writeSeq(w2, 50, 5);
      w2.close();
      assert.deepEqual(readAll(home, loc), range(0, 55));
    });

    it('reports an unwritable journal directory in one line', () => {
      const home = tmpHome();
      // A file where the journal directory should be: fails even for root, unlike chmod.
      mkdirSync(join(home, 'journal', 'md', 'binance', 'binance'), { recursive: true });
      writeFileSync(join(home, 'journal', 'md', 'binance', 'binance', 'live'), 'not a directory');
      assert.throws(
        () => JournalWriter.open({ home, location: Locations.md('binance'), log: recordingLogger() }),
        (e: unknown) => e instanceof JournalError && e.code === 'not-writable' && /cannot create journal directory .*make KF_HOME .* a writable directory/.test(e.message),
      );
      if (process.getuid?.() !== 0) {
        const ro = tmpHome();
        chmodSync(ro, 0o555);
        assert.throws(() => JournalWriter.open({ home: ro, location: Locations.ledger(), log: recordingLogger() }), /cannot create journal directory/);
      }
    });

    it('refuses a frame larger than a page, a negative or absurd length, in one line', () => {
      const home = tmpHome();
      const w = JournalWriter.open({ home, location: makeLocation('system', 'x', 'y'), pageSize: PAGE, log: recordingLogger() });
      assert.throws(() => w.beginFrame(TEST_MSG_TYPE, PAGE), /does not fit a 65536-byte journal page/);
      for (const bad of [-1, 2 ** 31, 2 ** 32 + 8, NaN, 1.5, Infinity]) {
        assert.throws(() => w.beginFrame(TEST_MSG_TYPE, bad), (e: unknown) => e instanceof JournalError && e.code === 'frame-too-large' && !e.message.includes('\n'), String(bad));
      }
      // The writer is still usable after the refusals.
      writeSeq(w, 0, 1);
      w.close();
      assert.deepEqual(readAll(home, makeLocation('system', 'x', 'y')), [0]);
    });

    it('creates journal files 0600 and directories 0700', () => {
      const home = tmpHome();
      const loc = Locations.td('binance', 'acct');
      const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
      const r = new JournalReader({ home, log: recordingLogger() });
      r.join(loc);
      r.block(1_000_000); // claims a wake slot: the wake table and control block exist now
      const dir = journalDir(home, loc);
      for (const d of [join(home, 'journal'), join(home, 'journal', 'td'), dir, join(home, 'journal', 'wake')]) {
        assert.equal(statSync(d).mode & 0o777, 0o700, d);
      }
      const files = [...readdirSync(dir).map((f) => join(dir, f)), join(home, 'journal', 'wake', 'table')];
      assert.ok(files.some((f) => f.endsWith('.journal')) && files.some((f) => f.endsWith('.lock')) && files.some((f) => f.endsWith('.ctl')));
      for (const f of files) assert.equal(statSync(f).mode & 0o777, 0o600, f);
      r.close();
      w.close();
    });
  });
});

describe('journal read path', () => {
  it('makes no file-system call while waiting (ready, peek, next), only in housekeeping', async () => {
    const fs = (await import('node:fs')).default as unknown as Record<string, (...args: unknown[]) => unknown>;
    const { syncBuiltinESMExports } = await import('node:module');
    const home = tmpHome();
    const written = Locations.md('binance');
    const w = JournalWriter.open({ home, location: written, pageSize: PAGE, log: recordingLogger() });
    const r = new JournalReader({ home, log: recordingLogger() });
    r.join(written); // has frames, then none
    r.join(Locations.md('nobody')); // no journal at all yet
    writeSeq(w, 0, 3);
    const names = ['openSync', 'statSync', 'fstatSync', 'readdirSync', 'existsSync', 'readSync', 'readFileSync', 'lstatSync', 'accessSync'];
    const saved = new Map(names.map((n) => [n, fs[n]!]));
    let calls = 0;
    for (const n of names) fs[n] = (...args: unknown[]) => (calls++, saved.get(n)!(...args));
    syncBuiltinESMExports();
    try {
      let frames = 0;
      for (let i = 0; i < 10_000; i++) {
        r.ready();
        r.peekTime();
        if (r.next()) frames++;
      }
      assert.equal(frames, 3);
      assert.equal(calls, 0, 'no file-system call on the read path');
      r.housekeep();
      assert.ok(calls > 0, 'housekeeping does look at the files (the counting works)');
    } finally {
      for (const n of names) fs[n] = saved.get(n)!;
      syncBuiltinESMExports();
      r.close();
      w.close();
    }
  });

  it('writers and readers give back what they passed: a 64 MB page does not stay in memory', () => {
    const home = tmpHome();
    const loc = Locations.md('binance');
    const rssFile = () => Number(/^RssFile:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
    const before = rssFile();
    const w = JournalWriter.open({ home, location: loc, log: recordingLogger() }); // 64 MB pages
    const r = new JournalReader({ home, log: recordingLogger() });
    r.join(loc);
    let read = 0;
    let peak = 0;
    for (let chunk = 0; chunk < 40; chunk++) {
      writeSeq(w, chunk * 8000, 8000); // 1 MB a chunk: 40 MB in all
      for (let f = r.next(); f; f = r.next()) read++;
      peak = Math.max(peak, rssFile() - before);
    }
    assert.equal(read, 320_000);
    // Without giving pages back, writer and reader would each hold 40 MB here.
    assert.ok(peak < 24 << 20, `resident journal memory peaked at ${(peak / 1048576).toFixed(1)} MB`);
    r.close();
    w.close();
  });

  it('a writer quiet for 10 s narrows its populate-ahead window and gives back what it had populated beyond it', async () => {
    const home = tmpHome();
    const w = JournalWriter.open({ home, location: Locations.md('binance'), log: recordingLogger() }); // 64 MB pages
    // Its bookkeeping (the writer's position, its page upkeep's window), read directly: process-wide
    // RSS would count other tests' memory coming and going.
    const state = w as unknown as { pos: number; upkeep: { populatedTo: number; populateAhead: number } };
    writeSeq(w, 0, 80_000); // 10 MB at once: the window ahead widens to its maximum (4 MB)
    assert.equal(state.upkeep.populateAhead, 4 << 20);
    assert.ok(state.upkeep.populatedTo - state.pos >= 2 << 20, `populated ${state.upkeep.populatedTo - state.pos} bytes ahead after the burst`);
    await new Promise((resolve) => setTimeout(resolve, 10_500)); // the quiet period is the claim under test
    writeSeq(w, 80_000, 1);
    assert.equal(state.upkeep.populateAhead, 256 << 10, 'the window is back to its minimum');
    assert.ok(state.upkeep.populatedTo - state.pos <= (256 << 10) + 4096, `still ${state.upkeep.populatedTo - state.pos} bytes populated ahead`);
    w.close();
  });

  it('page files have their disk blocks allocated, the first and the prepared ones (a full disk is an error at creation, not a SIGBUS at a store)', async () => {
    const home = tmpHome();
    const loc = Locations.md('binance');
    const w = JournalWriter.open({ home, location: loc, pageSize: 1 << 20, log: recordingLogger() });
    const dir = journalDir(home, loc);
    const allocated = (file: string) => statSync(join(dir, file)).blocks * 512;
    const first = readdirSync(dir).find((f) => f.endsWith('.journal'))!;
    assert.ok(allocated(first) >= 1 << 20, `the first page has ${allocated(first)} bytes of blocks`);
    writeSeq(w, 0, 100); // starts preparing the next page in the background
    const next = await waitFor('the prepared page', () => readdirSync(dir).find((f) => f.endsWith('.next') && allocated(f) >= 1 << 20), 10_000);
    assert.ok(next);
    w.close();
  });

  it('a writer resuming a 64 MB page does not read or write the whole page', () => {
    const home = tmpHome();
    const loc = Locations.md('binance');
    JournalWriter.open({ home, location: loc, log: recordingLogger() }).close(); // default md page: 64 MB
    const rssFile = () => Number(/^RssFile:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
    const before = rssFile();
    const w = JournalWriter.open({ home, location: loc, log: recordingLogger() });
    const grew = rssFile() - before;
    w.close();
    // Zeroing or scanning the tail would map all 64 MB; populate-ahead maps at most a few MB.
    assert.ok(grew < 16 << 20, `resuming mapped ${(grew / 1048576).toFixed(1)} MB of the page`);
  });
});
