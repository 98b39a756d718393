import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WAKE_HEADER_SIZE, WAKE_SLOTS, WAKE_SLOT_SIZE, WakeSlot } from '../../src/journal/format.js';
import { parseLocation } from '../../src/journal/location.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { readTestSeqs, fillTestPayload, TEST_MSG_TYPE, TEST_PAYLOAD } from '../fixtures/frames.js';
import { runFixture, type Child } from '../fixtures/child.js';
import { recordingLogger, tmpHome, waitFor, WARN } from '../helpers.js';

const LOC = 'md/binance/binance/live';

interface SlotView {
  slot: number;
  word: number;
  sleeping: number;
  pid: number;
  generation: number;
}

/** The wake table's slots as they are on disk now (what every writer and reader maps). */
function wakeSlots(home: string): SlotView[] {
  const buf = readFileSync(join(home, 'journal', 'wake', 'table'));
  const slots: SlotView[] = [];
  for (let slot = 0; slot < WAKE_SLOTS; slot++) {
    const at = WAKE_HEADER_SIZE + slot * WAKE_SLOT_SIZE;
    const pid = buf.readInt32LE(at + WakeSlot.pid);
    if (pid !== 0) slots.push({ slot, pid, word: buf.readInt32LE(at + WakeSlot.word), sleeping: buf.readInt32LE(at + WakeSlot.sleeping), generation: buf.readInt32LE(at + WakeSlot.generation) });
  }
  return slots;
}

function writeOne(w: JournalWriter, seq: number): void {
  const at = w.beginFrame(TEST_MSG_TYPE, TEST_PAYLOAD);
  fillTestPayload(w.buf, at, seq);
  w.commitFrame();
}

async function result(reader: Child, timeoutMs = 120_000): Promise<{ received: number; inOrder: boolean; corrupt: number; maxGapMs: number }> {
  return JSON.parse(await reader.line(/^\{/, timeoutMs));
}

/** Gives the owner its write access back (so the test's temp directory can be removed). */
function walkWritable(dir: string): void {
  chmodSync(dir, 0o700);
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walkWritable(p);
  }
}

