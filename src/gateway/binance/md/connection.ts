/**
 * One WebSocket connection to Binance's combined market streams (`/stream?streams=...`), for one
 * attempt: a new attempt is a new object (tardis-node), so nothing of a dead socket (a late reply,
 * a timer) can touch its successor; every callback checks it is still the live one.
 *
 * It answers pings with the same payload (ws-client.ts does, as Binance asks), notices silence
 * (no frame of any kind for `silentMs`: it pings after `pingAfterMs` of quiet, so a live server
 * always has something to say), and sends control messages (SUBSCRIBE/UNSUBSCRIBE) no faster than
 * one per `controlIntervalMs`: Binance closes a connection past 5 incoming messages a second, and
 * pongs and pings count, so 350 ms leaves room for both.
 */
import type { Logger } from '../../../util/log.js';
import { classifyMessage, MappingError } from './mapping.js';
import { WsClient } from '../common/ws-client.js';
import { Activity } from './activity.js';

export interface ConnectionTiming {
  silentMs: number;
  pingAfterMs: number;
  controlIntervalMs: number;
  /** Handshake deadline. */
  connectTimeoutMs: number;
}

export const DEFAULT_TIMING: ConnectionTiming = { silentMs: 10_000, pingAfterMs: 3_000, controlIntervalMs: 350, connectTimeoutMs: 10_000 };

/** Market data messages are small; Binance's largest (a 1000-level partial book) is far below this. */
const MAX_PAYLOAD = 4 * 1024 * 1024;
/** Streams named in the URL at connect (the rest by SUBSCRIBE): keeps the request line short. */
const URL_BUDGET = 4000;

export interface ConnectionHandlers {
  open(c: StreamConnection): void;
  /** The hot path: a frame read straight from its bytes; false sends it the general way (data). */
  fast(c: StreamConnection, buf: Buffer, start: number, end: number, receivedAt: bigint): boolean;
  data(c: StreamConnection, stream: string, data: unknown, receivedAt: bigint): void;
  /** Binance refused a control request (e.g. an unknown stream). */
  refused(c: StreamConnection, method: string, streams: string[], code: number, msg: string): void;
  serverShutdown(c: StreamConnection): void;
  /** A message we could not read: logged once per kind by the owner. */
  bad(c: StreamConnection, kind: string, message: string): void;
  /** The connection ended; `cause` is why (undefined when we closed it). */
  closed(c: StreamConnection, cause: string | undefined): void;
}

let nextId = 1;

