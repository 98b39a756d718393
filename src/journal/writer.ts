/**
 * The single writer of one journal (format in format.ts).
 *
 *     const w = JournalWriter.open({ home, location });
 *     w.write(MsgType.Quote, Quote, quote, triggerTime);           // encode a struct
 *     const at = w.beginFrame(MsgType.Quote, Quote.size);           // or zero-copy:
 *     Quote.encode(w.view, w.buf, at, quote); w.commitFrame(trigger); // encode in place
 *
 * Appending is a few stores into a MAP_SHARED mapping: no system call per frame unless a follower
 * sleeps (see wake.ts). A restarted writer continues after the last whole frame. Its pages are kept
 * ready off the per-frame path (populated ahead, given back behind, the next one prepared) by
 * page-upkeep.ts.
 *
 *     w.deferWakes(() => { w.write(...); sendOrder(); });   // readers woken after the send
 */
import { Durability, envFsyncPolicy, type FsyncPolicy } from './durability.js';
import { readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from '../model/layout.js';
import { MsgType } from '../model/events.js';
import { getLogger, type Logger } from '../util/log.js';
import { nowNs, useHomeClock } from './clock.js';
import { JournalError } from './errors.js';
import { FRAME_HEADER_SIZE, FrameHeader, MAX_FRAME_SIZE, PAGE_HEADER_SIZE, alignFrame, defaultPageSize, hex8, parsePageFileName } from './format.js';
import { acquireWriterLock } from './lock.js';
import { journalDir, journalRoot, makePrivateDir, type Location } from './location.js';
import { listPageIds, openPage, scanPage, type MappedPage } from './page.js';
import { checkPageSize, createPage, isPreparingFile, mapPreparedPage } from './page-create.js';
import { POPULATE_QUIET_NS, PageUpkeep } from './page-upkeep.js';
import { ControlBlock } from './control.js';
import { WakeTable } from './wake.js';

export interface WriterOptions {
  home: string;
  location: Location;
  /** Destination uid: 0 (default) is the public journal of this location. */
  dest?: number;
  /** Bytes per page for new pages; existing pages keep theirs. */
  pageSize?: number;
  log?: Logger;
  /**
   * Delete the location's pages first, every dest's (CLEAR_JOURNAL=1, development only). Done
   * only once the writer lock is held: one process owns a location, so this can never delete the
   * pages of a journal another process writes.
   */
  clear?: boolean;
  /** When frames reach the disk (durability.ts); default: KF_JOURNAL_FSYNC, else none. */
  fsync?: FsyncPolicy;
}

/** Deletes the pages of a location's journals (locks and control blocks stay); returns how many. */
function deletePages(dir: string): number {
  let removed = 0;
  for (const f of readdirSync(dir)) {
    if (parsePageFileName(f)) {
      unlinkSync(join(dir, f));
      removed++;
    }
  }
  return removed;
}

const TORN_SCAN = 4096;

export class JournalWriter {
  readonly dir: string;
  readonly location: Location;
  readonly dest: number;
  /** Pages deleted at open (the `clear` option). */
  readonly cleared: number;
  private readonly pageSize: number;
  private readonly log: Logger;
  private page!: MappedPage;
  private pos = PAGE_HEADER_SIZE;
  private lastGenTime = 0n;
  private frameStart = -1;
  private frameLength = 0;
  private frameType = 0;
  private readonly control: ControlBlock | undefined;
  private readonly wake: WakeTable | undefined;
  private readonly releaseLock: () => void;
  private closed = false;
  /** Past this offset, maintain() runs: it populates ahead and prepares the next page. */
  private maintainAt = Number.POSITIVE_INFINITY;
  /** A frame generated after this maintains the page even if maintainAt is not reached (quiet writers). */
  private maintainBy = 0n;
  private readonly upkeep: PageUpkeep;
  private readonly durability: Durability;
  /** Inside deferWakes: the msg_types committed and not announced to sleeping readers yet. */
  private wakesDeferred: number[] | undefined;

  static open(opts: WriterOptions): JournalWriter {
    return new JournalWriter(opts);
  }

  private constructor(opts: WriterOptions) {
    this.location = opts.location;
    this.dest = (opts.dest ?? 0) >>> 0;
    this.dir = journalDir(opts.home, opts.location);
    this.pageSize = opts.pageSize ?? defaultPageSize(opts.location.category);
    // Checked before anything is opened: a resumed writer prepares its next pages at this size.
    checkPageSize(this.pageSize);
    this.log = opts.log ?? getLogger();
    makePrivateDir(this.dir, opts.home);
    useHomeClock(journalRoot(opts.home));
    const policy = opts.fsync ?? envFsyncPolicy();
    this.releaseLock = acquireWriterLock(this.dir, this.dest, opts.location.path);
    this.upkeep = new PageUpkeep(this.dir, this.location, this.dest, this.pageSize, this.log);
    this.durability = new Durability(policy, () => ({ page: this.page, pos: this.pos }));
    try {
      this.cleared = opts.clear ? deletePages(this.dir) : 0;
      this.resume();
      this.wake = WakeTable.of(journalRoot(opts.home));
      this.control = this.wake ? ControlBlock.open(this.dir, this.dest) : undefined;
      if (this.wake) this.control?.prune(this.wake);
    } catch (err) {
      this.durability.close();
      this.releaseLock();
      throw err;
    }
  }

  /** Maps the last page and finds the end of its whole frames; or starts page 1. */
  private resume(): void {
    for (const f of readdirSync(this.dir)) if (isPreparingFile(f)) rmSync(join(this.dir, f), { force: true });
    const ids = listPageIds(this.dir, this.dest);
    const lastId = ids[ids.length - 1];
    if (lastId === undefined) {
      this.setPage(createPage(this.dir, this.location.uid, this.dest, 1, this.pageSize, nowNs()));
      return;
    }
    const page = openPage(this.dir, this.dest, lastId, { writable: true, onTruncated: (m) => this.log.warn(m) });
    if (!page) throw new JournalError(`journal page ${lastId} of ${this.location.path} vanished while opening it`, 'io');
    this.setPage(page);
    const { pos, lastGenTime, ended, problem } = scanPage(page);
    this.pos = pos;
    this.lastGenTime = lastGenTime > page.beginTime ? lastGenTime : page.beginTime;
    if (problem) this.log.warn(`journal ${this.location.path} page ${page.id}: ${problem} at offset ${pos}; appending after the last whole frame`);
    else if (this.tornAt(pos)) {
      this.log.warn(`journal ${this.location.path} page ${page.id}: torn frame after the last whole frame at offset ${pos} (a writer died mid-frame); discarded, appending over it`);
    }
    // The word after the last whole frame must read 0 (the commit protocol): a torn or garbage
    // frame's bytes past it are never read and are overwritten by the next frames.
    if (pos + 4 <= page.pageSize) Atomics.store(page.i32, pos >>> 2, 0);
    if (ended) this.setPage(createPage(this.dir, this.location.uid, this.dest, page.id + 1, this.pageSize, this.nextGenTime()));
  }

  /**
   * Whether a frame was begun at `pos` and never committed: bytes were written after the last
   * whole frame (a fresh page tail is all zeros). Looks at the next 4 KiB only: enough to tell,
   * and cheap on a 64 MB page.
   */
  private tornAt(pos: number): boolean {
    const end = Math.min(pos + TORN_SCAN, this.page.pageSize);
    return this.page.buf.subarray(pos, end).some((b) => b !== 0);
  }

  private setPage(page: MappedPage): void {
    this.page = page;
    this.durability.pageStarted(this.dir);
    this.pos = PAGE_HEADER_SIZE;
    this.upkeep.pageStarted();
    this.maintainAt = 0;
    if (page.beginTime > this.lastGenTime) this.lastGenTime = page.beginTime;
  }

  /** Off the per-frame path: the page's upkeep (page-upkeep.ts), and when it is due again. */
  private maintain(): void {
    this.maintainAt = this.upkeep.maintain(this.page, this.pos, this.lastGenTime > this.maintainBy);
    this.maintainBy = this.lastGenTime + POPULATE_QUIET_NS;
  }

  /**
   * A gen_time for a new frame or page: now, but always after the last one, so (journal, gen_time)
   * names a frame: a reader can resume right after the last frame it applied.
   */
  private nextGenTime(): bigint {
    const now = nowNs();
    return now > this.lastGenTime ? now : this.lastGenTime + 1n;
  }

  /**
   * Ends the current page with a PageEnd frame and continues on the next one. The next page is
   * mapped before PageEnd is committed and renamed into place right after, so a reader that
   * follows PageEnd finds it at once.
   */
  private rollOver(): void {
    const id = this.page.id + 1;
    const prepared = this.upkeep.takePrepared(id);
    const endAt = this.pos;
    const begin = this.nextGenTime();
    if (prepared !== undefined) {
      const next = mapPreparedPage(prepared, id, this.pageSize, begin);
      this.writeHeaderAndCommit(endAt, FRAME_HEADER_SIZE, MsgType.PageEnd, 0n);
      this.durability.leaving(this.page, this.pos);
      renameSync(prepared, next.file);
      this.setPage(next);
    } else {
      const next = createPage(this.dir, this.location.uid, this.dest, id, this.pageSize, begin);
      this.writeHeaderAndCommit(endAt, FRAME_HEADER_SIZE, MsgType.PageEnd, 0n);
      this.durability.leaving(this.page, this.pos);
      this.setPage(next);
    }
  }

  /** The mapping that `beginFrame` offsets point into. Changes when a page rolls over. */
  get buf(): Buffer {
    return this.page.buf;
  }

  get view(): DataView {
    return this.page.view;
  }

  /** Where the next frame will go (for tools and tests). */
  get position(): { pageId: number; offset: number } {
    return { pageId: this.page.id, offset: this.pos };
  }

  /** Starts a frame; returns the offset in `buf`/`view` at which to write `payloadLength` bytes. */
  beginFrame(msgType: number, payloadLength: number): number {
    if (this.closed) throw new JournalError(`journal ${this.location.path} is closed`, 'closed');
    if (this.frameStart >= 0) throw new Error('beginFrame called twice without commitFrame');
    if (!(payloadLength >= 0 && payloadLength <= MAX_FRAME_SIZE - FRAME_HEADER_SIZE) || !Number.isInteger(payloadLength)) {
      throw new JournalError(`a frame of ${payloadLength} payload bytes is refused: frames carry 0 to ${MAX_FRAME_SIZE - FRAME_HEADER_SIZE} bytes`, 'frame-too-large');
    }
    const length = alignFrame(FRAME_HEADER_SIZE + payloadLength);
    // Keep room for a PageEnd frame at the end of every page.
    if (this.pos + length + FRAME_HEADER_SIZE > this.page.pageSize) {
      if (PAGE_HEADER_SIZE + length + FRAME_HEADER_SIZE > this.page.pageSize) {
        throw new JournalError(`a ${payloadLength}-byte frame does not fit a ${this.page.pageSize}-byte journal page; use larger pages`, 'frame-too-large');
      }
      this.rollOver();
    }
    // Alignment padding after an odd-sized payload is part of the frame: make it zeros.
    if (length !== FRAME_HEADER_SIZE + payloadLength) this.page.buf.fill(0, this.pos + FRAME_HEADER_SIZE + payloadLength, this.pos + length);
    this.frameStart = this.pos;
    this.frameLength = length;
    this.frameType = msgType;
    return this.pos + FRAME_HEADER_SIZE;
  }

  /** Commits the frame begun by beginFrame; returns its gen_time. */
  commitFrame(triggerTime = 0n): bigint {
    if (this.frameStart < 0) throw new Error('commitFrame without beginFrame');
    const gen = this.writeHeaderAndCommit(this.frameStart, this.frameLength, this.frameType, triggerTime);
    this.frameStart = -1;
    return gen;
  }

  write<T>(msgType: number, layout: Layout<T>, value: T, triggerTime = 0n): bigint {
    const at = this.beginFrame(msgType, layout.size);
    layout.encode(this.page.view, this.page.buf, at, value);
    return this.commitFrame(triggerTime);
  }

  writeBytes(msgType: number, bytes: Uint8Array, triggerTime = 0n): bigint {
    const at = this.beginFrame(msgType, bytes.length);
    this.page.buf.set(bytes, at);
    return this.commitFrame(triggerTime);
  }

  private writeHeaderAndCommit(at: number, length: number, msgType: number, triggerTime: bigint): bigint {
    const page = this.page;
    const view = page.view;
    const gen = this.nextGenTime();
    this.lastGenTime = gen;
    view.setInt32(at + FrameHeader.msgType, msgType, true);
    view.setBigInt64(at + FrameHeader.genTime, gen, true);
    view.setBigInt64(at + FrameHeader.triggerTime, triggerTime, true);
    view.setUint32(at + FrameHeader.source, this.location.uid, true);
    view.setUint32(at + FrameHeader.dest, this.dest, true);
    // The commit (format.ts): the next frame's length word reads 0 before this one's is published.
    const next = at + length;
    page.i32[next >>> 2] = 0;
    Atomics.store(page.i32, at >>> 2, length);
    this.pos = next;
    if (this.durability.policy.kind !== 'none') this.durability.committed(page, msgType, next);
    if (this.control !== undefined) {
      if (this.wakesDeferred === undefined) this.control.wakeSleepers(this.wake!, msgType);
      else if (!this.wakesDeferred.includes(msgType)) this.wakesDeferred.push(msgType);
    }
    if (next > this.maintainAt || gen > this.maintainBy) this.maintain();
    return gen;
  }

  /**
   * Runs `fn`; the frames it commits wake sleeping readers only when it returns (or throws). For a
   * writer whose next act is urgent: the TD records an order as Pending and sends it, and the
   * readers it would wake (ledger, strategy) would otherwise take the cores the send needs. The
   * frames are visible at once to readers that are awake; only the wake-up system calls wait.
   * `fn` is synchronous: an async one would have its wakes sent at its first await.
   */
  deferWakes<T>(fn: () => T): T {
    if (this.wakesDeferred !== undefined) return fn(); // nested: the outermost call wakes
    this.wakesDeferred = [];
    try {
      return fn();
    } finally {
      const types = this.wakesDeferred;
      this.wakesDeferred = undefined;
      if (this.control !== undefined) for (const t of types) this.control.wakeSleepers(this.wake!, t);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.durability.leaving(this.page, this.pos);
    this.durability.close();
    this.upkeep.close();
    this.releaseLock();
  }

  toString(): string {
    return `JournalWriter(${this.location.path} dest ${hex8(this.dest)} page ${this.page.id} @${this.pos})`;
  }
}

