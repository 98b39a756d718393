/**
 * A reader's own slot in the KF_HOME's wake table (the protocol is in wake.ts): the reader's side
 * of sleeping. It announces a sleep on its futex word, blocks on the word (futex mode) or listens
 * on its FIFO (event-loop mode), cancels when a frame turned up after all, and gives the slot back.
 * WakeTable.claim hands slots out; JournalReader (reader.ts) is their user.
 */
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { WakeSlot, followerEntry, slotWord } from './format.js';
import { native } from './native.js';
import type { WakeTable } from './wake.js';

const I32 = 4;

/** A reader's own slot: its futex word and sleeping flag. */
export class ReaderSlot {
  readonly entry: number;
  private readonly wordAt: number;
  private readonly sleepingAt: number;
  private released = false;
  private loopWatch: ((op: 0 | 1 | 2) => void) | undefined;

  constructor(
    readonly table: WakeTable,
    readonly slot: number,
    readonly generation: number,
  ) {
    this.entry = followerEntry(slot, generation);
    this.wordAt = slotWord(slot, WakeSlot.word);
    this.sleepingAt = slotWord(slot, WakeSlot.sleeping);
  }

  /** Step 1 of sleeping: returns the word's value to wait on, and announces the sleep. */
  announce(): number {
    const word = Atomics.load(this.table.i32, this.wordAt);
    Atomics.store(this.table.i32, this.sleepingAt, 1);
    return word;
  }

  /** Step 2b: a frame turned up after all; no wake-up needed. */
  cancel(): void {
    Atomics.store(this.table.i32, this.sleepingAt, 0);
  }

  /**
   * Step 2a (futex mode): blocks until a writer or Node's event loop (I/O ready: see loopWatch in
   * native/kfts.c) wakes it, or `timeoutNs`; 0 woken, 1 timed out, 2 interrupted.
   */
  block(word: number, timeoutNs: number): number {
    // Armed, the watch bumps the word when Node's event loop has I/O. It stays armed across
    // wake-ups by writers (a bump while this thread is busy only makes its next wait return at
    // once, and the event loop turns then); it disarms itself after each I/O wake-up.
    this.loopWatch ??= native().loopWatch(this.table.i32, this.wordAt * I32);
    this.loopWatch(1);
    const result = native().futexWait(this.table.i32, this.wordAt * I32, word, timeoutNs);
    Atomics.store(this.table.i32, this.sleepingAt, 0);
    return result;
  }

  /**
   * Event-loop mode: calls `onRing` whenever a writer rings this slot's FIFO. The FIFO is opened
   * read-write so it never reports end-of-file when no writer has it open.
   */
  listen(onRing: () => void): { close(): void } {
    const path = this.table.fifoPath(this.slot);
    try {
      native().mkfifo(path, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    const socket = new Socket({ fd, readable: true, writable: false });
    socket.unref(); // a waiting reader alone must not keep a process alive
    socket.on('data', onRing);
    socket.on('error', () => socket.destroy());
    return { close: () => socket.destroy() };
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.loopWatch?.(2);
    Atomics.store(this.table.i32, this.sleepingAt, 0);
    // A reader of an older kfc, which writes no filter, may claim this slot next.
    this.table.setFilter(this.slot, undefined);
    Atomics.compareExchange(this.table.i32, slotWord(this.slot, WakeSlot.pid), process.pid, 0);
  }
}
