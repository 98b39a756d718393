/**
 * One WebSocket API session (binance-spot.md, "User data stream (WS API)"): requests matched to
 * answers by id, signed per request (HMAC) or by a logged-on session (Ed25519 `session.logon`), the
 * user data stream's events, and every outcome classified as the REST client does (errors.ts):
 *
 * - an answer with an error: BinanceApiError (refused), RateLimited (429/418, which also pause the
 *   shared budget of `rest`), UnknownOutcome for -1006/-1007 and 5xx;
 * - the session closing, or no answer in time, with a request in flight: UnknownOutcome (an order
 *   may have reached the exchange: the caller settles it, never resends it);
 * - a request the session could not send (not open): Unreachable (nothing happened).
 *
 * A session is one connection attempt: if it cannot connect, start() rejects (Unreachable) and the
 * session is closed; once open, when it closes it stays closed and says so (`onClose`). The gateway
 * opens a new one. Each socket callback checks that it still belongs to this session.
 */
import type { Logger } from '../../../util/log.js';
import type { Credentials } from '../common/credentials.js';
import { BinanceApiError, RateLimited, TIMESTAMP_OUTSIDE_RECV_WINDOW, UNKNOWN_OUTCOME_CODES, UnknownOutcome, Unreachable } from '../common/errors.js';
import type { BinanceRest } from '../common/rest.js';
import { WsClient } from '../common/ws-client.js';

export interface WsApiOptions {
  url: string;
  credentials: Credentials;
  /** Shares the clock offset and the rate-limit budget with REST. */
  rest: BinanceRest;
  recvWindow?: number;
  log: Logger;
  /** No answer within this long: the outcome is unknown (default 15 s: Binance's backend gives up at 10 s). */
  timeoutMs?: number;
  /** A user data stream event ({subscriptionId, event}'s event). */
  onEvent(event: Record<string, unknown>): void;
  /** The session ended (dropped, closed by the server, no heartbeat); not called after close(). */
  onClose(reason: string): void;
}

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Nothing from the server for this long (it pings every 20 s): the connection is dead. */
const STALE_MS = 65_000;
/** Binance closes a connection after 24 h: renew before that. */
const RENEW_MS = 23.5 * 3600_000;
/** Answers and events larger than this are refused (the socket is closed). */
const MAX_MESSAGE = 16 * 1024 * 1024;

export class WsApiSession {
  /** Requests are framed with the zero mask, each in one write (ws-client.ts, `zeroMask`). */
  private client: WsClient | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private lastSeen = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  /** Ed25519: logged on, so requests need no signature of their own. */
  private loggedOn = false;

  constructor(private readonly opts: WsApiOptions) {}

  get open(): boolean {
    return !this.closed && this.client?.isOpen === true;
  }

