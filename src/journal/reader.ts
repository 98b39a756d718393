/**
 * Reading journals: follow any number of them, merged in gen_time order, from any time.
 *
 *     const r = new JournalReader({ home });
 *     r.join(Locations.md('binance'), 0, fromTime);
 *     for (let f = r.next(); f; f = r.next()) handle(f);   // what is there now (replay)
 *     await r.follow(handle, { signal });                  // and then live, until aborted
 *
 * `next()` returns one reused Frame view (no allocation per frame); it is valid until the next
 * call. Frames are never torn (see the commit protocol in format.ts); structurally impossible
 * bytes are reported once and skipped, never returned.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Layout } from '../model/layout.js';
import { MsgType, msgTypeName } from '../model/events.js';
import { getLogger, type Logger } from '../util/log.js';
import { ControlBlock, DoorbellClient, doorbellAddress } from './doorbell.js';
import { FRAME_HEADER_SIZE, FrameHeader, PAGE_HEADER_SIZE, pageFileName } from './format.js';
import { journalDir, type Location } from './location.js';
import { frameProblem, listPageIds, openPage, readBeginTime, type MappedPage } from './page.js';

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

class Cursor {
  page: MappedPage | undefined;
  pageId = 0;
  pos = PAGE_HEADER_SIZE;
  /** Length of the validated frame at pos, 0 when none is known yet. */
  head = 0;
  headGen = 0n;
  lastGen = 0n;
  control: ControlBlock | undefined;
  bell: DoorbellClient | undefined;
  private reported = '';

  constructor(
    readonly location: Location,
    readonly dir: string,
    readonly dest: number,
    private readonly from: bigint,
    private readonly log: Logger,
  ) {}

  private reportOnce(problem: string): void {
    const key = `${this.pageId}:${this.pos}:${problem}`;
    if (this.reported === key) return;
    this.reported = key;
    this.log.warn(`journal ${this.location.path} page ${this.pageId}: ${problem} at offset ${this.pos}; skipped, not read as data`);
  }

  /** Picks the page to start from: the last one that began at or before `from`. */
  private seekFirstPage(): boolean {
    const ids = listPageIds(this.dir, this.dest);
    if (ids.length === 0) return false;
    let chosen = ids[0]!;
    if (this.from > 0n) {
      for (const id of ids) {
        const begin = readBeginTime(this.dir, this.dest, id);
        if (begin === undefined || begin > this.from) break;
        chosen = id;
      }
    }
    this.pageId = chosen;
    return true;
  }

  private nextPageExists(): boolean {
    return existsSync(join(this.dir, pageFileName(this.dest, this.pageId + 1)));
  }

  private moveToNextPage(): void {
    this.pageId++;
    this.page = undefined;
    this.pos = PAGE_HEADER_SIZE;
  }

  /** Makes `head` the length of the next readable frame; false when there is none yet. */
  peek(): boolean {
    if (this.head !== 0) return true;
    for (;;) {
      if (this.page === undefined) {
        if (this.pageId === 0 && !this.seekFirstPage()) return false;
        this.page = openPage(this.dir, this.dest, this.pageId, { writable: false, onTruncated: (m) => this.log.warn(m) });
        if (this.page === undefined) return false;
        this.pos = PAGE_HEADER_SIZE;
      }
      const page = this.page;
      if (this.pos + FRAME_HEADER_SIZE > page.mapped) {
        // Only a truncated page ends without a PageEnd frame.
        if (this.nextPageExists()) {
          this.moveToNextPage();
          continue;
        }
        return false;
      }
      const length = Atomics.load(page.i32, this.pos >>> 2);
      if (length === 0) return false;
      const problem = frameProblem(page, this.pos, length, this.lastGen);
      if (problem !== undefined) {
        this.reportOnce(problem);
        if (this.nextPageExists()) {
          this.moveToNextPage();
          continue;
        }
        return false;
      }
      const gen = page.view.getBigInt64(this.pos + FrameHeader.genTime, true);
      if (page.view.getInt32(this.pos + FrameHeader.msgType, true) === MsgType.PageEnd) {
        this.lastGen = gen;
        this.moveToNextPage();
        continue;
      }
      if (gen < this.from) {
        this.lastGen = gen;
        this.pos += length;
        continue;
      }
      this.head = length;
      this.headGen = gen;
      return true;
    }
  }

  fill(frame: Frame): void {
    const page = this.page!;
    const view = page.view;
    const at = this.pos;
    frame.length = this.head;
    frame.msgType = view.getInt32(at + FrameHeader.msgType, true);
    frame.genTime = this.headGen;
    frame.triggerTime = view.getBigInt64(at + FrameHeader.triggerTime, true);
    frame.source = view.getUint32(at + FrameHeader.source, true);
    frame.dest = view.getUint32(at + FrameHeader.dest, true);
    frame.offset = at + FRAME_HEADER_SIZE;
    frame.buf = page.buf;
    frame.view = view;
    frame.location = this.location;
    this.lastGen = this.headGen;
    this.pos += this.head;
    this.head = 0;
  }

  /** Prepares to sleep: registers as a sleeper and makes sure the doorbell is connected. */
  sleep(onRing: () => void): void {
    if (this.control === undefined) {
      if (!existsSync(this.dir)) return;
      this.control = new ControlBlock(this.dir, this.dest);
    }
    this.bell ??= new DoorbellClient(doorbellAddress(this.dir, this.dest), onRing);
    this.bell.ensure();
    this.control.addSleeper();
  }

  wake(): void {
    this.control?.removeSleeper();
  }

  close(): void {
    this.bell?.close();
    this.bell = undefined;
  }
}

