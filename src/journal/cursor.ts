/**
 * One journal's read position, a Cursor: the page of the journal a reader is on, the offset in it,
 * and the next whole frame there, validated. JournalReader (reader.ts) holds one per journal it
 * follows, merges them by gen_time and fills its one Frame from the cursor that is first.
 *
 * peek() and fill() read the mapped page; they touch files only to open the next page after a
 * PageEnd frame (and fill gives passed bytes back to the kernel, a step at a time). The rest of the
 * file-system side (the first page, a truncated or damaged page, a journal cleared and recreated)
 * is housekeep()'s, which the reader calls on its slow path.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { MsgType } from '../model/events.js';
import type { Logger } from '../util/log.js';
import type { ControlBlock } from './control.js';
import { FRAME_HEADER_SIZE, FrameHeader, PAGE_HEADER_SIZE, pageFileName } from './format.js';
import type { Location } from './location.js';
import { native } from './native.js';
import { frameProblem, listPageIds, openPage, readBeginTime, type MappedPage } from './page.js';
import type { Frame } from './reader.js';

/**
 * What a reader has read of a page is given back (MADV_DONTNEED) in steps this large: a process
 * that follows a 64 MB market-data page would otherwise hold all of it in its resident memory, and
 * the ledger follows a journal per process (each step costs one madvise, per ~2,000 frames).
 */
const RELEASE_STEP = 256 << 10;

export class Cursor {
  page: MappedPage | undefined;
  pageId = 0;
  pos = PAGE_HEADER_SIZE;
  /** Bytes of the page already given back. */
  released = 0;
  /** Length of the validated frame at pos, 0 when none is known yet. */
  head = 0;
  headGen = 0n;
  lastGen = 0n;
  /** The read path is stuck (no page yet, a truncated page, garbage): housekeep() may move it. */
  stuck = true;
  control: ControlBlock | undefined;
  /** This journal cannot be followed for wake-ups (read-only): its reader polls. */
  polling = false;
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

  private openCurrent(): boolean {
    this.page = openPage(this.dir, this.dest, this.pageId, { writable: false, onTruncated: (m) => this.log.warn(m) });
    this.pos = PAGE_HEADER_SIZE;
    this.released = 0;
    return this.page !== undefined;
  }

  /**
   * Makes `head` the length of the next readable frame; false when there is none yet. Reads
   * memory only, except to open the next page after a PageEnd frame (the writer creates it first).
   */
  peek(): boolean {
    if (this.head !== 0) return true;
    if (this.stuck) return false;
    for (;;) {
      const page = this.page!;
      if (this.pos + FRAME_HEADER_SIZE > page.mapped) {
        this.stuck = true; // only a truncated page ends without a PageEnd frame
        return false;
      }
      const length = Atomics.load(page.i32, this.pos >>> 2);
      if (length === 0) return false;
      const problem = frameProblem(page, this.pos, length, this.lastGen);
      if (problem !== undefined) {
        this.reportOnce(problem);
        this.stuck = true;
        return false;
      }
      const gen = page.view.getBigInt64(this.pos + FrameHeader.genTime, true);
      if (page.view.getInt32(this.pos + FrameHeader.msgType, true) === MsgType.PageEnd) {
        this.lastGen = gen;
        this.pageId++;
        if (!this.openCurrent()) {
          this.stuck = true;
          return false;
        }
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

  /**
   * The file-system side of reading: opens the first page once it exists, moves past a truncated
   * or damaged page once a later one exists, and starts over when the journal was cleared (its
   * current page file is gone or is another file now).
   */
  housekeep(): void {
    if (this.page !== undefined && !this.sameFile()) {
      this.log.info(`journal ${this.location.path} was cleared or replaced; following its new pages`);
      this.page = undefined;
      this.pageId = 0;
      this.lastGen = 0n;
      this.head = 0;
      this.stuck = true;
    }
    if (!this.stuck) return;
    if (this.page === undefined) {
      if (this.pageId === 0 && !this.seekFirstPage()) return;
      if (!this.openCurrent()) return;
      this.stuck = false;
      return;
    }
    // Stuck on a truncated or damaged page: go on with the next page once it exists.
    if (listPageIds(this.dir, this.dest).includes(this.pageId + 1)) {
      this.pageId++;
      this.stuck = !this.openCurrent();
      return;
    }
    this.stuck = this.atStuckPoint();
  }

  /** Whether the read position still cannot move (a frame may have been committed meanwhile). */
  private atStuckPoint(): boolean {
    const page = this.page!;
    if (this.pos + FRAME_HEADER_SIZE > page.mapped) return true;
    const length = Atomics.load(page.i32, this.pos >>> 2);
    return length !== 0 && frameProblem(page, this.pos, length, this.lastGen) !== undefined;
  }

  private sameFile(): boolean {
    try {
      return statSync(join(this.dir, pageFileName(this.dest, this.pageId))).ino === this.page!.ino;
    } catch {
      return false;
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
    // Give back what lies before this frame, a step at a time (the frame itself stays).
    if (at - this.released >= RELEASE_STEP) {
      native().release(page.buf, this.released, at - this.released);
      this.released = at & ~(4096 - 1);
    }
    this.pos += this.head;
    this.head = 0;
  }
}
