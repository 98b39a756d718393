/**
 * The single writer of one journal (format in format.ts).
 *
 *     const w = JournalWriter.open({ home, location });
 *     w.write(MsgType.Quote, Quote, quote, triggerTime);           // encode a struct
 *     const at = w.beginFrame(MsgType.Quote, Quote.size);           // or zero-copy:
 *     Quote.encode(w.view, w.buf, at, quote); w.commitFrame(trigger); // encode in place
 *
 * Appending is a few stores into a MAP_SHARED mapping: no system call per frame unless a reader
 * sleeps (see doorbell.ts). A restarted writer continues after the last whole frame.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from '../model/layout.js';
import { MsgType } from '../model/events.js';
import { getLogger, type Logger } from '../util/log.js';
import { nowNs } from './clock.js';
import { ControlBlock, DoorbellServer, doorbellAddress } from './doorbell.js';
import { JournalError } from './errors.js';
import { FRAME_HEADER_SIZE, FrameHeader, PAGE_HEADER_SIZE, alignFrame, defaultPageSize, hex8, parsePageFileName } from './format.js';
import { acquireWriterLock } from './lock.js';
import { journalDir, type Location } from './location.js';
import { createPage, isPreparingFile, listPageIds, mapPreparedPage, openPage, preparePage, scanPage, type MappedPage } from './page.js';

export interface WriterOptions {
  home: string;
  location: Location;
  /** Destination uid: 0 (default) is the public journal of this location. */
  dest?: number;
  /** Bytes per page for new pages; existing pages keep theirs. */
  pageSize?: number;
  log?: Logger;
  /** Ring sleeping readers (default true). Off only for benchmarks of the raw append path. */
  doorbell?: boolean;
}

/** Deletes every page of a location's journals: CLEAR_JOURNAL=1, development only. */
export function clearJournal(home: string, location: Location): number {
  const dir = journalDir(home, location);
  let removed = 0;
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const f of files) {
    if (parsePageFileName(f) || f.endsWith('.ctl')) {
      unlinkSync(`${dir}/${f}`);
      removed++;
    }
  }
  return removed;
}

/** Bytes scanned per step when checking that a page's tail is clean. */
const SCAN_CHUNK = 64 * 1024;
const ZERO_CHUNK = Buffer.alloc(SCAN_CHUNK);

export class JournalWriter {
  readonly dir: string;
  readonly location: Location;
  readonly dest: number;
  private readonly pageSize: number;
  private readonly log: Logger;
  private page!: MappedPage;
  private pos = PAGE_HEADER_SIZE;
  private lastGenTime = 0n;
  private frameStart = -1;
  private frameLength = 0;
  private frameType = 0;
  private readonly control: ControlBlock;
  private readonly doorbell: DoorbellServer | undefined;
  private readonly releaseLock: () => void;
  private closed = false;
  /** Past this offset the next page is prepared in the background (see preparePage): at once,
   * since preparing 64 MB takes ~160 ms of background I/O and a busy writer fills a page fast. */
  private prepareAt = Number.POSITIVE_INFINITY;
  private preparing: { id: number; tmp?: string } | undefined;

  static open(opts: WriterOptions): JournalWriter {
    return new JournalWriter(opts);
  }

