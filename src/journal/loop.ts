/**
 * The event loop of a journal-driven process (Kungfu's "hero"): frames from any number of journals
 * and timers, delivered one at a time in time order, with `now()` the time of the event at hand.
 *
 *     const loop = new EventLoop({ reader, mode: 'block' });
 *     loop.onFrame((f) => ...);
 *     loop.addInterval(1_000_000_000n, (now) => ...);
 *     await loop.run(signal);
 *
 * How it waits when there is nothing to do (`mode`):
 * - 'block' (the ledger, strategies): spins briefly after the last event, then blocks the thread
 *   in futex(2) until a writer commits, a timer (its own or Node's) is due, or Node's event loop
 *   has I/O (a helper thread watches it: sockets, signals, PM2 IPC are served at once); then
 *   lets Node's event loop turn, and blocks again. While events flow without pause, Node's event
 *   loop still turns every `capMs`. The fastest wake-up, and nothing to do costs nothing.
 * - 'loop' (gateways, the master, tools): sleeps in Node's event loop until a writer rings the
 *   reader's FIFO or a timer is due; sockets are served at once.
 * - 'spin' (`kfc -x`): never sleeps; one core busy, the lowest latency. It yields the core between
 *   looks, so more spinners than cores still pass an event on within microseconds.
 *
 * Timers are due at journal times (ns). A timer due at t runs before any frame with gen_time > t,
 * so replaying a journal runs timers and frames in the same order as live, as far as the frames
 * show. Callbacks run synchronously; one that throws stops the loop (the caller decides what a
 * callback error means: the strategy runner catches them itself).
 */
import { nowNs } from './clock.js';
import { native } from './native.js';
import { POLL_INTERVAL_MS, type Frame, type JournalReader, type WaitMode } from './reader.js';
import { TimerQueue, type Timer } from './timer-queue.js';

export interface EventLoopOptions {
  reader: JournalReader;
  mode: WaitMode;
  /** While events flow without pause, Node's event loop turns at least this often (default 5 ms). */
  capMs?: number;
  /** After the last event, look for the next one this long before sleeping (default 50 us). */
  spinUs?: number;
  /** At most this many events in a row before Node's event loop turns (default 4096). */
  batch?: number;
  /** How often an idle loop looks for journals that appeared, were cleared or moved on (250 ms). */
  housekeepingMs?: number;
  /**
   * 'block': a blocked loop lets Node's event loop turn at least this often (default 50 ms), for
   * Node's own timers (setTimeout), which the futex cannot see; I/O wakes it at once. The loop's
   * timers (addTimer) are exact: processes built on the loop use those.
   */
  nodeTimerSlackMs?: number;
}

export class EventLoop {
  private readonly reader: JournalReader;
  private readonly mode: WaitMode;
  private readonly capNs: number;
  private readonly spinMs: number;
  private readonly batch: number;
  private readonly housekeepingMs: number;
  private readonly nodeTimerSlackMs: number;
  private handler: (frame: Frame) => void = () => {};
  /** addTimer's and addInterval's timers, in the order they are due (timer-queue.ts). */
  private readonly timers = new TimerQueue();
  private current = 0n;
  private stopped = false;
  private wakeLoop: (() => void) | undefined;
  private lastHousekeeping = 0;

  constructor(opts: EventLoopOptions) {
    this.reader = opts.reader;
    this.mode = opts.mode;
    this.capNs = (opts.capMs ?? 5) * 1e6;
    this.spinMs = (opts.spinUs ?? 50) / 1000;
    this.batch = opts.batch ?? 4096;
    this.housekeepingMs = opts.housekeepingMs ?? 250;
    this.nodeTimerSlackMs = opts.nodeTimerSlackMs ?? 50;
  }

  /** Receives every frame, in gen_time order. */
  onFrame(handler: (frame: Frame) => void): void {
    this.handler = handler;
  }

  /** The time of the event being handled (a frame's gen_time, a timer's due time). */
  now(): bigint {
    return this.current;
  }

  /** Runs `callback` once at journal time `atNs`; returns an id for cancel(). */
  addTimer(atNs: bigint, callback: (now: bigint) => void): number {
    return this.push({ id: this.timers.newId(), at: atNs, period: 0n, callback });
  }

