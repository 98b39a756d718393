/**
 * How a waiting reader learns of a new frame without polling (formats in format.ts).
 *
 * Every reader that may sleep owns a slot in the KF_HOME's wake table and lists that slot in the
 * control block of each journal it follows. To sleep, it reads its slot's word, sets `sleeping`,
 * re-checks its journals, and waits: blocked in futex(2) on the word (journal-driven processes:
 * the strategy runner, the ledger), or in the event loop on its FIFO (network-driven processes:
 * gateways, the master, tools). After each commit a writer loads its followers' `sleeping` flags
 * (a few memory reads; no system call while nobody sleeps) and wakes each sleeper exactly once:
 * it clears the flag with a compare-and-swap, then bumps the word and calls futex wake, or writes
 * one byte to the FIFO.
 *
 * No lost wake-ups: the reader stores `sleeping` and then re-checks the commit words; the writer
 * stores a commit word and then loads `sleeping`. Both are sequentially consistent Atomics, so at
 * least one sees the other; a reader about to block on an already-bumped word returns at once.
 *
 * A reader may say which commits are worth waking it for (WakeFilter: the ledger sleeps through
 * order-book frames, which it does not use). It still reads every frame, in order, when something
 * else wakes it; the filter only spares it wake-ups that would find nothing to do.
 *
 * Self-healing: a reader killed while asleep leaves `sleeping` set; the next commit it would have
 * wanted clears it while waking nobody, and it stays clear, so a dead reader costs one wake in all.
 * Its slot is reclaimed by the next reader that finds its pid gone (start time compared, against
 * recycled pids), and the slot's generation changes so the old follower entries are recognised
 * and dropped.
 *
 * A reader without write access to KF_HOME (a read-only copy, another user) cannot register: it
 * polls instead (see reader.ts).
 *
 * Here: the wake table, the claiming of slots, and the writer's side (waking a reader). The
 * reader's side of its own slot (announcing a sleep, blocking, listening) is reader-slot.ts.
 */
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { startTimeOf, isRunning } from '../util/process.js';
import {
  WAKE_HEADER_SIZE,
  WAKE_MAGIC,
  WAKE_SLOTS,
  WAKE_SLOT_SIZE,
  WAKE_TABLE_SIZE,
  WAKE_VERSION,
  MAX_WAKE_TYPES,
  WakeFilterKind,
  WakeMode,
  WakeSlot,
  entryGeneration,
  entrySlot,
  slotWord,
} from './format.js';
import { ReaderSlot } from './reader-slot.js';
import { native } from './native.js';

const I32 = 4;

/**
 * Which commits wake a sleeping reader (format.ts, wake_filter): frames of the listed msg_types only,
 * or every frame but those. At most MAX_WAKE_TYPES types. Without one, every commit wakes it.
 */
export type WakeFilter = { only: readonly number[] } | { except: readonly number[] };

/** The msg_types a filter lists. */
const listed = (filter: WakeFilter): readonly number[] => ('only' in filter ? filter.only : filter.except);

/** The filter's problem, if any (checked where a reader is made). */
export function wakeFilterProblem(filter: WakeFilter): string | undefined {
  const types = listed(filter);
  if (types.length > MAX_WAKE_TYPES) return `a wake filter lists at most ${MAX_WAKE_TYPES} message types, not ${types.length}`;
  const bad = types.find((t) => !Number.isInteger(t) || t < -0x80000000 || t > 0x7fffffff);
  return bad === undefined ? undefined : `a wake filter lists message types (32-bit integers), not ${bad}`;
}

/** Maps a small shared file of `size` bytes, creating it; undefined if it cannot be written. */
export function mapShared(file: string, size: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  } catch {
    return undefined;
  }
  try {
    if (fstatSync(fd).size < size) ftruncateSync(fd, size);
    return native().map(fd, size, true);
  } finally {
    closeSync(fd);
  }
}

