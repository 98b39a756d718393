/**
 * Which commits wake a sleeping reader: its wake filter (wake.ts) and a writer's deferred wakes.
 * Read from the shared wake table itself: a writer that wakes a sleeper clears its `sleeping`
 * flag before it rings, so a flag still set after a commit means that commit woke nobody.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Control, controlFileName, WAKE_HEADER_SIZE, WAKE_SLOTS, WAKE_SLOT_SIZE, WakeSlot } from '../../src/journal/format.js';
import { journalDir, Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import type { WakeFilter } from '../../src/journal/wake.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { MsgType } from '../../src/model/events.js';
import { recordingLogger, tmpHome, waitFor } from '../helpers.js';

/** This process's reader slot, as every writer sees it. */
function mySlot(home: string): { sleeping: number } {
  const buf = readFileSync(join(home, 'journal', 'wake', 'table'));
  for (let slot = 0; slot < WAKE_SLOTS; slot++) {
    const at = WAKE_HEADER_SIZE + slot * WAKE_SLOT_SIZE;
    if (buf.readInt32LE(at + WakeSlot.pid) === process.pid) return { sleeping: buf.readInt32LE(at + WakeSlot.sleeping) };
  }
  throw new Error('no wake slot of this process');
}

function slotFilter(home: string, pick: (pid: number) => boolean): { kind: number; count: number; first: number } {
  const buf = readFileSync(join(home, 'journal', 'wake', 'table'));
  for (let slot = WAKE_SLOTS - 1; slot >= 0; slot--) {
    const at = WAKE_HEADER_SIZE + slot * WAKE_SLOT_SIZE;
    if (pick(buf.readInt32LE(at + WakeSlot.pid)) && buf.readInt32LE(at + WakeSlot.generation) !== 0) {
      return { kind: buf.readInt32LE(at + WakeSlot.wakeFilter), count: buf.readInt32LE(at + WakeSlot.wakeCount), first: buf.readInt32LE(at + WakeSlot.wakeTypes) };
    }
  }
  throw new Error('no such slot');
}
/** The filter of this process's slot. */
const mySlotFilter = (home: string) => slotFilter(home, (pid) => pid === process.pid);
/** The filter of the last slot ever claimed (released: pid 0). */
const lastSlotFilter = (home: string) => slotFilter(home, () => true);

/** A writer of the MD journal and a reader asleep on it (event-loop mode), counting its rings. */
function asleep(wakeFor?: WakeFilter) {
  const home = tmpHome();
  const log = recordingLogger();
  const writer = JournalWriter.open({ home, location: Locations.md('binance'), pageSize: 1 << 20, log });
  const reader = new JournalReader({ home, log, ...(wakeFor ? { wakeFor } : {}) });
  reader.join(Locations.md('binance'));
  let rings = 0;
  reader.listen(() => rings++);
  const sleep = () => {
    while (reader.next()); // read everything: only a new commit may wake it
    assert.equal(reader.arm(), true, 'nothing to read: the reader goes to sleep');
    assert.equal(mySlot(home).sleeping, 1);
  };
  sleep();
  const commit = (type: number) => writer.writeBytes(type, Buffer.alloc(8));
  return {
    home,
    writer,
    reader,
    commit,
    sleep,
    rings: () => rings,
    close: () => {
      reader.close();
      writer.close();
    },
  };
}

