/**
 * The market-stream side of the gateway: the set of streams wanted, spread over connections of at
 * most 1024 streams (Binance's limit), each connection with its own control-message budget
 * (connection.ts). It owns reconnects and switch-overs, never the data:
 *
 * - a connection that drops or goes silent is replaced after a jittered exponential backoff
 *   (500 ms doubling to 15 s), every stream resubscribed (in the new connection's URL);
 * - connection attempts stay under Binance's 300 per 5 minutes per IP (we allow ourselves 250);
 * - before the 24 h cut, and on `serverShutdown`, a replacement is opened first and the old
 *   connection closed only once the new one delivers (or after `switchTimeoutMs`): no gap, the
 *   owner drops what both deliver twice (by update and trade ids);
 * - a run of failed attempts is logged once (then only when the cause changes) and once more
 *   when a connection is up again.
 */
import { plural } from '../../../util/plural.js';
import type { Logger } from '../../../util/log.js';
import { DEFAULT_TIMING, StreamConnection, type ConnectionHandlers, type ConnectionTiming } from './connection.js';

export interface FeedOptions {
  /** e.g. wss://stream.binance.com:9443 */
  base: string;
  log: Logger;
  maxStreamsPerConnection?: number;
  /** Renew a connection this long after it opened (Binance cuts at 24 h). */
  maxAgeMs?: number;
  switchTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  timing?: Partial<ConnectionTiming>;
  events: FeedEvents;
}

export interface FeedEvents {
  data(stream: string, data: unknown, receivedAt: bigint): void;
  /** A frame's bytes, before they are parsed: true if taken (the hot path), else it comes as data(). */
  fast?(buf: Buffer, start: number, end: number, receivedAt: bigint): boolean;
  /** These streams flow again (a new connection, not a switch-over): books must start over. */
  up(streams: readonly string[]): void;
  /** These streams stopped (their connection dropped; none if it never opened): `cause`. */
  down(streams: readonly string[], cause: string): void;
  refused(streams: readonly string[], code: number, msg: string): void;
  bad(kind: string, message: string): void;
}

const ATTEMPT_WINDOW_MS = 5 * 60_000;
const MAX_ATTEMPTS = 250;

interface Slot {
  /** The connection that carries the slot's streams (or is being connected). */
  conn: StreamConnection;
  /** A connection replacing it (renewal, serverShutdown), until it delivers. */
  next?: StreamConnection;
  failures: number;
  retry?: NodeJS.Timeout;
  renew?: NodeJS.Timeout;
  switchTimer?: NodeJS.Timeout;
  /** The cause of the current run of failures, once logged. */
  failing?: string;
}

export class Feed {
  private readonly slots: Slot[] = [];
  private readonly attempts: number[] = [];
  private readonly timing: ConnectionTiming;
  private readonly maxStreams: number;
  private stopped = false;

  constructor(private readonly opts: FeedOptions) {
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.maxStreams = opts.maxStreamsPerConnection ?? 1024;
  }

  /** Streams carried or wanted now. */
  get streams(): Set<string> {
    const all = new Set<string>();
    for (const s of this.slots) for (const name of s.conn.streams) all.add(name);
    return all;
  }

  /** Whether every slot has an open connection. */
  get connected(): boolean {
    return this.slots.every((s) => s.conn.opened || s.next?.opened);
  }

  get connectionCount(): number {
    return this.slots.length;
  }

  /** Makes the streams carried equal `wanted`: unsubscribes the rest, subscribes the new ones where there is room. */
  set(wanted: ReadonlySet<string>): void {
    if (this.stopped) return;
    for (const slot of [...this.slots]) {
      const gone = [...slot.conn.streams].filter((s) => !wanted.has(s));
      if (gone.length === 0) continue;
      slot.conn.unsubscribe(gone);
      slot.next?.unsubscribe(gone);
      if (slot.conn.streams.size === 0) this.drop(slot);
    }
    const have = this.streams;
    const fresh = [...wanted].filter((s) => !have.has(s));
    for (const slot of this.slots) {
      if (fresh.length === 0) break;
      const room = this.maxStreams - slot.conn.streams.size;
      if (room <= 0) continue;
      const take = fresh.splice(0, room);
      slot.conn.subscribe(take);
      slot.next?.subscribe(take);
    }
    while (fresh.length > 0) this.open(fresh.splice(0, this.maxStreams));
  }

