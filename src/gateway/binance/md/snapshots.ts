/**
 * Order-book snapshots over REST (`GET /api/v3/depth?limit=5000`) for the books that resync: at
 * most two in flight, each within Binance's request-weight budget; a failure is retried with
 * backoff, a 429 waits out its Retry-After, and a 418 ban is held (`banUntil`) and waited out.
 * A book that restarted meanwhile (a new epoch) or is no longer kept drops its request.
 */
import type { Logger } from '../../../util/log.js';
import { RateLimited } from '../common/errors.js';
import type { BinanceRest } from '../common/rest.js';
import type { BookSync } from './book-sync.js';
import { parseDepthSnapshot, type DepthSnapshot } from './depth-json.js';
import { MappingError } from './mapping.js';

export interface SnapshotOptions {
  rest: BinanceRest;
  log: Logger;
  /** Retry delays after a failed snapshot (default 1 s doubling to 30 s). */
  retry?: { initialMs: number; maxMs: number };
  /** Whether `sync` is still a book being kept (untracked books drop their request). */
  kept(sync: BookSync): boolean;
  /** The snapshot of `sync` for `epoch` arrived. */
  arrived(sync: BookSync, epoch: number, snapshot: DepthSnapshot): void;
  /** A ban began or ended. */
  changed(): void;
}

export class Snapshots {
  /** When a 418 ban on REST ends (ms), while one is in force. */
  banUntil = 0;
  private fetching = 0;
  private readonly queue: { sync: BookSync; epoch: number }[] = [];
  private closed = false;

  constructor(private readonly opts: SnapshotOptions) {}

  /** Asks for a snapshot of `sync`'s book, for its restart `epoch`. */
  request(sync: BookSync, epoch: number): void {
    this.queue.push({ sync, epoch });
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private pump(): void {
    while (this.fetching < 2 && this.queue.length > 0 && !this.closed) {
      const job = this.queue.shift()!;
      if (job.sync.epoch !== job.epoch || !this.opts.kept(job.sync)) continue;
      this.fetching++;
      void this.fetch(job.sync, job.epoch).finally(() => {
        this.fetching--;
        this.pump();
      });
    }
  }

  private async fetch(sync: BookSync, epoch: number): Promise<void> {
    const { rest, log } = this.opts;
    const retry = this.opts.retry ?? { initialMs: 1000, maxMs: 30_000 };
    for (let failures = 0; !this.closed && sync.epoch === epoch; failures++) {
      const hold = rest.budgetDelayMs(250);
      if (hold > 0) await sleep(hold);
      try {
        const body = await rest.call('GET', '/api/v3/depth', { symbol: sync.symbol, limit: 5000 });
        if (this.banUntil) {
          this.banUntil = 0;
          this.opts.changed();
        }
        return this.opts.arrived(sync, epoch, parseDepthSnapshot(body));
      } catch (err) {
        if (err instanceof RateLimited) {
          if (err.status === 418 && this.banUntil !== err.until) {
            this.banUntil = err.until;
            this.opts.changed();
          }
          log.warn(`book ${sync.symbol}: snapshot refused (${err.message}); waiting ${Math.ceil((err.until - Date.now()) / 1000)} s`);
          await sleep(Math.max(0, err.until - Date.now()));
          continue;
        }
        const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(failures, 10));
        if (failures === 0 || err instanceof MappingError) log.warn(`book ${sync.symbol}: snapshot failed (${(err as Error).message}); retrying in ${delay} ms, then with backoff`);
        await sleep(delay);
      }
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