describe('wake filters and deferred wakes', () => {
  it('a reader that sleeps through Depth is not woken by one, is woken by a Quote, and reads both in order', async () => {
    const s = asleep({ except: [MsgType.Depth, MsgType.Transaction] });
    s.commit(MsgType.Depth);
    s.commit(MsgType.Transaction);
    assert.equal(mySlot(s.home).sleeping, 1, 'still asleep: no wake-up for Depth or Transaction');
    s.commit(MsgType.Quote);
    assert.equal(mySlot(s.home).sleeping, 0, 'the Quote woke it');
    await waitFor('the ring', () => s.rings() === 1);
    const types: number[] = [];
    for (let f = s.reader.next(); f; f = s.reader.next()) types.push(f.msgType);
    assert.deepEqual(types, [MsgType.Depth, MsgType.Transaction, MsgType.Quote], 'every frame is read, in order');
    s.close();
  });

  it('a reader woken only for Subscribe sleeps through everything else', async () => {
    const s = asleep({ only: [MsgType.Subscribe, MsgType.SessionStart] });
    for (const t of [MsgType.Quote, MsgType.Depth, MsgType.Order, MsgType.Trade]) s.commit(t);
    assert.equal(mySlot(s.home).sleeping, 1, 'no wake-up for Quote, Depth, Order or Trade');
    s.commit(MsgType.Subscribe);
    assert.equal(mySlot(s.home).sleeping, 0, 'Subscribe woke it');
    await waitFor('the ring', () => s.rings() === 1);
    s.close();
  });

  it('without a filter every commit wakes a sleeper (the default)', async () => {
    const s = asleep();
    s.commit(MsgType.Depth);
    assert.equal(mySlot(s.home).sleeping, 0);
    await waitFor('the ring', () => s.rings() === 1);
    s.close();
  });

  it('deferWakes: the frame is readable at once, the sleeper is woken when the callback returns, and once', async () => {
    const s = asleep();
    const result = s.writer.deferWakes(() => {
      s.commit(MsgType.Order);
      s.commit(MsgType.Order);
      assert.equal(mySlot(s.home).sleeping, 1, 'not woken inside the callback');
      assert.equal(s.reader.ready(), true, 'the frames are there for a reader that looks');
      return 42;
    });
    assert.equal(result, 42);
    assert.equal(mySlot(s.home).sleeping, 0, 'woken when the callback returned');
    await waitFor('the ring', () => s.rings() === 1);
    s.close();
  });

  it('deferWakes still wakes the sleepers when the callback throws', () => {
    const s = asleep();
    assert.throws(() =>
      s.writer.deferWakes(() => {
        s.commit(MsgType.Order);
        throw new Error('send failed');
      }),
    /send failed/);
    assert.equal(mySlot(s.home).sleeping, 0);
    s.close();
  });

  it('deferWakes keeps its reader\'s filter: deferred Depth frames do not wake a reader that sleeps through them', () => {
    const s = asleep({ except: [MsgType.Depth] });
    s.writer.deferWakes(() => s.commit(MsgType.Depth));
    assert.equal(mySlot(s.home).sleeping, 1);
    s.writer.deferWakes(() => {
      s.commit(MsgType.Depth);
      s.commit(MsgType.Quote);
    });
    assert.equal(mySlot(s.home).sleeping, 0);
    s.close();
  });

  it('a filter of more than six types, or of non-integers, is refused with its reason', () => {
    const home = tmpHome();
    assert.throws(() => new JournalReader({ home, wakeFor: { except: [1, 2, 3, 4, 5, 6, 7] } }), /at most 6 message types, not 7/);
    assert.throws(() => new JournalReader({ home, wakeFor: { only: [1.5] } }), /32-bit integers\), not 1.5/);
  });

  it('a reader that closes leaves its slot without a filter (a reader of an older kfc writes none when it claims the slot)', () => {
    const s = asleep({ only: [MsgType.Subscribe] });
    const before = mySlotFilter(s.home);
    assert.deepEqual(before, { kind: 1, count: 1, first: MsgType.Subscribe });
    s.reader.close();
    assert.deepEqual(lastSlotFilter(s.home), { kind: 0, count: 0, first: 0 });
    s.writer.close();
  });

  it('a journal joined while asleep is looked at once, without waiting for a commit (frames it had rang nobody)', async () => {
    const s = asleep();
    const other = JournalWriter.open({ home: s.home, location: Locations.strategy('early'), pageSize: 1 << 20, log: recordingLogger() });
    other.writeBytes(MsgType.Subscribe, Buffer.alloc(8)); // before the reader follows it: no one to ring
    s.reader.join(Locations.strategy('early'));
    await waitFor('a look at the new journal', () => s.rings() === 1);
    assert.equal(s.reader.next()?.msgType, MsgType.Subscribe);
    other.close();
    s.close();
  });
});

describe('control blocks', () => {
  it('a damaged entries_used (past the entries) does not stop a writer: commits, opens and readers go on', () => {
    const home = tmpHome();
    const log = recordingLogger();
    const location = Locations.md('binance');
    const writer = JournalWriter.open({ home, location, pageSize: 1 << 20, log });
    const reader = new JournalReader({ home, log });
    reader.join(location);
    reader.listen(() => {});
    const ctl = join(journalDir(home, location), controlFileName(0));
    const fd = openSync(ctl, 'r+');
    const word = Buffer.alloc(4);
    word.writeInt32LE(100_000);
    writeSync(fd, word, 0, 4, Control.entriesUsed);
    closeSync(fd);
    writer.writeBytes(MsgType.Quote, Buffer.alloc(8));
    assert.equal(reader.next()?.msgType, MsgType.Quote);
    reader.close();
    writer.close();
    JournalWriter.open({ home, location, pageSize: 1 << 20, log }).close(); // its start prunes the block
  });
});
