import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nowNs } from '../../src/journal/clock.js';
import { JournalError } from '../../src/journal/errors.js';
import { FRAME_HEADER_SIZE, PAGE_HEADER_SIZE, PageHeader, alignFrame } from '../../src/journal/format.js';
import { Locations, journalDir, makeLocation } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { JournalWriter, clearJournal } from '../../src/journal/writer.js';
import { parseDecimal } from '../../src/model/decimal.js';
import { LAYOUTS, MsgType, Quote } from '../../src/model/events.js';
import { checkTestPayload, fillTestPayload, readTestSeqs, TEST_MSG_TYPE, TEST_PAYLOAD } from '../fixtures/frames.js';
import { recordingLogger, tmpHome, WARN } from '../helpers.js';

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
  });

  it('CLEAR_JOURNAL removes a location\'s pages', () => {
    const home = tmpHome();
    const w = JournalWriter.open({ home, location: Locations.ledger(), pageSize: PAGE, log: recordingLogger() });
    writeSeq(w, 0, 10);
    w.close();
    assert.ok(clearJournal(home, Locations.ledger()) >= 1);
    assert.deepEqual(readAll(home, Locations.ledger()), []);
  });

  it('a sleeping reader is woken by the doorbell, not by its timeout', async () => {
    const home = tmpHome();
    const loc = Locations.md('binance');
    const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    const r = new JournalReader({ home, log: recordingLogger() });
    r.join(loc);
    assert.equal(r.next(), undefined);
    // Let the reader's doorbell connect before it sleeps for (up to) a minute.
    await r.wait(20);
    const started = Date.now();
    const woke = r.wait(60_000);
    setImmediate(() => writeSeq(w, 0, 1));
    await woke;
    assert.ok(Date.now() - started < 30_000, 'woken long before the 60 s timeout');
    const f = r.next();
    assert.ok(f);
    assert.equal(checkTestPayload(f.buf, f.offset), 0);
    r.close();
    w.close();
  });

  it('follow() delivers frames written while it runs', async () => {
    const home = tmpHome();
    const loc = Locations.td('binance', 'acct');
    const w = JournalWriter.open({ home, location: loc, pageSize: PAGE, log: recordingLogger() });
    const r = new JournalReader({ home, log: recordingLogger() });
    r.join(loc);
    const controller = new AbortController();
    const seqs: number[] = [];
    const done = r.follow(
      (f) => {
        seqs.push(checkTestPayload(f.buf, f.offset));
        if (seqs.length === 5000) controller.abort();
      },
      { signal: controller.signal },
    );
    for (let i = 0; i < 5; i++) {
      writeSeq(w, i * 1000, 1000);
      await new Promise((res) => setTimeout(res, 5));
    }
    await done;
    assert.deepEqual(seqs, range(0, 5000));
    r.close();
    w.close();
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

    it('refuses a frame larger than a page', () => {
      const home = tmpHome();
      const w = JournalWriter.open({ home, location: makeLocation('system', 'x', 'y'), pageSize: PAGE, log: recordingLogger() });
      assert.throws(() => w.beginFrame(TEST_MSG_TYPE, PAGE), /does not fit a 65536-byte journal page/);
      w.close();
    });
  });
});
