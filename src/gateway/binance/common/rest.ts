/**
 * Binance's REST API as the gateways use it: signed and unsigned calls, the server's clock, the
 * request-weight and order-count limits, and every outcome classified (errors.ts).
 *
 * - Time: `syncTime()` measures the offset to the server's clock (GET /api/v3/time, halfway through
 *   the round trip); signed requests use it, and a -1021 (outside recvWindow) resyncs and retries
 *   once: Binance refused the request, so nothing happened the first time.
 * - Limits: X-MBX-USED-WEIGHT-1M and X-MBX-ORDER-COUNT-10S/-1D are tracked from every answer;
 *   `budgetDelayMs` says how long to hold back to stay under 90% of a limit; after a 429 every
 *   request waits Retry-After (reads) or is refused at once (orders); after a 418 nothing is sent
 *   until the ban ends.
 * - Params go in the query string (signature last), as Binance's own clients send them.
 */
import type { Logger } from '../../../util/log.js';
import type { Credentials } from './credentials.js';
import { BinanceApiError, RateLimited, TIMESTAMP_OUTSIDE_RECV_WINDOW, UNKNOWN_OUTCOME_CODES, UnknownOutcome, Unreachable } from './errors.js';
import { HttpFailure, httpJson, type HttpAnswer } from './http.js';

export type Params = Record<string, string | number | boolean | undefined>;

export interface RestOptions {
  /** Base URL, e.g. https://api.binance.com */
  base: string;
  credentials?: Credentials;
  /** recvWindow for signed requests (ms, default 5000, at most 60000). */
  recvWindow?: number;
  /** Deadline per request (default 10 s: Binance times out its backend at 10 s). */
  timeoutMs?: number;
  log: Logger;
  /** Wall clock in ms (tests). */
  now?: () => number;
}

export interface Usage {
  weight1m: number;
  orders10s: number;
  orders1d: number;
  /** When the figures were read (local ms). */
  at: number;
}

export interface Limits {
  weightPerMinute: number;
  ordersPer10s: number;
  ordersPerDay: number;
}

export interface CallOptions {
  signed?: boolean;
  /** An order request: never retried, never delayed past a ban (refused instead). */
  order?: boolean;
  timeoutMs?: number;
}

/** What an answer's body can be: Binance's error shape, or anything else. */
interface ErrorBody {
  code?: unknown;
  msg?: unknown;
}


/** The longest pause or ban the client takes from a Retry-After or retryAfter. */
const MAX_PAUSE_MS = 24 * 3600_000;
export class BinanceRest {
  /** Server clock minus local clock, ms. */
  offsetMs = 0;
  readonly usage: Usage = { weight1m: 0, orders10s: 0, orders1d: 0, at: 0 };
  limits: Limits = { weightPerMinute: 6000, ordersPer10s: 100, ordersPerDay: 200_000 };
  /** No request before this time (ms): a 429's Retry-After or a 418 ban. */
  private blockedUntil = 0;
  private blockedStatus: 429 | 418 | 0 = 0;
  private readonly now: () => number;

  constructor(private readonly opts: RestOptions) {
    this.now = opts.now ?? Date.now;
    const rw = opts.recvWindow ?? 5000;
    if (!(Number.isInteger(rw) && rw > 0 && rw <= 60_000)) throw new RangeError(`recvWindow ${rw} must be a whole number of ms from 1 to 60000`);
  }

  get base(): string {
    return this.opts.base;
  }

  /** Whether a 418 ban is in force, and until when. */
  get ban(): { until: number } | undefined {
    return this.blockedStatus === 418 && this.now() < this.blockedUntil ? { until: this.blockedUntil } : undefined;
  }

  /** Measures the offset to the server's clock; returns it (ms). */
  async syncTime(): Promise<number> {
    const t0 = this.now();
    const { serverTime } = await this.call<{ serverTime: number }>('GET', '/api/v3/time');
    const t1 = this.now();
    if (typeof serverTime !== 'number' || !Number.isFinite(serverTime)) throw new BinanceApiError(0, 'GET /api/v3/time: no serverTime in the answer', 200);
    this.offsetMs = Math.round(serverTime - (t0 + t1) / 2);
    return this.offsetMs;
  }

