/**
 * Reading journals: follow any number of them, merged in gen_time order, from any time.
 *
 *     const r = new JournalReader({ home });
 *     r.join(Locations.md('binance'), 0, fromTime);
 *     for (let f = r.next(); f; f = r.next()) handle(f);   // what is there now (replay)
 *     // and then live: see EventLoop (loop.ts), which waits for new frames and runs timers
 *
 * `next()` returns one reused Frame view (no allocation per frame); it is valid until the next
 * call. Frames are never torn (see the commit protocol in format.ts); structurally impossible
 * bytes are reported once and skipped, never returned.
 *
 * The read path (`peek`, `next`, `ready`) makes no system call: it reads the mapped pages, through
 * one Cursor per journal (cursor.ts). File system work (finding a journal's first page, noticing
 * that a journal was cleared and recreated, getting past a truncated page) happens in
 * `housekeep()`, which the waiting code calls when a wake-up brought nothing and every few hundred
 * milliseconds while idle.
 */
import type { Layout } from '../model/layout.js';
import { msgTypeName } from '../model/events.js';
import { getLogger, type Logger } from '../util/log.js';
import { useHomeClock } from './clock.js';
import { Cursor } from './cursor.js';
import { FRAME_HEADER_SIZE, WakeMode } from './format.js';
import { journalDir, journalRoot, makePrivateDir, type Location } from './location.js';
import { native } from './native.js';
import { ControlBlock } from './control.js';
import type { ReaderSlot } from './reader-slot.js';
import { WakeTable, wakeFilterProblem, type WakeFilter } from './wake.js';

/** The frame under the reader's cursor. One object, reused: copy what you keep. */
export class Frame {
  msgType = 0;
  length = 0;
  genTime = 0n;
  triggerTime = 0n;
  source = 0;
  dest = 0;
  /** Offset of the payload in `buf`/`view`. */
  offset = 0;
  buf: Buffer = Buffer.alloc(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  /** The journal this frame came from. */
  location!: Location;

  get payloadLength(): number {
    return this.length - FRAME_HEADER_SIZE;
  }

  decode<T>(layout: Layout<T>): T {
    return layout.decode(this.view, this.buf, this.offset);
  }

  payload(): Buffer {
    return this.buf.subarray(this.offset, this.offset + this.payloadLength);
  }

  toString(): string {
    return `${msgTypeName(this.msgType)} from ${this.location.path} at ${this.genTime}`;
  }
}

export interface ReaderOptions {
  home: string;
  log?: Logger;
  /** Which commits are worth a wake-up (wake.ts); every frame is read either way. Default: all. */
  wakeFor?: WakeFilter;
}

/** How a reader waits for the next frame: see wake.ts and loop.ts. */
export type WaitMode = 'block' | 'loop' | 'spin';

/** How often a reader that cannot be woken (read-only journal) looks for new frames. */
export const POLL_INTERVAL_MS = 10;

export class JournalReader {
  private readonly home: string;
  private readonly log: Logger;
  private readonly cursors: Cursor[] = [];
  private readonly frame = new Frame();
  private best: Cursor | undefined;
  private slot: ReaderSlot | undefined;
  private slotMode = 0;
  private fifo: { close(): void } | undefined;
  private onRing: (() => void) | undefined;
  private warnedPolling = false;
  private closed = false;
  private readonly wakeFor: WakeFilter | undefined;

  constructor(opts: ReaderOptions) {
    this.home = opts.home;
    this.log = opts.log ?? getLogger();
    const problem = opts.wakeFor && wakeFilterProblem(opts.wakeFor);
    if (problem) throw new RangeError(problem);
    this.wakeFor = opts.wakeFor;
    useHomeClock(journalRoot(this.home));
  }

  /** Follows the journal `dest` of `location`, from frames at or after `from` (ns; 0 = all). */
  join(location: Location, dest = 0, from = 0n): void {
    if (this.cursors.some((c) => c.location.uid === location.uid && c.dest === dest >>> 0)) return;
    const cursor = new Cursor(location, journalDir(this.home, location), dest >>> 0, from, this.log);
    this.cursors.push(cursor);
    cursor.housekeep();
    if (this.slot) this.register(cursor);
    // Frames committed before this reader followed the journal rang nobody: a reader asleep in the
    // event loop looks once now, not at its next housekeeping.
    if (this.onRing) queueMicrotask(() => this.onRing?.());
  }

  leave(location: Location, dest = 0): void {
    const i = this.cursors.findIndex((c) => c.location.uid === location.uid && c.dest === dest >>> 0);
    if (i < 0) return;
    const [cursor] = this.cursors.splice(i, 1);
    if (this.slot) cursor!.control?.unfollow(this.slot.entry);
    if (this.best === cursor) this.best = undefined;
  }

