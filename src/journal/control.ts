/**
 * A journal's control block (format.ts): the readers that follow it for wake-ups. Readers add
 * themselves; after each commit the writer wakes those that sleep (wake.ts has the protocol).
 */
import { join } from 'node:path';
import { CONTROL_ENTRIES, CONTROL_MAGIC, CONTROL_SIZE, CONTROL_VERSION, Control, controlFileName, entrySlot } from './format.js';
import { mapShared, type WakeTable } from './wake.js';

/** A journal's control block: who follows it. Writers and readers map it; readers add themselves. */
export class ControlBlock {
  readonly i32: Int32Array;
  private readonly buf: Buffer;

  private constructor(buf: Buffer) {
    this.buf = buf;
    this.i32 = new Int32Array(buf.buffer, buf.byteOffset, CONTROL_SIZE >>> 2);
    if (Atomics.load(this.i32, Control.magic >>> 2) !== CONTROL_MAGIC || Atomics.load(this.i32, Control.version >>> 2) !== CONTROL_VERSION) {
      this.i32.fill(0);
      Atomics.store(this.i32, Control.version >>> 2, CONTROL_VERSION);
      Atomics.store(this.i32, Control.magic >>> 2, CONTROL_MAGIC);
    }
  }

  /** Opens (creating) the control block of journal `dest` in `dir`; undefined if not writable. */
  static open(dir: string, dest: number): ControlBlock | undefined {
    const buf = mapShared(join(dir, controlFileName(dest)), CONTROL_SIZE);
    return buf ? new ControlBlock(buf) : undefined;
  }

  /** Adds `entry` as a follower (once); false if the block is full. */
  follow(entry: number, table: WakeTable): boolean {
    const base = Control.entries >>> 2;
    let free = -1;
    for (let i = 0; i < CONTROL_ENTRIES; i++) {
      const e = Atomics.load(this.i32, base + i);
      if (e === entry) return true;
      if (free < 0 && (e === 0 || !table.isCurrent(e))) {
        if (Atomics.compareExchange(this.i32, base + i, e, entry) === e) free = i;
      }
    }
    if (free < 0) return false;
    for (;;) {
      const used = Atomics.load(this.i32, Control.entriesUsed >>> 2);
      if (used > free || Atomics.compareExchange(this.i32, Control.entriesUsed >>> 2, used, free + 1) === used) return true;
    }
  }

  /**
   * How many entries may be in use. The word is shared with every process of this user: a value
   * out of range (a bug, a damaged file) must not send a writer past the entries.
   */
  private used(): number {
    const used = Atomics.load(this.i32, Control.entriesUsed >>> 2);
    return used > 0 ? Math.min(used, CONTROL_ENTRIES) : 0;
  }

  unfollow(entry: number): void {
    const base = Control.entries >>> 2;
    const used = this.used();
    for (let i = 0; i < used; i++) Atomics.compareExchange(this.i32, base + i, entry, 0);
  }

  /**
   * The writer's check after a commit of `msgType`: wakes the followers that sleep and want it.
   * Costs one load when nobody follows, one more per follower while they are awake, and a few
   * more (its filter) per follower asleep.
   */
  wakeSleepers(table: WakeTable, msgType: number): void {
    const i32 = this.i32;
    const used = this.used();
    for (let i = 0; i < used; i++) {
      const e = Atomics.load(i32, (Control.entries >>> 2) + i);
      if (e !== 0 && table.sleeping(e) && table.wants(e, msgType) && !table.wake(e)) Atomics.compareExchange(i32, (Control.entries >>> 2) + i, e, 0);
    }
  }

  /** Drops entries whose readers are gone or whose slot changed owner (a writer calls this at start). */
  prune(table: WakeTable): void {
    const used = this.used();
    for (let i = 0; i < used; i++) {
      const e = Atomics.load(this.i32, (Control.entries >>> 2) + i);
      if (e !== 0 && (!table.isCurrent(e) || !table.ownerRunning(entrySlot(e)))) Atomics.compareExchange(this.i32, (Control.entries >>> 2) + i, e, 0);
    }
  }

  /** Keeps the mapping referenced (the Int32Array alone would keep it too; this documents it). */
  get mapping(): Buffer {
    return this.buf;
  }
}