  /** Runs `callback` every `periodNs`, first at `firstAtNs` (default: one period from now). */
  addInterval(periodNs: bigint, callback: (now: bigint) => void, firstAtNs?: bigint): number {
    if (periodNs <= 0n) throw new RangeError(`an interval must be positive, not ${periodNs} ns`);
    return this.push({ id: this.timers.newId(), at: firstAtNs ?? nowNs() + periodNs, period: periodNs, callback });
  }

  cancel(id: number): void {
    this.timers.cancel(id);
  }

  private push(timer: Timer): number {
    this.timers.push(timer);
    this.wakeLoop?.(); // a loop asleep in the event loop must re-plan its timeout
    return timer.id;
  }

  private fire(): void {
    const t = this.timers.pop();
    this.current = t.at;
    if (t.period > 0n) {
      // The next run is one period after this one was due, not after it ran: no drift.
      t.at += t.period;
      this.push(t);
    }
    t.callback(this.current);
  }

  /**
   * Delivers every frame that is there and every timer that is due, in time order, up to `limit`
   * events; returns how many. For replay and tests as much as for the live loop.
   */
  drain(limit = Number.POSITIVE_INFINITY): number {
    let n = 0;
    let clock = 0n; // read lazily: only a timer with no frame ahead of it needs the clock
    while (n < limit && !this.stopped) {
      const frameAt = this.reader.peekTime();
      const timerAt = this.timers.nextAt();
      if (timerAt !== undefined && (frameAt === undefined ? timerAt <= (clock || (clock = nowNs())) : timerAt <= frameAt)) {
        this.fire();
      } else if (frameAt !== undefined) {
        const frame = this.reader.next()!;
        this.current = frame.genTime;
        this.handler(frame);
      } else break;
      n++;
    }
    return n;
  }