  get journals(): readonly Location[] {
    return this.cursors.map((c) => c.location);
  }

  /** The gen_time of the next frame, or undefined if none is ready (next() then returns it). */
  peekTime(): bigint | undefined {
    let best: Cursor | undefined;
    const cursors = this.cursors;
    for (let i = 0; i < cursors.length; i++) {
      const c = cursors[i]!;
      if (c.peek() && (best === undefined || c.headGen < best.headGen)) best = c;
    }
    this.best = best;
    return best?.headGen;
  }

  /** The next frame in gen_time order across all joined journals, or undefined if none is ready. */
  next(): Frame | undefined {
    if (this.best === undefined || this.best.head === 0) this.peekTime();
    const best = this.best;
    if (best === undefined) return undefined;
    this.best = undefined;
    best.fill(this.frame);
    return this.frame;
  }

  /** Whether a frame is ready. */
  ready(): boolean {
    const cursors = this.cursors;
    for (let i = 0; i < cursors.length; i++) if (cursors[i]!.peek()) return true;
    return false;
  }

  /** File-system checks of every journal (see Cursor.housekeep); cheap enough for a slow timer. */
  housekeep(): void {
    for (const c of this.cursors) c.housekeep();
  }

  /** Whether some journal can only be polled: waits must then end after POLL_INTERVAL_MS. */
  get polling(): boolean {
    return this.slot === undefined || this.cursors.some((c) => c.polling);
  }

  // ---- waiting ----------------------------------------------------------------------------------

  /** Claims this reader's wake-table slot in `mode` and follows every journal's control block. */
  private ensureSlot(mode: number): ReaderSlot | undefined {
    if (this.slot && this.slotMode === mode) return this.slot;
    this.releaseSlot();
    const table = WakeTable.of(journalRoot(this.home));
    this.slot = table?.claim(mode, this.wakeFor);
    this.slotMode = mode;
    if (!this.slot) {
      this.warnPolling(table ? 'every wake-up slot of KF_HOME is taken' : `KF_HOME ${this.home} is not writable for this user`);
      return undefined;
    }
    if (mode === WakeMode.fifo) this.fifo = this.slot.listen(() => this.onRing?.());
    for (const c of this.cursors) this.register(c);
    return this.slot;
  }

  private register(cursor: Cursor): void {
    const slot = this.slot!;
    if (!cursor.control) {
      try {
        makePrivateDir(cursor.dir, this.home);
        cursor.control = ControlBlock.open(cursor.dir, cursor.dest);
      } catch {
        cursor.control = undefined;
      }
    }
    cursor.polling = !cursor.control?.follow(slot.entry, slot.table);
    if (cursor.polling) this.warnPolling(`journal ${cursor.location.path} cannot be followed for wake-ups (read-only, or 240 followers already)`);
  }

  private warnPolling(why: string): void {
    if (this.warnedPolling) return;
    this.warnedPolling = true;
    this.log.info(`${why}: reading by polling every ${POLL_INTERVAL_MS} ms`);
  }

  private releaseSlot(): void {
    if (!this.slot) return;
    for (const c of this.cursors) c.control?.unfollow(this.slot.entry);
    this.fifo?.close();
    this.fifo = undefined;
    this.slot.release();
    this.slot = undefined;
  }

  /**
   * Blocks the thread (futex) until a writer of a joined journal commits, a frame is already
   * there, or `timeoutNs` passes: for journal-driven loops (mode 'block'). Returns true if it was
   * woken by a writer, false on timeout. Without futexes (not Linux) or wake-ups (read-only), it
   * sleeps at most POLL_INTERVAL_MS.
   */
  block(timeoutNs: number): boolean {
    const slot = native().supported ? this.ensureSlot(WakeMode.futex) : undefined;
    if (!slot || this.polling) {
      if (!this.ready()) Atomics.wait(SLEEPER, 0, 0, Math.min(timeoutNs / 1e6, POLL_INTERVAL_MS));
      return false;
    }
    const word = slot.announce();
    if (this.ready()) {
      slot.cancel();
      return true;
    }
    return slot.block(word, timeoutNs) === 0;
  }

  /**
   * Event-loop waiting (mode 'loop'): `onRing` runs on the event loop when a writer rings.
   * `arm()` announces the sleep; it returns false (and stays awake) if a frame is already there.
   */
  listen(onRing: () => void): void {
    this.onRing = onRing;
    this.ensureSlot(WakeMode.fifo);
  }

  arm(): boolean {
    const slot = this.slot;
    if (!slot) return !this.ready();
    slot.announce();
    if (this.ready()) {
      slot.cancel();
      return false;
    }
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseSlot();
    this.onRing = undefined;
  }
}

/** A private word to sleep on when no writer can wake us (Atomics.wait as a plain sleep). */
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));