describe('journal across processes', { timeout: 240_000 }, () => {
  it('one writer, two futex readers and an event-loop reader: 100k frames, each received once, whole and in order', async () => {
    const home = tmpHome();
    const N = 100_000;
    const writer = runFixture('journal-writer.ts', [home, LOC, String(N), String(4 << 20)], { KF_TEST_WAIT_GO: '1' });
    await writer.line(/^ready$/);
    const readers = ['block', 'block', 'loop'].map((mode) => runFixture('journal-reader.ts', [home, LOC, String(N), mode]));
    for (const r of readers) await r.line(/^ready$/);
    writer.proc.stdin.write('go\n');
    assert.match(await writer.line(/^done /, 120_000), /^done 100000$/);
    for (const r of readers) {
      const { received, inOrder, corrupt } = await result(r);
      assert.deepEqual({ received, inOrder, corrupt }, { received: N, inOrder: true, corrupt: 0 });
      assert.equal((await r.exited).code, 0);
    }
    assert.equal((await writer.exited).code, 0);
  });

  it('no lost wake-up: readers that never time out keep up with a writer that pauses at random', async () => {
    const home = tmpHome();
    const N = 20_000;
    const writer = runFixture('journal-writer.ts', [home, LOC, String(N), String(4 << 20)], { KF_TEST_WAIT_GO: '1', KF_TEST_JITTER: '1' });
    await writer.line(/^ready$/);
    // A 60 s cap: a reader that missed a wake-up would sit out the cap, and the gap shows it.
    const readers = ['block', 'loop'].map((mode) => runFixture('journal-reader.ts', [home, LOC, String(N), mode, '60000']));
    for (const r of readers) await r.line(/^ready$/);
    writer.proc.stdin.write('go\n');
    await writer.line(/^done /, 120_000);
    for (const r of readers) {
      const res = await result(r);
      assert.equal(res.received, N);
      assert.ok(res.inOrder && res.corrupt === 0);
      // The writer's own pauses are at most ~2 ms; a lost wake-up costs the 60 s cap (or, in the
      // event loop, the 250 ms housekeeping look). 200 ms leaves room for a loaded machine.
      assert.ok(res.maxGapMs < 200, `longest wait between frames ${res.maxGapMs} ms`);
    }
  });

  it('a reader blocked in futex is woken by a writer in another process, long before its cap', async () => {
    const home = tmpHome();
    const w = JournalWriter.open({ home, location: parseLocation(LOC), pageSize: 1 << 20, log: recordingLogger() });
    const reader = runFixture('journal-reader.ts', [home, LOC, '3', 'block', '60000']);
    await reader.line(/^ready$/);
    for (let i = 0; i < 3; i++) {
      // Asleep by now: the reader announced it in its wake slot.
      await waitFor('the reader asleep', () => wakeSlots(home).some((s) => s.pid === reader.proc.pid && s.sleeping === 1));
      writeOne(w, i);
    }
    const started = performance.now();
    const res = await result(reader, 30_000);
    assert.equal(res.received, 3);
    assert.ok(performance.now() - started < 30_000, 'woken, not timed out (cap 60 s)');
    w.close();
  });

  it('a reader blocked in futex stops within its cap when SIGINT arrives', async () => {
    const home = tmpHome();
    const w = JournalWriter.open({ home, location: parseLocation(LOC), pageSize: 1 << 20, log: recordingLogger() });
    const reader = runFixture('journal-reader.ts', [home, LOC, '1000', 'block', '5']);
    await reader.line(/^ready$/);
    await waitFor('the reader asleep', () => wakeSlots(home).some((s) => s.pid === reader.proc.pid && s.sleeping === 1));
    reader.proc.kill('SIGINT');
    const { code, signal } = await reader.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, reader.stderr());
    assert.equal((await result(reader)).received, 0);
    w.close();
  });

  it('a loop blocked in futex serves its sockets at once (Node\'s I/O wakes it)', async () => {
    const home = tmpHome();
    const echo = runFixture('blocked-echo.ts', [home]);
    try {
      const port = Number((await echo.line(/^port \d+$/)).split(' ')[1]);
      const socket = createConnection({ port, host: '127.0.0.1' });
      await new Promise((resolve) => socket.once('connect', resolve));
      // Nothing but the socket can wake the blocked thread for 60 s: each echo comes back only
      // if Node's event loop I/O wakes it.
      for (let i = 0; i < 5; i++) {
        await sleep(50); // blocked again by now
        const started = performance.now();
        const answer = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
        socket.write(`ping ${i}`);
        assert.equal(await answer, `ping ${i}`);
        assert.ok(performance.now() - started < 10_000, 'answered long before the 60 s timeouts');
      }
      socket.destroy();
    } finally {
      echo.proc.kill('SIGTERM');
      await echo.exited;
    }
  });

  it('a reader killed while asleep costs its writer one wake-up, and its slot is reclaimed', async () => {
    const home = tmpHome();
    const w = JournalWriter.open({ home, location: parseLocation(LOC), pageSize: 1 << 20, log: recordingLogger() });
    const reader = runFixture('journal-reader.ts', [home, LOC, '1000', 'block', '60000']);
    await reader.line(/^ready$/);
    const asleep = await waitFor('the reader asleep', () => wakeSlots(home).find((s) => s.pid === reader.proc.pid && s.sleeping === 1));
    reader.proc.kill('SIGKILL');
    await reader.exited;
    for (let i = 0; i < 1000; i++) writeOne(w, i);
    const after = wakeSlots(home).find((s) => s.slot === asleep.slot)!;
    assert.equal(after.sleeping, 0, 'the first commit cleared the dead sleeper');
    assert.equal(after.word - asleep.word, 1, 'exactly one wake-up for 1000 frames');
    // The next reader takes the dead reader's slot, under a new generation.
    const next = runFixture('journal-reader.ts', [home, LOC, '1001', 'block', '60000']);
    await next.line(/^ready$/);
    const reclaimed = await waitFor('a new reader asleep in a slot', () => wakeSlots(home).find((s) => s.pid === next.proc.pid && s.sleeping === 1));
    assert.equal(reclaimed.slot, asleep.slot);
    assert.notEqual(reclaimed.generation, asleep.generation);
    writeOne(w, 1000);
    assert.equal((await result(next, 30_000)).received, 1001);
    w.close();
  });

  it('a writer killed between payload and commit leaves a torn frame: reported, skipped, overwritten', async () => {
    const home = tmpHome();
    const writer = runFixture('journal-writer.ts', [home, LOC, '50', String(64 * 1024)], { KF_TEST_TORN: '1' });
    await writer.line(/^torn$/);
    assert.equal((await writer.exited).signal, 'SIGKILL');
    assert.deepEqual(readTestSeqs(home, recordingLogger()), Array.from({ length: 50 }, (_, i) => i));
    const log = recordingLogger();
    const w = JournalWriter.open({ home, location: parseLocation(LOC), pageSize: 64 * 1024, log });
    assert.ok(log.messages(WARN).some((m) => /torn frame after the last whole frame at offset \d+ \(a writer died mid-frame\)/.test(m)), log.messages().join('\n'));
    for (let i = 0; i < 3; i++) writeOne(w, 50 + i);
    w.close();
    assert.deepEqual(readTestSeqs(home, recordingLogger()), Array.from({ length: 53 }, (_, i) => i));
  });

  it('a writer killed with SIGKILL mid-stream leaves only whole frames, and a new writer appends after them', async () => {
    const home = tmpHome();
    const writer = runFixture('journal-writer.ts', [home, LOC, 'forever', String(64 * 1024)]);
    await writer.line(/^wrote 20000$/, 60_000);
    writer.proc.kill('SIGKILL');
    assert.equal((await writer.exited).signal, 'SIGKILL');

    const read = () => readTestSeqs(home, recordingLogger());
    const before = read();
    assert.ok(before.length >= 20_000, `at least the 20000 frames reported, got ${before.length}`);
    before.forEach((s, i) => assert.equal(s, i, `frame ${i} whole and in sequence`));

    // The kernel released the killed writer's lock: a new writer continues.
    const next = runFixture('journal-writer.ts', [home, LOC, '1000', String(64 * 1024), String(before.length)]);
    assert.match(await next.line(/^done /), /^done 1000$/);
    assert.equal((await next.exited).code, 0);
    const after = read();
    assert.equal(after.length, before.length + 1000);
    after.forEach((s, i) => assert.equal(s, i));
  });

  it('20 processes race to open one journal: exactly one writes, each other is told the holder\'s pid', async () => {
    const home = tmpHome();
    const racers = Array.from({ length: 20 }, () => runFixture('journal-writer.ts', [home, LOC, '1'], { KF_TEST_WAIT_GO: '1' }));
    const outcomes = await Promise.all(
      racers.map((r) => Promise.race([r.line(/^ready$/, 120_000).then(() => 'won' as const), r.exited.then(() => 'lost' as const)])),
    );
    const winners = racers.filter((_, i) => outcomes[i] === 'won');
    assert.equal(winners.length, 1, `exactly one writer (${outcomes.join(' ')})`);
    const holder = winners[0]!.proc.pid;
    for (const [i, r] of racers.entries()) {
      if (outcomes[i] === 'won') continue;
      assert.notEqual((await r.exited).code, 0);
      const line = r.stderr().trim().split('\n').find((l) => l.includes('already being written'));
      assert.ok(line, r.stderr());
      assert.match(line, new RegExp(`already being written by pid ${holder}:`));
    }
    winners[0]!.proc.stdin.write('go\n');
    assert.equal((await winners[0]!.exited).code, 0);
  });

  it('a second writer process on the same journal is refused with one clear line', async () => {
    const home = tmpHome();
    const first = runFixture('journal-writer.ts', [home, LOC, '1'], { KF_TEST_WAIT_GO: '1' });
    await first.line(/^ready$/);
    const second = runFixture('journal-writer.ts', [home, LOC, '1']);
    const { code } = await second.exited;
    assert.notEqual(code, 0);
    assert.match(second.stderr(), new RegExp(`already being written by pid ${first.proc.pid}`));
    first.proc.stdin.write('go\n');
    assert.equal((await first.exited).code, 0);
  });

  it('a reader without write access (another user, a read-only copy) reads by polling, with one log line', async (t) => {
    // As root the reader runs as another user, who must be able to read this repository's files.
    if (process.getuid?.() === 0 && !readableByOthers(fileURLToPath(new URL('../..', import.meta.url)))) {
      t.skip('a directory above this repository is closed to other users (e.g. a 0700 temp dir): no other user can run the reader here');
      return;
    }
    const home = tmpHome();
    const w = JournalWriter.open({ home, location: parseLocation(LOC), pageSize: 1 << 20, log: recordingLogger() });
    for (let i = 0; i < 5; i++) writeOne(w, i);
    // The reader may read, not write: directories r-x, files r--. As root (whom modes do not
    // stop) it runs as another user; otherwise as this user over read-only modes.
    const asRoot = process.getuid?.() === 0;
    const walk = (dir: string): void => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else chmodSync(p, asRoot ? 0o644 : 0o444);
      }
      chmodSync(dir, asRoot ? 0o755 : 0o555);
    };
    walk(home);
    const reader = runFixture('journal-reader.ts', [home, LOC, '10', 'block'], { KF_LOG_LEVEL: 'info' }, asRoot ? { uid: 65534, gid: 65534 } : undefined);
    try {
      await reader.line(/^ready$/);
      await sleep(100);
      for (let i = 5; i < 10; i++) writeOne(w, i);
      const res = await result(reader, 30_000);
      assert.deepEqual({ received: res.received, inOrder: res.inOrder }, { received: 10, inOrder: true }, reader.stderr());
      assert.equal((await reader.exited).code, 0, reader.stderr());
      const polling = reader.stderr().split('\n').filter((l) => /reading by polling every 10 ms/.test(l));
      assert.equal(polling.length, 1, reader.stderr());
    } finally {
      w.close();
      walkWritable(home);
    }
  });
});

/** Whether every directory from / down to `dir` lets other users in (o+x). */
function readableByOthers(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}
