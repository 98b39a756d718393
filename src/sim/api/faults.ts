/**
 * Fault injection for tests of the gateways' recovery, on the simulator's own port under /admin
 * (loopback clients only):
 *
 *   POST /admin/drop-connections            close every WebSocket (streams and WS API)
 *   POST /admin/server-shutdown             send serverShutdown on every WebSocket
 *   POST /admin/pause-stream?stream=S&ms=N  hold stream S for N ms (its messages are dropped)
 *   POST /admin/skip-depth?symbol=SYM       the next depth diff of SYM leaves out one update id
 *   POST /admin/fail?count=N&status=503     answer the next N REST requests with that status (429, 418 or 5xx)
 *   POST /admin/delay?count=N&ms=M[&api=ws] delay the next N REST (or WS API) responses by M ms
 *   POST /admin/reset                       forget every pending fault
 *
 * Each parameter is checked (a 400 names the bad one), and a request carrying a foreign Origin
 * header is refused: a web page open in a browser must not inject faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FaultTargets {
  dropConnections(): void;
  serverShutdown(): void;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const MAX_MS = 600_000;
const MAX_COUNT = 1_000_000;
const STREAM_NAME = /^[a-z0-9]{1,20}@[A-Za-z0-9_@:+-]{1,40}$/;
const SYMBOL = /^[A-Za-z0-9]{1,20}$/;
const MAX_PAUSED = 1024;

class AdminError extends Error {}

/** A whole number parameter within [min, max], or its default when absent. */
function whole(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null) return fallback;
  if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) throw new AdminError(`${name}=${JSON.stringify(v.slice(0, 40))}: expected a whole number from ${min} to ${max}`);
  return Number(v);
}

function text(q: URLSearchParams, name: string, re: RegExp, what: string): string {
  const v = q.get(name);
  if (v === null || !re.test(v)) throw new AdminError(`${name}=${JSON.stringify((v ?? '').slice(0, 40))}: expected ${what}`);
  return v;
}

export class Faults {
  private failures: { count: number; status: number } = { count: 0, status: 503 };
  private delays: { count: number; ms: number } = { count: 0, ms: 0 };
  private wsDelays: { count: number; ms: number } = { count: 0, ms: 0 };
  private readonly paused = new Map<string, number>();
  private readonly skips = new Set<string>();
  private targets: FaultTargets | undefined;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  connect(targets: FaultTargets): void {
    this.targets = targets;
  }

  /** The REST layer asks before answering: a status to fail with, if one is due. */
  takeFailure(): number | undefined {
    if (this.failures.count <= 0) return undefined;
    this.failures.count--;
    return this.failures.status;
  }

  /** Milliseconds to hold the next REST response, if a delay is due. */
  takeDelay(api: 'rest' | 'ws' = 'rest'): number {
    const d = api === 'ws' ? this.wsDelays : this.delays;
    if (d.count <= 0) return 0;
    d.count--;
    return d.ms;
  }

  isPaused(stream: string): boolean {
    const until = this.paused.get(stream);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.paused.delete(stream);
    return false;
  }

  /** Whether the next depth diff of `symbol` should leave out an update (asked once per diff). */
  takeSkip(symbol: string): boolean {
    return this.skips.delete(symbol);
  }

  /** Handles /admin/...; false for other paths. Every parameter is checked: a bad one is a 400 saying why. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim');
    } catch {
      return false;
    }
    if (!url.pathname.startsWith('/admin/')) return false;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return true;
    };
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return reply(403, { error: 'the admin endpoint answers loopback clients only' });
    // A page in a browser may POST here (no preflight for a simple request); it sends its Origin.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return reply(403, { error: `admin requests from origin ${JSON.stringify(origin.slice(0, 100))} are refused: fault injection is for local tools, not web pages` });
    if (req.method !== 'POST') return reply(405, { error: 'use POST' });
    try {
      this.apply(url);
    } catch (err) {
      if (err instanceof AdminError) return reply(400, { error: err.message });
      throw err;
    }
    return reply(200, { ok: true });
  }

  private apply(url: URL): void {
    const q = url.searchParams;
    switch (url.pathname) {
      case '/admin/drop-connections':
        this.targets?.dropConnections();
        return;
      case '/admin/server-shutdown':
        this.targets?.serverShutdown();
        return;
      case '/admin/pause-stream': {
        const stream = text(q, 'stream', STREAM_NAME, 'a stream name like btcusdt@trade');
        for (const [name, until] of this.paused) if (until <= this.now()) this.paused.delete(name);
        if (this.paused.size >= MAX_PAUSED && !this.paused.has(stream)) throw new AdminError(`at most ${MAX_PAUSED} streams paused at once; POST /admin/reset first`);
        this.paused.set(stream, this.now() + whole(q, 'ms', 5000, 0, MAX_MS));
        return;
      }
      case '/admin/skip-depth':
        const symbol = text(q, 'symbol', SYMBOL, 'a symbol like BTCUSDT').toUpperCase();
        if (this.skips.size >= MAX_PAUSED && !this.skips.has(symbol)) throw new AdminError(`at most ${MAX_PAUSED} symbols pending a skip; POST /admin/reset first`);
        this.skips.add(symbol);
        return;
      case '/admin/fail': {
        const count = whole(q, 'count', 1, 0, MAX_COUNT);
        const status = whole(q, 'status', 503, 400, 599);
        if (status !== 418 && status !== 429 && status < 500) throw new AdminError(`status=${status}: use 429, 418 or a 5xx status (500-599)`);
        this.failures = { count, status };
        return;
      }
      case '/admin/delay':
      {
        const delay = { count: whole(q, 'count', 1, 0, MAX_COUNT), ms: whole(q, 'ms', 1000, 0, MAX_MS) };
        const api = q.get('api') ?? 'rest';
        if (api !== 'rest' && api !== 'ws') throw new AdminError(`api=${JSON.stringify(api.slice(0, 40))}: expected rest or ws`);
        if (api === 'ws') this.wsDelays = delay;
        else this.delays = delay;
      }
        return;
      case '/admin/reset':
        this.failures = { count: 0, status: 503 };
        this.delays = { count: 0, ms: 0 };
        this.wsDelays = { count: 0, ms: 0 };
        this.paused.clear();
        this.skips.clear();
        return;
      default:
        throw new AdminError(`no such fault: ${url.pathname.slice(0, 100)} (see the README's list)`);
    }
  }
}