export class StreamConnection {
  readonly id = nextId++;
  /** Streams this connection should carry (what it asked for or will). */
  readonly streams = new Set<string>();
  opened = false;
  openedAt = 0;
  /** Data messages received (counting stops at 2^30): the first one tells a replacement is really flowing. */
  messages = 0;
  private ws: WsClient | undefined;
  private closing = false;
  /** Frames from the server: counted per message (a clock read per message is a heap number per message), dated by the tick. */
  private readonly inbound = new Activity(Date.now());
  private pinged = false;
  private readonly toSubscribe = new Set<string>();
  private readonly toUnsubscribe = new Set<string>();
  private readonly pending = new Map<number, { method: string; streams: string[] }>();
  private nextRequest = 1;
  private lastControl = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly base: string,
    initial: Iterable<string>,
    private readonly timing: ConnectionTiming,
    private readonly handlers: ConnectionHandlers,
    private readonly log: Logger,
  ) {
    for (const s of initial) this.streams.add(s);
  }

  get url(): string {
    return `${this.base.replace(/\/+$/, '')}/stream`;
  }

  connect(): void {
    // The URL carries the streams wanted now; what does not fit is subscribed once open.
    this.toSubscribe.clear();
    this.toUnsubscribe.clear();
    let query = '';
    for (const s of this.streams) {
      if (query.length + s.length + 1 > URL_BUDGET) this.toSubscribe.add(s);
      else query += (query ? '/' : '') + s;
    }
    const url = query ? `${this.url}?streams=${query}` : this.url;
    this.log.debug(`market streams: connecting [${this.id}] ${url}`);
    this.inbound.touch(Date.now());
    this.ws = new WsClient(url, { maxPayload: MAX_PAYLOAD, handshakeTimeoutMs: this.timing.connectTimeoutMs }, {
      open: () => {
        if (this.closing) return;
        this.opened = true;
        this.openedAt = Date.now();
        this.inbound.touch(this.openedAt);
        this.timer = setInterval(() => this.tick(), Math.min(250, this.timing.controlIntervalMs));
        this.handlers.open(this);
      },
      message: (buf, start, end, binary, at) => this.onMessage(buf, start, end, binary, at),
      ping: () => this.inbound.touch(Date.now()),
      pong: () => this.inbound.touch(Date.now()),
      close: (code, reason, error, status) => {
        if (status !== undefined) this.end(`the server answered HTTP ${status} instead of a WebSocket upgrade: is ${this.base} Binance's market stream endpoint?`);
        else if (error !== undefined) this.end(error);
        else this.end(`closed by the server (${code}${reason ? ` ${reason.slice(0, 100)}` : ''})`);
      },
    });
  }

  private onMessage(buf: Buffer, start: number, end: number, isBinary: boolean, receivedAt: bigint): void {
    if (this.closing) return;
    this.inbound.note();
    this.pinged = false;
    if (isBinary) return this.handlers.bad(this, 'binary frame', 'a binary frame on a JSON stream connection');
    if (this.log.isLevelEnabled('trace')) this.log.trace(`<- [${this.id}] ${buf.toString('utf8', start, Math.min(end, start + 2000))}${end - start > 2000 ? '...' : ''}`);
    if (this.handlers.fast(this, buf, start, end, receivedAt)) {
      if (this.messages < 0x3fffffff) this.messages++;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8', start, end));
    } catch (err) {
      return this.handlers.bad(this, 'malformed JSON', `malformed JSON from the stream: ${(err as Error).message}`);
    }
    let msg;
    try {
      msg = classifyMessage(value);
    } catch (err) {
      if (err instanceof MappingError) return this.handlers.bad(this, err.kind, err.message);
      throw err;
    }
    switch (msg.type) {
      case 'data':
        if (this.messages < 0x3fffffff) this.messages++;
        this.handlers.data(this, msg.stream, msg.data, receivedAt);
        return;
      case 'serverShutdown':
        this.handlers.serverShutdown(this);
        return;
      case 'reply': {
        const request = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
        if (request) this.pending.delete(msg.id as number);
        if (!msg.ok) this.handlers.refused(this, request?.method ?? 'a request', request?.streams ?? [], msg.code, msg.msg);
        return;
      }
    }
  }

  /** Asks for more streams (sent at the control rate). */
  subscribe(streams: Iterable<string>): void {
    for (const s of streams) {
      this.streams.add(s);
      if (!this.toUnsubscribe.delete(s)) this.toSubscribe.add(s);
    }
  }

  unsubscribe(streams: Iterable<string>): void {
    for (const s of streams) {
      this.streams.delete(s);
      if (!this.toSubscribe.delete(s)) this.toUnsubscribe.add(s);
    }
  }

  /** Every timer tick: liveness, then at most one control message. */
  private tick(): void {
    const ws = this.ws;
    if (!ws || this.closing || !this.opened) return;
    const now = Date.now();
    const quiet = now - this.inbound.last(now);
    if (quiet >= this.timing.silentMs) {
      this.end(`silent for ${Math.round(quiet / 1000)} s (no data, no ping, no pong)`);
      ws.terminate();
      return;
    }
    if (now - this.lastControl < this.timing.controlIntervalMs) return;
    if (quiet >= this.timing.pingAfterMs && !this.pinged) {
      this.pinged = true;
      this.lastControl = now;
      ws.ping();
      return;
    }
    const batch = this.toSubscribe.size > 0 ? this.toSubscribe : this.toUnsubscribe;
    if (batch.size === 0) return;
    const method = batch === this.toSubscribe ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
    const streams = [...batch].slice(0, 200);
    for (const s of streams) batch.delete(s);
    const id = this.nextRequest++;
    this.pending.set(id, { method, streams });
    this.lastControl = now;
    const text = JSON.stringify({ method, params: streams, id });
    this.log.debug(`-> [${this.id}] ${text}`);
    ws.send(text);
  }

  /** Closes it on purpose (no `closed` cause). */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.stopTimers();
    if (this.opened) this.ws?.close(1000);
    else this.ws?.terminate();
    this.handlers.closed(this, undefined);
  }

  private end(cause: string): void {
    if (this.closing) return;
    this.closing = true;
    this.stopTimers();
    this.ws?.terminate();
    this.handlers.closed(this, cause);
  }

  private stopTimers(): void {
    clearInterval(this.timer);
  }
}