  /** Milliseconds to hold back a request of `weight` (or an order) to stay under 90% of a limit. */
  budgetDelayMs(weight: number, order = false): number {
    const now = this.now();
    if (now < this.blockedUntil) return this.blockedUntil - now;
    const minuteLeft = 60_000 - ((now + this.offsetMs) % 60_000);
    if (Math.floor((now + this.offsetMs) / 60_000) === Math.floor((this.usage.at + this.offsetMs) / 60_000) && this.usage.weight1m + weight > this.limits.weightPerMinute * 0.9) return minuteLeft;
    if (order) {
      const tenLeft = 10_000 - ((now + this.offsetMs) % 10_000);
      if (Math.floor((now + this.offsetMs) / 10_000) === Math.floor((this.usage.at + this.offsetMs) / 10_000) && this.usage.orders10s + 1 > this.limits.ordersPer10s * 0.9) return tenLeft;
    }
    return 0;
  }

  /**
   * One request. Reads wait out a 429's Retry-After first; orders are refused at once while
   * blocked (the caller decides). Resolves with the parsed JSON body.
   */
  async call<T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, params: Params = {}, opts: CallOptions = {}): Promise<T> {
    const blocked = this.blockedUntil - this.now();
    if (blocked > 0) {
      if (opts.order || this.blockedStatus === 418) throw this.blockedError();
      await new Promise((r) => setTimeout(r, blocked));
    }
    try {
      return await this.once<T>(method, path, params, opts);
    } catch (err) {
      if (!(err instanceof BinanceApiError) || err.code !== TIMESTAMP_OUTSIDE_RECV_WINDOW || !opts.signed) throw err;
      const before = this.offsetMs;
      await this.syncTime();
      this.opts.log.warn(`Binance said our clock is off (-1021): resynced, offset ${before} -> ${this.offsetMs} ms; retrying ${method} ${path} once`);
      return await this.once<T>(method, path, params, opts);
    }
  }

  /**
   * Usage figures read elsewhere (the WS API's `rateLimits`): the same budget covers both APIs,
   * since Binance counts request weight per IP and orders per account across them.
   */
  noteUsage(u: Partial<Omit<Usage, 'at'>>): void {
    this.usage.at = this.now();
    if (u.weight1m !== undefined) this.usage.weight1m = u.weight1m;
    if (u.orders10s !== undefined) this.usage.orders10s = u.orders10s;
    if (u.orders1d !== undefined) this.usage.orders1d = u.orders1d;
  }

  /** A 429 or 418 seen elsewhere (the WS API): nothing more is sent before `until` (ms). */
  block(status: 429 | 418, untilAsked: number, msg: string): RateLimited {
    // The exchange's word, within reason: a pause of at most a day (a bad value must not overflow timers or dates).
    const until = Number.isFinite(untilAsked) ? Math.min(untilAsked, this.now() + MAX_PAUSE_MS) : this.now() + 1000;
    const banned = this.blockedStatus === 418 && this.now() < this.blockedUntil;
    this.blockedUntil = Math.max(this.blockedUntil, until);
    if (!banned) this.blockedStatus = status;
    if (status === 418) this.opts.log.error(`Binance banned this IP until ${new Date(this.blockedUntil).toISOString()} (418 ${msg}): no requests until then`);
    else this.opts.log.warn(`Binance rate limit (429 ${msg}): pausing requests until ${new Date(this.blockedUntil).toISOString()}`);
    return this.blockedError();
  }

  /**
   * Why an order must not be sent now, if it must not: a 429 pause or 418 ban in force, or the
   * order-count limits of the current windows used up (Binance would refuse it with -1015).
   */
  orderRefusal(): RateLimited | undefined {
    const now = this.now();
    if (now < this.blockedUntil) return this.blockedError();
    const window = (ms: number) => Math.floor((now + this.offsetMs) / ms) === Math.floor((this.usage.at + this.offsetMs) / ms);
    if (window(10_000) && this.usage.orders10s + 1 > this.limits.ordersPer10s) {
      const until = (Math.floor((now + this.offsetMs) / 10_000) + 1) * 10_000 - this.offsetMs;
      return new RateLimited(`order limit reached (${this.usage.orders10s} of ${this.limits.ordersPer10s} orders in 10 s): not sent before ${new Date(until).toISOString()}`, 429, until, -1015);
    }
    if (window(86_400_000) && this.usage.orders1d + 1 > this.limits.ordersPerDay) {
      const until = (Math.floor((now + this.offsetMs) / 86_400_000) + 1) * 86_400_000 - this.offsetMs;
      return new RateLimited(`daily order limit reached (${this.usage.orders1d} of ${this.limits.ordersPerDay}): not sent before ${new Date(until).toISOString()}`, 429, until, -1015);
    }
    return undefined;
  }

  /** The current 429 pause or 418 ban, if any. */
  get blocked(): { status: 429 | 418; until: number } | undefined {
    return this.blockedStatus !== 0 && this.now() < this.blockedUntil ? { status: this.blockedStatus, until: this.blockedUntil } : undefined;
  }

  private blockedError(): RateLimited {
    const until = new Date(this.blockedUntil).toISOString();
    return this.blockedStatus === 418
      ? new RateLimited(`Binance banned this IP until ${until} (418): no requests until then`, 418, this.blockedUntil, -1003)
      : new RateLimited(`Binance rate limit (429): requests paused until ${until}`, 429, this.blockedUntil, -1003);
  }

  private query(params: Params, signed: boolean): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, String(v));
    if (!signed) return q.toString();
    const credentials = this.opts.credentials;
    if (!credentials) throw new Error('a signed Binance request needs credentials');
    if (!q.has('recvWindow') && this.opts.recvWindow !== undefined) q.append('recvWindow', String(this.opts.recvWindow));
    q.append('timestamp', String(this.now() + this.offsetMs));
    const payload = q.toString();
    return `${payload}&signature=${encodeURIComponent(credentials.sign(payload))}`;
  }

  private async once<T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT', path: string, params: Params, opts: CallOptions): Promise<T> {
    const query = this.query(params, opts.signed ?? false);
    const url = `${this.opts.base}${path}${query ? `?${query}` : ''}`;
    const headers: Record<string, string> = {};
    if (this.opts.credentials) headers['X-MBX-APIKEY'] = this.opts.credentials.apiKey;
    let answer: HttpAnswer;
    try {
      answer = await httpJson({ method, url, headers, timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs ?? 10_000 });
    } catch (err) {
      if (err instanceof HttpFailure && !err.sent) throw new Unreachable(`${method} ${path}: cannot reach ${this.opts.base} (${err.code})`);
      throw new UnknownOutcome(`${(err as Error).message}: the outcome is unknown`); // the message names method and path
    }
    this.readUsage(answer);
    return this.interpret<T>(method, path, answer);
  }

  private readUsage(a: HttpAnswer): void {
    const num = (h: string) => {
      const v = a.headers[h];
      const n = typeof v === 'string' ? Number(v) : NaN;
      return Number.isFinite(n) && n >= 0 ? n : undefined;
    };
    const weight = num('x-mbx-used-weight-1m');
    const o10 = num('x-mbx-order-count-10s');
    const o1d = num('x-mbx-order-count-1d');
    if (weight === undefined && o10 === undefined && o1d === undefined) return;
    this.usage.at = this.now();
    if (weight !== undefined) this.usage.weight1m = weight;
    if (o10 !== undefined) this.usage.orders10s = o10;
    if (o1d !== undefined) this.usage.orders1d = o1d;
  }

  private interpret<T>(method: string, path: string, a: HttpAnswer): T {
    let body: unknown;
    try {
      body = a.text === '' ? undefined : JSON.parse(a.text);
    } catch {
      body = undefined;
    }
    if (a.status >= 200 && a.status < 300) {
      if (body === undefined) throw new UnknownOutcome(`${method} ${path}: HTTP ${a.status} with a body that is not JSON: the outcome is unknown`);
      return body as T;
    }
    const e = (typeof body === 'object' && body !== null ? body : {}) as ErrorBody;
    const code = typeof e.code === 'number' ? e.code : 0;
    const msg = typeof e.msg === 'string' ? e.msg.slice(0, 300).replace(/\s+/g, ' ') : `HTTP ${a.status}${a.text ? `: ${a.text.slice(0, 100).replace(/\s+/g, ' ')}` : ''}`;
    if (a.status === 429 || a.status === 418) {
      const retryAfter = Number(a.headers['retry-after']);
      const waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : a.status === 418 ? 120_000 : 1000;
      throw this.block(a.status, this.now() + waitMs, msg);
    }
    if (a.status >= 500 || UNKNOWN_OUTCOME_CODES.has(code)) throw new UnknownOutcome(`${method} ${path}: ${msg}: the outcome is unknown`, code || -1006);
    throw new BinanceApiError(code, msg, a.status);
  }
}