  private constructor(opts: WriterOptions) {
    this.location = opts.location;
    this.dest = (opts.dest ?? 0) >>> 0;
    this.dir = journalDir(opts.home, opts.location);
    this.pageSize = opts.pageSize ?? defaultPageSize(opts.location.category);
    this.log = opts.log ?? getLogger();
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new JournalError(`cannot create journal directory ${this.dir} (${code}); make KF_HOME (${opts.home}) a writable directory, or point -H/KF_HOME elsewhere`, 'not-writable');
    }
    this.releaseLock = acquireWriterLock(this.dir, this.dest, opts.location.path, (m) => this.log.info(m));
    try {
      this.resume();
      this.control = new ControlBlock(this.dir, this.dest);
      this.control.resetSleepers();
    } catch (err) {
      this.releaseLock();
      throw err;
    }
    this.doorbell =
      opts.doorbell === false
        ? undefined
        : new DoorbellServer(doorbellAddress(this.dir, this.dest), (err) => this.log.warn(`journal ${this.location.path}: doorbell unavailable (${err.message}); readers will poll`));
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
    this.lastGenTime = lastGenTime;
    if (problem) this.log.warn(`journal ${this.location.path} page ${page.id}: ${problem} at offset ${pos}; appending after the last whole frame`);
    const dirty = this.zeroTail();
    if (!problem && dirty > 0) {
      this.log.warn(`journal ${this.location.path} page ${page.id}: torn tail after the last whole frame at offset ${pos} (a writer died mid-frame); discarded ${dirty} bytes`);
    }
    if (ended) this.setPage(createPage(this.dir, this.location.uid, this.dest, page.id + 1, this.pageSize, nowNs()));
  }

  /** Zeroes whatever lies after the last whole frame; returns how many bytes were not zero. */
  private zeroTail(): number {
    const buf = this.page.buf;
    let dirty = 0;
    for (let at = this.pos; at < this.page.pageSize; at += SCAN_CHUNK) {
      const end = Math.min(at + SCAN_CHUNK, this.page.pageSize);
      if (buf.compare(ZERO_CHUNK, 0, end - at, at, end) !== 0) {
        for (let i = at; i < end; i++) if (buf[i] !== 0) dirty++;
        buf.fill(0, at, end);
      }
    }
    return dirty;
  }

  private setPage(page: MappedPage): void {
    this.page = page;
    this.pos = PAGE_HEADER_SIZE;
    this.prepareAt = PAGE_HEADER_SIZE;
  }

  /** Starts preparing the next page off the event loop's thread; called once per page. */
  private prepareNextPage(): void {
    this.prepareAt = Number.POSITIVE_INFINITY;
    const job: { id: number; tmp?: string } = { id: this.page.id + 1 };
    this.preparing = job;
    preparePage(this.dir, this.location.uid, this.dest, job.id, this.pageSize).then(
      (tmp) => {
        if (this.preparing === job && !this.closed) job.tmp = tmp;
        else rmSync(tmp, { force: true }); // overtaken by a synchronous rollover, or closed
      },
      (err: Error) => {
        if (this.preparing === job) this.preparing = undefined;
        this.log.warn(`journal ${this.location.path}: could not prepare page ${job.id} in the background (${err.message}); it will be created when needed`);
      },
    );
  }

  /**
   * Ends the current page with a PageEnd frame and continues on the next one. The next page is
   * mapped before PageEnd is committed and renamed into place right after, so a reader that
   * follows PageEnd finds it at once (or, for a few microseconds, waits for the next ring).
   */
  private rollOver(): void {
    const id = this.page.id + 1;
    const job = this.preparing;
    this.preparing = undefined;
    const endAt = this.pos;
    if (job?.id === id && job.tmp !== undefined) {
      const next = mapPreparedPage(job.tmp, id, this.pageSize, nowNs());
      this.writeHeaderAndCommit(endAt, FRAME_HEADER_SIZE, MsgType.PageEnd, 0n);
      renameSync(job.tmp, next.file);
      this.setPage(next);
    } else {
      this.writeHeaderAndCommit(endAt, FRAME_HEADER_SIZE, MsgType.PageEnd, 0n);
      this.setPage(createPage(this.dir, this.location.uid, this.dest, id, this.pageSize, nowNs()));
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
    const length = alignFrame(FRAME_HEADER_SIZE + payloadLength);
    // Keep room for a PageEnd frame at the end of every page.
    if (this.pos + length + FRAME_HEADER_SIZE > this.page.pageSize) {
      if (PAGE_HEADER_SIZE + length + FRAME_HEADER_SIZE > this.page.pageSize) {
        throw new JournalError(`a ${payloadLength}-byte frame does not fit a ${this.page.pageSize}-byte journal page; use larger pages`, 'frame-too-large');
      }
      this.rollOver();
    }
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
    const view = this.page.view;
    let gen = nowNs();
    if (gen < this.lastGenTime) gen = this.lastGenTime; // gen_time never decreases within a journal
    this.lastGenTime = gen;
    view.setInt32(at + FrameHeader.msgType, msgType, true);
    view.setBigInt64(at + FrameHeader.genTime, gen, true);
    view.setBigInt64(at + FrameHeader.triggerTime, triggerTime, true);
    view.setUint32(at + FrameHeader.source, this.location.uid, true);
    view.setUint32(at + FrameHeader.dest, this.dest, true);
    // The commit: length last, sequentially consistent (see format.ts and doorbell.ts).
    Atomics.store(this.page.i32, (at + FrameHeader.length) >>> 2, length);
    this.pos = at + length;
    if (this.doorbell !== undefined && this.control.sleepers() !== 0) this.doorbell.ring();
    if (this.pos > this.prepareAt) this.prepareNextPage();
    return gen;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.preparing?.tmp !== undefined) rmSync(this.preparing.tmp, { force: true });
    this.preparing = undefined;
    this.doorbell?.ring(); // let followers notice promptly
    this.doorbell?.close();
    this.releaseLock();
  }

  toString(): string {
    return `JournalWriter(${this.location.path} dest ${hex8(this.dest)} page ${this.page.id} @${this.pos})`;
  }
}
