/**
 * When a journal's frames reach the disk. A committed frame is in the page cache at once: it
 * survives the writer's crash (kill -9, OOM) and is seen by every reader. A power loss or a kernel
 * crash loses what the kernel had not written back yet (Linux writes dirty pages back within about
 * 30 s by default). The fsync policy narrows that window, at a cost per frame that `npm run
 * bench:journal` measures:
 *
 *   none       the default: the kernel writes back when it will (fastest; a power loss may lose
 *              the last ~30 s)
 *   page       each page is written to disk when it is full, and at close
 *   <N>ms      what was committed is written to disk every N ms (a power loss loses at most N ms,
 *              as long as the process's event loop turns: not in -x spin mode)
 *   orders     every order-path frame (OrderInput, OrderAction, Order, Trade) is on disk before
 *              commitFrame returns; other frames as `page`
 *   frame      every frame is on disk before commitFrame returns (slowest)
 *
 * Set for every process with KF_JOURNAL_FSYNC (e.g. KF_JOURNAL_FSYNC=orders), or per writer.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { native } from './native.js';
import type { MappedPage } from './page.js';
import { MsgType } from '../model/events.js';
import { UserError } from '../util/errors.js';

export type FsyncPolicy = { kind: 'none' } | { kind: 'page' } | { kind: 'interval'; ms: number } | { kind: 'orders' } | { kind: 'frame' };

const ORDER_PATH = new Set<number>([MsgType.OrderInput, MsgType.OrderAction, MsgType.Order, MsgType.Trade]);

/** Parses `none`, `page`, `orders`, `frame` or `<N>ms` (1 to 60000). */
export function parseFsyncPolicy(text: string, from = 'KF_JOURNAL_FSYNC'): FsyncPolicy {
  const t = text.trim();
  if (t === 'none' || t === 'page' || t === 'orders' || t === 'frame') return { kind: t };
  const m = /^(\d{1,5})ms$/.exec(t);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 60_000) return { kind: 'interval', ms: Number(m[1]) };
  throw new UserError(`${from} "${text.slice(0, 40)}" is not an fsync policy: use none, page, orders, frame or <N>ms (1ms to 60000ms)`, 2);
}

/** The kernel call, behind one object so that tests can watch the calls (the addon's exports are read-only). */
export const diskSync = { sync: (buf: Buffer, offset: number, length: number): void => native().sync(buf, offset, length) };

let fromEnv: FsyncPolicy | undefined;

/** The policy in KF_JOURNAL_FSYNC (read once), else none. */
export function envFsyncPolicy(): FsyncPolicy {
  const text = process.env.KF_JOURNAL_FSYNC;
  return (fromEnv ??= text ? parseFsyncPolicy(text) : { kind: 'none' });
}

/** The writer's side: what of the current page is on disk, and when to write the rest. */
export class Durability {
  /** Offset in the current page up to which frames are on disk. */
  private syncedTo = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly policy: FsyncPolicy,
    private readonly current: () => { page: MappedPage; pos: number },
  ) {
    if (policy.kind === 'interval') {
      this.timer = setInterval(() => this.flush(), policy.ms);
      this.timer.unref();
    }
  }

  /** A page starts: nothing of it is written yet; its file's name must survive a power loss too. */
  pageStarted(dir: string): void {
    this.syncedTo = 0;
    if (this.policy.kind === 'none') return;
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** After a frame's commit (`end`: the offset after it). */
  committed(page: MappedPage, msgType: number, end: number): void {
    const k = this.policy.kind;
    if (k === 'frame' || (k === 'orders' && ORDER_PATH.has(msgType))) this.sync(page, end);
  }

  /** Before the writer leaves a page (roll-over, close): the page's frames go to disk, if the policy says so. */
  leaving(page: MappedPage, end: number): void {
    if (this.policy.kind !== 'none') this.sync(page, end);
  }

  /** Writes what was committed since the last sync (the interval policy's timer). */
  flush(): void {
    const { page, pos } = this.current();
    this.sync(page, pos);
  }

  private sync(page: MappedPage, end: number): void {
    if (end <= this.syncedTo) return;
    diskSync.sync(page.buf, this.syncedTo, end - this.syncedTo);
    this.syncedTo = end;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
