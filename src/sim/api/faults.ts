/**
 * Fault injection for tests of the gateways' recovery, on the simulator's own port under /admin
 * (loopback clients only):
 *
 *   POST /admin/drop-connections            close every WebSocket (streams and WS API)
 *   POST /admin/server-shutdown             send serverShutdown on every WebSocket
 *   POST /admin/pause-stream?stream=S&ms=N  hold stream S for N ms (its messages are dropped)
 *   POST /admin/skip-depth?symbol=SYM       the next depth diff of SYM leaves out one update id
 *   POST /admin/fail?count=N&status=503     answer the next N REST requests with that status
 *   POST /admin/delay?count=N&ms=M          delay the next N REST responses by M ms
 *   POST /admin/reset                       forget every pending fault
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FaultTargets {
  dropConnections(): void;
  serverShutdown(): void;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export class Faults {
  private failures: { count: number; status: number } = { count: 0, status: 503 };
  private delays: { count: number; ms: number } = { count: 0, ms: 0 };
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
  takeDelay(): number {
    if (this.delays.count <= 0) return 0;
    this.delays.count--;
    return this.delays.ms;
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

  /** Handles /admin/...; false for other paths. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (!url.pathname.startsWith('/admin/')) return false;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return reply(403, { error: 'the admin endpoint answers loopback clients only' }), true;
    if (req.method !== 'POST') return reply(405, { error: 'use POST' }), true;
    const num = (name: string, fallback: number) => {
      const v = Number(url.searchParams.get(name) ?? fallback);
      return Number.isFinite(v) && v >= 0 ? v : fallback;
    };
    switch (url.pathname) {
      case '/admin/drop-connections':
        this.targets?.dropConnections();
        break;
      case '/admin/server-shutdown':
        this.targets?.serverShutdown();
        break;
      case '/admin/pause-stream': {
        const stream = url.searchParams.get('stream');
        if (!stream) return reply(400, { error: 'stream=<name> is required' }), true;
        this.paused.set(stream, this.now() + num('ms', 5000));
        break;
      }
      case '/admin/skip-depth': {
        const symbol = url.searchParams.get('symbol');
        if (!symbol) return reply(400, { error: 'symbol=<SYMBOL> is required' }), true;
        this.skips.add(symbol.toUpperCase());
        break;
      }
      case '/admin/fail':
        this.failures = { count: num('count', 1), status: num('status', 503) };
        break;
      case '/admin/delay':
        this.delays = { count: num('count', 1), ms: num('ms', 1000) };
        break;
      case '/admin/reset':
        this.failures = { count: 0, status: 503 };
        this.delays = { count: 0, ms: 0 };
        this.paused.clear();
        this.skips.clear();
        break;
      default:
        return reply(404, { error: `no such fault: ${url.pathname}` }), true;
    }
    reply(200, { ok: true });
    return true;
  }
}
