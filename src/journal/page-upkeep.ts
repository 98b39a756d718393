/**
 * A journal writer's upkeep of its pages, off the per-frame path: JournalWriter (writer.ts) calls
 * maintain() when its position passes the offset the last call returned, or when a frame follows a
 * quiet spell. It keeps the current page faulted in ahead of the write position, gives back what
 * lies far behind it, and has the next page prepared in the background, so that neither a page
 * fault nor the making of a page lands on a frame's time.
 */
import { rmSync } from 'node:fs';
import type { Logger } from '../util/log.js';
import type { Location } from './location.js';
import { native } from './native.js';
import type { MappedPage } from './page.js';
import { preparePage } from './page-create.js';

/**
 * The writer keeps part of its page faulted in ahead of its position, by a worker thread (native
 * populate): a first write to a page of a shared file mapping costs a page fault of several
 * microseconds (the file system allocates and marks the page), 1/32 of that per 128-byte frame.
 * The window starts small (an idle process should not carry megabytes of journal in memory) and
 * doubles while the writer catches up with it fast, up to POPULATE_MAX.
 */
const POPULATE_MIN = 256 << 10;
const POPULATE_MAX = 4 << 20;
/** The writer gives back pages of its mapping this far behind its position (see maintain). */
const RELEASE_LAG = 256 << 10;
/** Crossing the window faster than this means a busy writer: widen it. */
const POPULATE_BUSY_MS = 100;
/**
 * Not maintained for this long, a quiet writer: its window goes back to the minimum, and what was
 * populated beyond it is given back (pages populated ahead are resident until written and passed).
 */
export const POPULATE_QUIET_NS = 10_000_000_000n;

export class PageUpkeep {
  /** Offset up to which population of the current page was requested, and how far ahead. */
  private populatedTo = 0;
  private populateAhead = POPULATE_MIN;
  private lastMaintain = 0;
  /** Bytes of the page behind the write position given back from this process's memory. */
  private releasedTo = 0;
  /** The next page is prepared in the background (see preparePage) as soon as a page is in use:
   * a busy writer fills a 64 MB page in a fraction of a second. */
  private preparing: { id: number; tmp?: string } | undefined;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly location: Location,
    private readonly dest: number,
    private readonly pageSize: number,
    private readonly log: Logger,
  ) {}

  /** The writer starts a page: nothing of it is populated or given back yet. */
  pageStarted(): void {
    this.populatedTo = 0;
    this.releasedTo = 0;
  }

  /**
   * Keeps `page` populated ahead of the write position `pos`, and the next page prepared; gives back
   * what lies behind. `quiet`: the writer was not maintained for POPULATE_QUIET_NS. Returns the
   * offset past which the writer calls this again.
   */
  maintain(page: MappedPage, pos: number, quiet: boolean): number {
    const now = performance.now();
    const size = page.pageSize;
    if (this.populatedTo > 0 && now - this.lastMaintain < POPULATE_BUSY_MS) this.populateAhead = Math.min(POPULATE_MAX, this.populateAhead * 2);
    else if (quiet && this.populateAhead > POPULATE_MIN) {
      this.populateAhead = POPULATE_MIN;
      const keep = Math.min(size, (pos + POPULATE_MIN + 4095) & ~4095);
      if (this.populatedTo > keep) {
        native().releaseLater(page.buf, keep, this.populatedTo - keep); // not on this frame's time
        this.populatedTo = keep;
      }
    }
    this.lastMaintain = now;
    const want = Math.min(size, pos + this.populateAhead);
    if (want > this.populatedTo) {
      native().populate(page.buf, this.populatedTo, want - this.populatedTo);
      this.populatedTo = want;
    }
    if (this.preparing?.id !== page.id + 1) this.prepareNextPage(page.id + 1);
    // What was written is the readers' (and the page cache's): not this process's memory.
    const behind = pos - RELEASE_LAG;
    if (behind - this.releasedTo >= RELEASE_LAG) {
      native().releaseLater(page.buf, this.releasedTo, behind - this.releasedTo);
      this.releasedTo = behind & ~4095;
    }
    // Next time: when half the window ahead is used.
    return this.populatedTo >= size ? Number.POSITIVE_INFINITY : this.populatedTo - this.populateAhead / 2;
  }

  /** Starts preparing the next page off the event loop's thread; called once per page. */
  private prepareNextPage(id: number): void {
    const job: { id: number; tmp?: string } = { id };
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

  /** The prepared page `id` (its temporary file) for the rollover, if it is ready; undefined if not. */
  takePrepared(id: number): string | undefined {
    const job = this.preparing;
    this.preparing = undefined;
    return job?.id === id ? job.tmp : undefined;
  }

  close(): void {
    this.closed = true;
    if (this.preparing?.tmp !== undefined) rmSync(this.preparing.tmp, { force: true });
    this.preparing = undefined;
  }
}