  private handlers(slot: Slot): ConnectionHandlers {
    const current = (c: StreamConnection) => slot.conn === c || slot.next === c;
    return {
      open: (c) => {
        if (!current(c)) return;
        if (slot.failing !== undefined) this.opts.log.info(`market streams: connected to ${c.url} again after ${plural(slot.failures, 'failed attempt')}`);
        else this.opts.log.info(`market streams: connected to ${c.url} (${c.streams.size} streams)`);
        slot.failing = undefined;
        this.scheduleRenewal(slot, c);
        if (slot.conn === c) this.opts.events.up([...c.streams]);
      },
      fast: (c, buf, start, end, at) => {
        const fast = this.opts.events.fast;
        if (!fast || !current(c) || !fast(buf, start, end, at)) return false;
        this.delivered(slot, c);
        return true;
      },
      data: (c, stream, data, at) => {
        if (!current(c)) return;
        this.delivered(slot, c);
        this.opts.events.data(stream, data, at);
      },
      refused: (c, method, streams, code, msg) => {
        if (!current(c)) return;
        this.opts.log.error(`market streams: Binance refused ${method} ${streams.slice(0, 5).join(', ')}${streams.length > 5 ? ', ...' : ''}: ${msg} (code ${code})`);
        if (method === 'SUBSCRIBE') {
          slot.conn.unsubscribe(streams);
          this.opts.events.refused(streams, code, msg);
        }
      },
      serverShutdown: (c) => {
        if (slot.conn !== c || slot.next) return;
        this.opts.log.info(`market streams: serverShutdown on ${c.url}: opening a replacement connection first`);
        this.replace(slot);
      },
      bad: (c, kind, message) => {
        if (current(c)) this.opts.events.bad(kind, message);
      },
      closed: (c, cause) => {
        if (cause === undefined || this.stopped) return;
        if (slot.next === c) {
          slot.next = undefined; // the replacement failed: the old one still runs; try again later
          this.opts.log.warn(`market streams: the replacement connection failed (${cause}); keeping the current one`);
          return;
        }
        if (slot.conn !== c) return;
        if (slot.next?.opened) return this.switchOver(slot); // the old one went first: the new one is there
        this.failed(slot, c, cause);
      },
    };
  }

  /** A connection delivered a message: its run of failures is over; a replacement takes over. */
  private delivered(slot: Slot, c: StreamConnection): void {
    if (slot.conn === c) slot.failures = 0;
    else if (slot.next === c && c.messages <= 1) this.switchOver(slot);
  }

  private open(streams: string[]): void {
    const slot = { failures: 0 } as Slot;
    slot.conn = new StreamConnection(this.opts.base, streams, this.timing, this.handlers(slot), this.opts.log);
    this.slots.push(slot);
    this.attempt(slot, slot.conn);
  }

  /** Connects now if the attempt budget allows, else when it does. */
  private attempt(slot: Slot, conn: StreamConnection): void {
    const now = Date.now();
    while (this.attempts.length > 0 && now - this.attempts[0]! > ATTEMPT_WINDOW_MS) this.attempts.shift();
    if (this.attempts.length >= MAX_ATTEMPTS) {
      const wait = this.attempts[0]! + ATTEMPT_WINDOW_MS - now;
      this.opts.log.warn(`market streams: ${MAX_ATTEMPTS} connection attempts in 5 minutes (Binance allows 300 per IP): waiting ${Math.ceil(wait / 1000)} s`);
      slot.retry = setTimeout(() => this.attempt(slot, conn), wait);
      return;
    }
    this.attempts.push(now);
    conn.connect();
  }

  private failed(slot: Slot, c: StreamConnection, cause: string): void {
    const wasOpen = c.opened;
    clearTimeout(slot.renew);
    slot.failures++;
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 500, maxMs: 15_000 };
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(slot.failures - 1, 20));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    // One line per run of failures (and when the cause changes), not one per attempt.
    const what = cause.replace(/\d+ s\b/, 'N s');
    if (slot.failing !== what) {
      slot.failing = what;
      this.opts.log.warn(`market streams: ${wasOpen ? 'lost' : 'cannot connect to'} ${c.url}: ${cause}; reconnecting with backoff (${delay} ms, up to ${Math.round(maxMs / 1000)} s; said once until it connects)`);
    } else this.opts.log.debug(`market streams: attempt ${slot.failures} to ${c.url} failed (${cause}); next in ${delay} ms`);
    const next = new StreamConnection(this.opts.base, c.streams, this.timing, this.handlers(slot), this.opts.log);
    slot.conn = next;
    slot.retry = setTimeout(() => this.attempt(slot, next), delay);
    this.opts.events.down(wasOpen ? [...c.streams] : [], cause);
  }

  private scheduleRenewal(slot: Slot, c: StreamConnection): void {
    clearTimeout(slot.renew);
    const maxAge = this.opts.maxAgeMs ?? 23 * 3600_000 + 50 * 60_000;
    slot.renew = setTimeout(() => {
      if (slot.conn !== c || slot.next) return;
      this.opts.log.info(`market streams: renewing ${c.url} before Binance's 24 h cut`);
      this.replace(slot);
    }, maxAge);
  }

  /** Opens a connection with the same streams; switchOver() retires the old one. */
  private replace(slot: Slot): void {
    const next = new StreamConnection(this.opts.base, slot.conn.streams, this.timing, this.handlers(slot), this.opts.log);
    slot.next = next;
    this.attempt(slot, next);
    clearTimeout(slot.switchTimer);
    slot.switchTimer = setTimeout(() => {
      if (slot.next === next && next.opened) this.switchOver(slot);
    }, this.opts.switchTimeoutMs ?? 5000);
  }

  private switchOver(slot: Slot): void {
    const next = slot.next;
    if (!next) return;
    clearTimeout(slot.switchTimer);
    const old = slot.conn;
    slot.conn = next;
    slot.next = undefined;
    this.opts.log.info(`market streams: switched to a new connection (${next.streams.size} streams)`);
    old.close();
  }

  private drop(slot: Slot): void {
    this.slots.splice(this.slots.indexOf(slot), 1);
    clearTimeout(slot.retry);
    clearTimeout(slot.renew);
    clearTimeout(slot.switchTimer);
    slot.conn.close();
    slot.next?.close();
  }

  close(): void {
    this.stopped = true;
    for (const slot of [...this.slots]) this.drop(slot);
  }
}