  /** Runs until stop() or the signal aborts. */
  async run(signal?: AbortSignal): Promise<void> {
    this.stopped = false;
    const onAbort = () => this.stop();
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) this.stop();
    try {
      if (this.mode === 'loop') await this.runOnEventLoop();
      else await this.runBlocking();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  stop(): void {
    this.stopped = true;
    this.wakeLoop?.();
  }

  private housekeepIfDue(force: boolean): void {
    const now = performance.now();
    if (force || now - this.lastHousekeeping >= this.housekeepingMs) {
      this.lastHousekeeping = now;
      this.reader.housekeep();
    }
  }

  /**
   * Looks for the next event for up to `ms`; true if a frame is there or a timer is due. The
   * clock is read once every 64 looks: reading it allocates, and a spin that allocates fills the
   * young generation (a scavenge every few hundred frames, each a pause in the latency tail).
   */
  private spinFor(ms: number): boolean {
    const start = performance.now();
    const timerAt = this.timers.nextAt();
    const dueAt = timerAt === undefined ? Number.POSITIVE_INFINITY : start + Number(timerAt - nowNs()) / 1e6;
    const until = Math.min(start + ms, dueAt);
    const reader = this.reader;
    // 'spin' yields the core between looks (native.ts yieldCpu): with more spinners than cores,
    // the one with work runs now instead of after this one's time slice. The short spin of the
    // other modes does not: it must not hand its core to an unrelated busy process for a slice.
    const yieldCpu = this.mode === 'spin';
    let now = start;
    while (now < until) {
      for (let i = 0; i < 64; i++) if (reader.ready()) return true;
      if (yieldCpu) native().yieldCpu();
      now = performance.now();
    }
    return now >= dueAt || reader.ready();
  }

  /** 'block' and 'spin': the thread is this loop's, and Node's event loop turns between waits. */
  private async runBlocking(): Promise<void> {
    const spin = this.mode === 'spin';
    const capMs = this.capNs / 1e6;
    // Node's event loop must turn: for its timers, at least every nodeTimerSlackMs; while events
    // flow without a pause, at least every capMs (a blocked thread is woken for Node's I/O, a busy
    // one is not). Turning more often only delays the next frame.
    let lastTurn = performance.now();
    let busySince = lastTurn;
    let busy = false; // an event came since the last wait: spinning may catch the next one
    const turn = async () => {
      await turnEventLoop();
      lastTurn = busySince = performance.now();
    };
    while (!this.stopped) {
      const n = this.drain(this.batch);
      if (n > 0) busy = true;
      if (this.stopped) break;
      const now = performance.now();
      if (n >= this.batch || now - busySince >= capMs || now - lastTurn >= this.nodeTimerSlackMs) {
        await turn();
        continue;
      }
      if (n > 0) continue;
      // Nothing now: right after events, spin a little (a burst often continues); then wait.
      if ((spin || busy) && this.spinFor(spin ? 1 : this.spinMs)) continue;
      busy = false;
      if (spin) {
        this.housekeepIfDue(false);
        await turn();
        continue;
      }
      // Before blocking: I/O watchers started since Node's last poll phase (a connection
      // accepted, a socket opened in a callback) join epoll only in a poll phase, and only what is
      // in epoll can wake the blocked thread (the loop watch). If there are any, let Node's event
      // loop run whole iterations first (rarely: the hot path blocks at once).
      if (native().loopPending()) {
        for (let i = 0; i < 8 && native().loopPending(); i++) await turn();
        if (this.stopped) break;
        if (this.spinFor(0)) continue;
      }
      // Block until a frame, our next timer, housekeeping, or the turn Node's timers are due
      // (the futex cannot see them); Node's I/O wakes us at once.
      const timerAt = this.timers.nextAt();
      let timeout = Math.max(0, Math.min(this.housekeepingMs, this.nodeTimerSlackMs - (performance.now() - lastTurn))) * 1e6;
      if (timerAt !== undefined) timeout = Math.max(0, Math.min(timeout, Number(timerAt - nowNs())));
      const woken = this.reader.block(timeout);
      busySince = performance.now();
      if (!this.reader.ready()) {
        // Woken with nothing to read: Node's I/O, a ring that found nothing (a journal's first
        // page, a cleared journal: look now), or the timeout (Node's timers, housekeeping).
        this.housekeepIfDue(woken);
        await turn();
      }
    }
  }

  /** 'loop': callback-driven; sleeps in Node's event loop between events. */
  private runOnEventLoop(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let scheduled = false;
      const housekeeping = setInterval(() => {
        this.housekeepIfDue(false);
        schedule();
      }, this.housekeepingMs);
      const finish = () => {
        clearInterval(housekeeping);
        clearTimeout(timer);
        this.wakeLoop = undefined;
        this.reader.listen(() => {});
        resolve();
      };
      const schedule = () => {
        if (scheduled) return;
        scheduled = true;
        setImmediate(pump);
      };
      const pump = () => {
        scheduled = false;
        try {
          if (this.stopped) return finish();
          const n = this.drain(this.batch);
          if (this.stopped) return finish();
          if (n >= this.batch) return schedule();
          // Spin briefly (a burst often continues), then sleep unless a frame came meanwhile.
          if (this.spinFor(this.spinMs) || !this.reader.arm()) return schedule();
          // Asleep: a ring, a timer, or housekeeping wakes us.
          clearTimeout(timer);
          const timerAt = this.timers.nextAt();
          const pollMs = this.reader.polling ? POLL_INTERVAL_MS : undefined;
          const dueMs = timerAt === undefined ? undefined : Math.max(0, Number(timerAt - nowNs()) / 1e6);
          const waitMs = dueMs === undefined ? pollMs : pollMs === undefined ? dueMs : Math.min(dueMs, pollMs);
          timer = waitMs === undefined ? undefined : setTimeout(schedule, Math.ceil(waitMs));
        } catch (err) {
          clearInterval(housekeeping);
          clearTimeout(timer);
          reject(err);
        }
      };
      this.wakeLoop = schedule;
      this.reader.listen(() => {
        // A ring that found nothing: maybe a journal appeared or was cleared.
        if (!this.reader.ready()) this.housekeepIfDue(true);
        // Straight from the ring's callback: a setImmediate here would cost a loop phase.
        if (!scheduled) pump();
      });
      schedule();
    });
  }
}

/** Resolves after Node's event loop went through one more full iteration (its poll phase included). */
function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** Follows journals until the signal aborts: a frame handler on an EventLoop, for tools and tests. */
export async function follow(reader: JournalReader, onFrame: (frame: Frame) => void, opts: { signal?: AbortSignal; mode?: WaitMode } = {}): Promise<void> {
  const loop = new EventLoop({ reader, mode: opts.mode ?? 'loop' });
  loop.onFrame(onFrame);
  await loop.run(opts.signal);
}