/** The KF_HOME's wake table, mapped once per process. */
export class WakeTable {
  private static readonly tables = new Map<string, WakeTable | null>();
  readonly i32: Int32Array;
  private readonly buf: Buffer;
  /** Writer side: open FIFOs of event-loop readers, by slot, with the generation they belong to. */
  private readonly fifos = new Map<number, { generation: number; fd: number }>();

  private constructor(
    readonly dir: string,
    buf: Buffer,
  ) {
    this.buf = buf;
    this.i32 = new Int32Array(buf.buffer, buf.byteOffset, WAKE_TABLE_SIZE >>> 2);
    if (Atomics.load(this.i32, 0) !== WAKE_MAGIC || Atomics.load(this.i32, 1) !== WAKE_VERSION) {
      // A new table (all zero), or one of another version: (re)initialise. Live readers of an
      // incompatible version would have had to be stopped for this version to run at all.
      Atomics.store(this.i32, 2, WAKE_SLOTS);
      Atomics.store(this.i32, 3, WAKE_SLOT_SIZE);
      Atomics.store(this.i32, 1, WAKE_VERSION);
      Atomics.store(this.i32, 0, WAKE_MAGIC);
    }
  }

  /** The table of the journal root `root` ($KF_HOME/journal); undefined if it is not writable. */
  static of(root: string): WakeTable | undefined {
    let table = WakeTable.tables.get(root);
    if (table === undefined) {
      const dir = join(root, 'wake');
      let buf: Buffer | undefined;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        buf = mapShared(join(dir, 'table'), WAKE_TABLE_SIZE);
      } catch {
        buf = undefined;
      }
      table = buf ? new WakeTable(dir, buf) : null;
      WakeTable.tables.set(root, table);
    }
    return table ?? undefined;
  }

  fifoPath(slot: number): string {
    return join(this.dir, `${slot}.fifo`);
  }

  /** Claims a free slot (or one whose owner died) for this process; undefined if all are taken. */
  claim(mode: number, filter?: WakeFilter): ReaderSlot | undefined {
    const me = process.pid;
    const myStart = BigInt(startTimeOf(me) || '0');
    for (let slot = 0; slot < WAKE_SLOTS; slot++) {
      const pidAt = slotWord(slot, WakeSlot.pid);
      const owner = Atomics.load(this.i32, pidAt);
      if (owner !== 0 && this.ownerAlive(slot, owner)) continue;
      // Negative while claiming: others see a live claimer and leave the slot alone.
      if (Atomics.compareExchange(this.i32, pidAt, owner, -me) !== owner) continue;
      const genAt = slotWord(slot, WakeSlot.generation);
      let generation = (Atomics.add(this.i32, genAt, 1) + 1) & 0x1fffff;
      if (generation === 0) generation = (Atomics.add(this.i32, genAt, 1) + 1) & 0x1fffff; // entries are never 0
      new DataView(this.buf.buffer, this.buf.byteOffset).setBigInt64(WAKE_HEADER_SIZE + slot * WAKE_SLOT_SIZE + WakeSlot.startTime, myStart, true);
      Atomics.store(this.i32, slotWord(slot, WakeSlot.sleeping), 0);
      Atomics.store(this.i32, slotWord(slot, WakeSlot.mode), mode);
      this.setFilter(slot, filter);
      Atomics.store(this.i32, pidAt, me);
      return new ReaderSlot(this, slot, generation);
    }
    return undefined;
  }

  /** Sets the slot's wake filter (none: every commit wakes); a released slot is left with none. */
  setFilter(slot: number, filter: WakeFilter | undefined): void {
    const types = filter === undefined ? [] : listed(filter);
    const kind = filter === undefined ? WakeFilterKind.all : 'only' in filter ? WakeFilterKind.only : WakeFilterKind.except;
    for (let i = 0; i < MAX_WAKE_TYPES; i++) Atomics.store(this.i32, slotWord(slot, WakeSlot.wakeTypes) + i, types[i] ?? 0);
    Atomics.store(this.i32, slotWord(slot, WakeSlot.wakeCount), types.length);
    Atomics.store(this.i32, slotWord(slot, WakeSlot.wakeFilter), kind);
  }

  /** Whether a commit of `msgType` is worth waking the reader of `entry` for (its filter). */
  wants(entry: number, msgType: number): boolean {
    const slot = entrySlot(entry);
    const kind = Atomics.load(this.i32, slotWord(slot, WakeSlot.wakeFilter));
    if (kind !== WakeFilterKind.only && kind !== WakeFilterKind.except) return true;
    const first = slotWord(slot, WakeSlot.wakeTypes);
    const n = Math.min(Atomics.load(this.i32, slotWord(slot, WakeSlot.wakeCount)), MAX_WAKE_TYPES);
    let listed = false;
    for (let i = 0; i < n && !listed; i++) listed = Atomics.load(this.i32, first + i) === msgType;
    return listed === (kind === WakeFilterKind.only);
  }

  private ownerAlive(slot: number, owner: number): boolean {
    const pid = Math.abs(owner);
    if (pid === process.pid) return true; // our own (another reader of this process)
    if (!isRunning(pid)) return false;
    if (owner < 0) return true; // being claimed by a live process
    const recorded = new DataView(this.buf.buffer, this.buf.byteOffset).getBigInt64(WAKE_HEADER_SIZE + slot * WAKE_SLOT_SIZE + WakeSlot.startTime, true);
    const actual = startTimeOf(pid);
    return recorded === 0n || actual === '' || BigInt(actual) === recorded;
  }

  /** Whether the slot's owner process runs (a cold-path check: a system call and a /proc read). */
  ownerRunning(slot: number): boolean {
    const owner = Atomics.load(this.i32, slotWord(slot, WakeSlot.pid));
    return owner !== 0 && this.ownerAlive(slot, owner);
  }

  /** Whether the follower `entry` still names the slot's current owner. */
  isCurrent(entry: number): boolean {
    const slot = entrySlot(entry);
    return (Atomics.load(this.i32, slotWord(slot, WakeSlot.generation)) & 0x1fffff) === entryGeneration(entry) && Atomics.load(this.i32, slotWord(slot, WakeSlot.pid)) > 0;
  }

  /** Whether the reader of `entry` sleeps (the writer's per-commit check: one load). */
  sleeping(entry: number): boolean {
    return Atomics.load(this.i32, slotWord(entrySlot(entry), WakeSlot.sleeping)) !== 0;
  }

  /**
   * Wakes the reader of `entry` if it still sleeps; false if the entry is stale (its slot changed
   * owner), so the caller can drop it.
   */
  wake(entry: number): boolean {
    if (!this.isCurrent(entry)) return false;
    const slot = entrySlot(entry);
    // Only the first commit after the reader fell asleep wakes it.
    if (Atomics.compareExchange(this.i32, slotWord(slot, WakeSlot.sleeping), 1, 0) !== 1) return true;
    if (Atomics.load(this.i32, slotWord(slot, WakeSlot.mode)) === WakeMode.fifo) this.ringFifo(slot, entryGeneration(entry));
    else {
      Atomics.add(this.i32, slotWord(slot, WakeSlot.word), 1);
      native().futexWake(this.i32, slotWord(slot, WakeSlot.word) * I32, 1);
    }
    return true;
  }

  private ringFifo(slot: number, generation: number): void {
    let f = this.fifos.get(slot);
    if (f && f.generation !== generation) {
      closeSync(f.fd);
      this.fifos.delete(slot);
      f = undefined;
    }
    if (!f) {
      try {
        f = { generation, fd: openSync(this.fifoPath(slot), constants.O_WRONLY | constants.O_NONBLOCK) };
      } catch {
        return; // ENXIO: its reader has not opened it (yet, or any more)
      }
      this.fifos.set(slot, f);
    }
    try {
      writeSync(f.fd, RING, 0, 1);
    } catch (err) {
      // EAGAIN: the pipe is full of unread rings, this one is covered. EPIPE: the reader is gone.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
        closeSync(f.fd);
        this.fifos.delete(slot);
      }
    }
  }
}

const RING = Buffer.from([1]);