export interface ReaderOptions {
  home: string;
  log?: Logger;
}

export interface FollowOptions {
  signal?: AbortSignal;
  /** 'adaptive' (default): spin briefly, then sleep on the doorbell. 'spin': never sleep (kfc -x). */
  mode?: 'adaptive' | 'spin';
  /** How long an adaptive reader spins before it sleeps (default 50 us). */
  spinNs?: number;
}

export class JournalReader {
  private readonly home: string;
  private readonly log: Logger;
  private readonly cursors: Cursor[] = [];
  private readonly frame = new Frame();
  private wakeUp: (() => void) | undefined;
  private readonly ring = () => {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  };
  private closed = false;

  constructor(opts: ReaderOptions) {
    this.home = opts.home;
    this.log = opts.log ?? getLogger();
  }

  /** Follows the journal `dest` of `location`, from frames at or after `from` (ns; 0 = all). */
  join(location: Location, dest = 0, from = 0n): void {
    if (this.cursors.some((c) => c.location.uid === location.uid && c.dest === dest >>> 0)) return;
    this.cursors.push(new Cursor(location, journalDir(this.home, location), dest >>> 0, from, this.log));
  }

  leave(location: Location, dest = 0): void {
    const i = this.cursors.findIndex((c) => c.location.uid === location.uid && c.dest === dest >>> 0);
    if (i >= 0) this.cursors.splice(i, 1)[0]!.close();
  }

  get journals(): readonly Location[] {
    return this.cursors.map((c) => c.location);
  }

  /** The next frame in gen_time order across all joined journals, or undefined if none is ready. */
  next(): Frame | undefined {
    let best: Cursor | undefined;
    for (let i = 0; i < this.cursors.length; i++) {
      const c = this.cursors[i]!;
      if (c.peek() && (best === undefined || c.headGen < best.headGen)) best = c;
    }
    if (best === undefined) return undefined;
    best.fill(this.frame);
    return this.frame;
  }

  /** Whether a frame is ready. */
  ready(): boolean {
    for (let i = 0; i < this.cursors.length; i++) if (this.cursors[i]!.peek()) return true;
    return false;
  }

  /** Sleeps until a writer rings, `timeoutMs` passes, or a frame is already there. */
  async wait(timeoutMs: number): Promise<void> {
    for (const c of this.cursors) c.sleep(this.ring);
    try {
      if (this.ready() || this.closed) return;
      const allConnected = this.cursors.every((c) => c.bell?.connected);
      // Without a doorbell (no writer yet) poll gently; with one, the timeout is only a safety net.
      const limit = allConnected ? timeoutMs : Math.min(timeoutMs, 50);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(this.ring, limit);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    } finally {
      for (const c of this.cursors) c.wake();
    }
  }

  /** Delivers frames to `onFrame` as they come, until the signal aborts or the reader closes. */
  async follow(onFrame: (frame: Frame) => void, opts: FollowOptions = {}): Promise<void> {
    const { signal, mode = 'adaptive', spinNs = 50_000 } = opts;
    const onAbort = () => this.ring();
    signal?.addEventListener('abort', onAbort);
    try {
      while (!this.closed && !signal?.aborted) {
        let delivered = 0;
        for (let f = this.next(); f !== undefined; f = this.next()) {
          onFrame(f);
          // Long replays still let timers and sockets run.
          if (++delivered % 8192 === 0) await yieldToEventLoop();
          if (this.closed || signal?.aborted) return;
        }
        // Spin deadlines use performance.now(): a double, so spinning allocates nothing (a
        // BigInt clock here made a million garbage objects a second and GC pauses in the tail).
        if (mode === 'spin') {
          const until = performance.now() + 1;
          while (!this.ready() && performance.now() < until);
          if (!this.ready()) await yieldToEventLoop();
          continue;
        }
        if (spinNs > 0) {
          const until = performance.now() + spinNs / 1e6;
          while (!this.ready() && performance.now() < until);
        }
        if (!this.ready()) await this.wait(1000);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.closed = true;
    for (const c of this.cursors) c.close();
    this.ring();
  }
}