  /** Connects, logs on (Ed25519) and subscribes to the user data stream. */
  async start(): Promise<void> {
    await this.connect();
    if (this.opts.credentials.keyType === 'Ed25519') {
      await this.request('session.logon', {}, { signed: true });
      this.loggedOn = true;
      await this.request('userDataStream.subscribe', {});
    } else {
      await this.request('userDataStream.subscribe.signature', {}, { signed: true });
    }
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      let opened = false;
      const client: WsClient = new WsClient(this.opts.url, { maxPayload: MAX_MESSAGE, handshakeTimeoutMs: 10_000, zeroMask: true }, {
        open: () => {
          if (this.client !== client) return;
          opened = true;
          this.lastSeen = Date.now();
          const started = Date.now();
          this.watchdog = setInterval(() => {
            if (Date.now() - this.lastSeen > STALE_MS) this.end(`nothing from the WS API for ${STALE_MS / 1000} s`, true);
            else if (Date.now() - started > RENEW_MS) this.end('renewing the WS API connection before its 24 h limit', true);
          }, 5000);
          this.watchdog.unref();
          resolve();
        },
        message: (buf, start, end, binary) => {
          if (this.client !== client) return;
          this.lastSeen = Date.now();
          if (!binary) this.onMessage(buf.toString('utf8', start, end));
        },
        ping: () => {
          if (this.client === client) this.lastSeen = Date.now();
        },
        close: (code, _reason, error, status) => {
          if (this.client !== client) return;
          if (!opened) {
            this.closed = true; // start() rejects with why: no onClose
            if (status !== undefined) reject(new Unreachable(`the WS API at ${this.opts.url} answered HTTP ${status} to the upgrade`));
            else if (error !== undefined) reject(new Unreachable(`cannot reach the WS API at ${this.opts.url} (${error})`));
            else reject(new Unreachable(`the WS API at ${this.opts.url} closed the connection (${code})`));
            return;
          }
          this.end(`the WS API closed the connection (code ${code}${error !== undefined ? `: ${error}` : ''})`, false);
        },
      });
      this.client = client;
    });
  }

  private onMessage(text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
      if (typeof msg !== 'object' || msg === null) throw new Error('not an object');
    } catch {
      this.opts.log.warn(`WS API: a message that is not JSON (${text.length} bytes) ignored`);
      return;
    }
    if (this.opts.log.isLevelEnabled('trace')) this.opts.log.trace(`WS API < ${text.length > 2000 ? `${text.slice(0, 2000)}...` : text}`);
    if (msg.event !== undefined && typeof msg.event === 'object' && msg.event !== null) {
      const event = msg.event as Record<string, unknown>;
      if (event.e === 'serverShutdown') this.end('the WS API announced serverShutdown', true);
      else this.opts.onEvent(event);
      return;
    }
    if (Array.isArray(msg.rateLimits)) this.noteRateLimits(msg.rateLimits);
    const id = typeof msg.id === 'number' ? msg.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p) return;
    this.pending.delete(id!);
    clearTimeout(p.timer);
    if (msg.status === 200) return p.resolve(msg.result);
    p.reject(this.errorOf(p.method, msg));
  }

  private errorOf(method: string, msg: Record<string, unknown>): Error {
    const status = typeof msg.status === 'number' ? msg.status : 0;
    const e = (typeof msg.error === 'object' && msg.error !== null ? msg.error : {}) as { code?: unknown; msg?: unknown; data?: { retryAfter?: unknown } };
    const code = typeof e.code === 'number' ? e.code : 0;
    const text = typeof e.msg === 'string' ? e.msg.slice(0, 300) : `status ${status}`;
    if (status === 429 || status === 418) {
      const retryAfter = typeof e.data?.retryAfter === 'number' ? e.data.retryAfter : Date.now() + (status === 418 ? 120_000 : 1000);
      return this.opts.rest.block(status, retryAfter, text);
    }
    if (status >= 500 || UNKNOWN_OUTCOME_CODES.has(code)) return new UnknownOutcome(`${method}: ${text}: the outcome is unknown`, code || -1006);
    return new BinanceApiError(code, text, status);
  }

  private noteRateLimits(limits: unknown[]): void {
    const u: { weight1m?: number; orders10s?: number; orders1d?: number } = {};
    for (const l of limits) {
      const r = l as { rateLimitType?: unknown; interval?: unknown; intervalNum?: unknown; count?: unknown };
      if (typeof r.count !== 'number' || !Number.isFinite(r.count)) continue;
      if (r.rateLimitType === 'REQUEST_WEIGHT' && r.interval === 'MINUTE' && r.intervalNum === 1) u.weight1m = r.count;
      else if (r.rateLimitType === 'ORDERS' && r.interval === 'SECOND' && r.intervalNum === 10) u.orders10s = r.count;
      else if (r.rateLimitType === 'ORDERS' && r.interval === 'DAY') u.orders1d = r.count;
    }
    this.opts.rest.noteUsage(u);
  }

  /**
   * One request. `signed`: timestamp and signature (HMAC, or Ed25519 before logon); after an
   * Ed25519 logon the session signs for us. A -1021 (clock) resyncs and retries once: Binance
   * refused the request, so nothing happened the first time.
   */
  async request<T = unknown>(method: string, params: Record<string, string | number | boolean>, opts: { signed?: boolean; timeoutMs?: number } = {}): Promise<T> {
    try {
      return await this.send<T>(method, params, opts);
    } catch (err) {
      if (!(err instanceof BinanceApiError) || err.code !== TIMESTAMP_OUTSIDE_RECV_WINDOW) throw err;
      const before = this.opts.rest.offsetMs;
      await this.opts.rest.syncTime();
      this.opts.log.warn(`Binance said our clock is off (-1021): resynced, offset ${before} -> ${this.opts.rest.offsetMs} ms; retrying ${method} once`);
      return await this.send<T>(method, params, opts);
    }
  }

  private send<T>(method: string, params: Record<string, string | number | boolean>, opts: { signed?: boolean; timeoutMs?: number }): Promise<T> {
    const client = this.client;
    if (this.closed || client === undefined || !client.isOpen) return Promise.reject(new Unreachable(`${method}: the WS API session is not open`));
    const id = this.nextId++;
    let signed = params;
    if (opts.signed && !this.loggedOn) {
      const c = this.opts.credentials;
      signed = { ...params, apiKey: c.apiKey, timestamp: Date.now() + this.opts.rest.offsetMs };
      if (this.opts.recvWindow !== undefined) signed.recvWindow = this.opts.recvWindow;
      const keys = Object.keys(signed).sort();
      let payload = '';
      for (let i = 0; i < keys.length; i++) payload += `${i === 0 ? '' : '&'}${keys[i]}=${signed[keys[i]!]}`;
      signed.signature = c.sign(payload);
    }
    // The bytes leave first; the bookkeeping of the answer follows (nothing can answer before
    // this function returns: answers arrive on later turns of the event loop).
    client.send(JSON.stringify({ id, method, params: signed }));
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs ?? 15_000;
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new UnknownOutcome(`${method}: no answer from the WS API within ${timeoutMs} ms: the outcome is unknown`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      if (this.opts.log.isLevelEnabled('trace')) this.opts.log.trace(`WS API > ${method} #${id}${signed !== params ? ' (signed)' : ''}`);
    });
  }

  /** Ends the session: every request in flight has an unknown outcome. */
  private end(reason: string, terminate: boolean): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new UnknownOutcome(`${p.method}: the WS API session closed mid-request (${reason}): the outcome is unknown`));
      this.pending.delete(id);
    }
    if (terminate) this.client?.terminate();
    this.opts.onClose(reason);
  }

  /** Closes on purpose (stop): no onClose. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new UnknownOutcome(`${p.method}: the WS API session was closed (gateway stopping): the outcome is unknown`));
    }
    this.pending.clear();
    this.client?.close();
  }
}

export { RateLimited };
