/**
 * Binance market streams, served by the simulator: raw `/ws/<stream>` and combined
 * `/stream?streams=a/b` (each event wrapped as {stream, data}), with live SUBSCRIBE, UNSUBSCRIBE
 * and LIST_SUBSCRIPTIONS. Streams: `<s>@trade`, `<s>@bookTicker`, `<s>@depth[@100ms]` (diffs with
 * U/u sequencing: 1000 ms or 100 ms) and `<s>@depth<5|10|20>[@100ms]` (partial book).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Decimal } from '../../model/decimal.js';
import { amount } from './wire.js';
import type { MatchingEngine } from '../engine/engine.js';
import type { EngineEvent, PublicTrade } from '../engine/types.js';
import type { Faults } from './faults.js';
import type { Tape } from '../engine/tape.js';
import { startHeartbeat, type HeartbeatOptions } from './heartbeat.js';
import { tickerStreamEvent } from './ticker.js';

const STREAM_RE = /^([a-z0-9]+)@(trade|bookTicker|ticker|depth(?:5|10|20)?)(@100ms)?$/;

/** Depth changes gathered over one update interval. */
class DepthWindow {
  first = 0;
  last = 0;
  readonly bids = new Map<Decimal, Decimal>();
  readonly asks = new Map<Decimal, Decimal>();

  add(ev: Extract<EngineEvent, { kind: 'book' }>): void {
    if (this.first === 0) this.first = ev.updateId;
    this.last = ev.updateId;
    (ev.side === 'BUY' ? this.bids : this.asks).set(ev.price, ev.qty);
  }

  take(): { U: number; u: number; b: string[][]; a: string[][] } | undefined {
    if (this.first === 0) return undefined;
    const levels = (m: Map<Decimal, Decimal>) => [...m].map(([p, q]) => [amount(p), amount(q)]);
    const diff = { U: this.first, u: this.last, b: levels(this.bids), a: levels(this.asks) };
    this.first = 0;
    this.bids.clear();
    this.asks.clear();
    return diff;
  }
}

interface Client {
  socket: WebSocket;
  combined: boolean;
  streams: Set<string>;
}

export interface StreamsOptions {
  engine: MatchingEngine;
  now?: () => number;
  faults?: Faults;
  /** For the @ticker stream (24h statistics). */
  tape?: Tape;
  heartbeat?: HeartbeatOptions;
}

export class MarketStreams {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly clients = new Set<Client>();
  private readonly now: () => number;
  /** Per symbol: diff windows for the 100 ms and 1000 ms streams, and whether partial depth changed. */
  private readonly windows = new Map<string, { fast: DepthWindow; slow: DepthWindow; partialDirty: boolean }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private lastBest = new Map<string, string>();
  private readonly stopHeartbeat: () => void;

  constructor(private readonly opts: StreamsOptions) {
    this.now = opts.now ?? Date.now;
    for (const s of opts.engine.symbols) this.windows.set(s.symbol, { fast: new DepthWindow(), slow: new DepthWindow(), partialDirty: false });
    this.timers.push(setInterval(() => this.flush('fast'), 100), setInterval(() => this.flush('slow'), 1000));
    for (const t of this.timers) t.unref();
    this.stopHeartbeat = startHeartbeat(this.wss, opts.heartbeat);
  }

  /** Takes WebSocket upgrades for /ws/... and /stream; returns false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://sim');
    let streams: string[];
    let combined: boolean;
    if (url.pathname.startsWith('/ws/') || url.pathname === '/ws') {
      combined = false;
      streams = url.pathname.slice(4).split('/').filter(Boolean);
    } else if (url.pathname === '/stream') {
      combined = true;
      streams = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean);
    } else return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.wss.emit('connection', ws, req);
      const client: Client = { socket: ws, combined, streams: new Set(streams.filter((s) => this.valid(s))) };
      this.clients.add(client);
      ws.on('message', (data) => this.control(client, data.toString()));
      ws.on('close', () => this.clients.delete(client));
      ws.on('error', () => ws.terminate());
    });
    return true;
  }

  private valid(stream: string): boolean {
    const m = STREAM_RE.exec(stream);
    return m !== null && this.windows.has(m[1]!.toUpperCase());
  }

  /** SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, with Binance's error answers. */
  private control(client: Client, text: string): void {
    const reply = (body: unknown) => client.socket.send(JSON.stringify(body));
    let req: { method?: unknown; params?: unknown; id?: unknown };
    try {
      req = JSON.parse(text) as typeof req;
    } catch (err) {
      reply({ error: { code: 3, msg: `Invalid JSON: ${(err as Error).message}` }, id: null });
      return;
    }
    const id = req.id ?? null;
    if (id !== null && !(typeof id === 'number' && Number.isInteger(id) && id >= 0) && typeof id !== 'string') {
      reply({ error: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' }, id: null });
      return;
    }
    const params = Array.isArray(req.params) ? (req.params as unknown[]) : [];
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        const bad = params.find((p) => typeof p !== 'string' || !this.valid(p));
        if (bad !== undefined) {
          reply({ error: { code: 2, msg: `Invalid request: invalid stream name ${JSON.stringify(bad)}` }, id });
          return;
        }
        for (const p of params as string[]) {
          if (req.method === 'SUBSCRIBE') client.streams.add(p);
          else client.streams.delete(p);
        }
        reply({ result: null, id });
        return;
      }
      case 'LIST_SUBSCRIPTIONS':
        reply({ result: [...client.streams], id });
        return;
      default:
        reply({ error: { code: 2, msg: `Invalid request: unknown variant ${JSON.stringify(req.method)}, expected one of SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS` }, id });
    }
  }

  private send(stream: string, data: unknown): void {
    if (this.opts.faults?.isPaused(stream)) return;
    let raw: string | undefined;
    let wrapped: string | undefined;
    for (const c of this.clients) {
      if (!c.streams.has(stream)) continue;
      if (c.combined) c.socket.send((wrapped ??= JSON.stringify({ stream, data })));
      else c.socket.send((raw ??= JSON.stringify(data)));
    }
  }

  /** Takes what an engine operation changed and streams it. */
  publish(events: EngineEvent[]): void {
    const touched = new Set<string>();
    for (const ev of events) {
      if (ev.kind === 'book') {
        const w = this.windows.get(ev.symbol)!;
        w.fast.add(ev);
        w.slow.add(ev);
        w.partialDirty = true;
        touched.add(ev.symbol);
      } else if (ev.kind === 'trade') {
        this.sendTrade(ev.trade);
      }
    }
    for (const symbol of touched) this.sendBookTicker(symbol);
  }

  private sendTrade(t: PublicTrade): void {
    const s = t.symbol.toLowerCase();
    this.send(`${s}@trade`, { e: 'trade', E: this.now(), s: t.symbol, t: t.tradeId, p: amount(t.price), q: amount(t.qty), T: t.time, m: t.buyerIsMaker, M: true });
  }

  private sendBookTicker(symbol: string): void {
    const best = this.opts.engine.best(symbol);
    const key = `${best.bid?.join()}|${best.ask?.join()}`;
    if (this.lastBest.get(symbol) === key) return;
    this.lastBest.set(symbol, key);
    const [b, B] = best.bid ?? [0n, 0n];
    const [a, A] = best.ask ?? [0n, 0n];
    this.send(`${symbol.toLowerCase()}@bookTicker`, { u: best.updateId, s: symbol, b: amount(b), B: amount(B), a: amount(a), A: amount(A) });
  }

  private flush(which: 'fast' | 'slow'): void {
    const suffix = which === 'fast' ? '@100ms' : '';
    for (const [symbol, w] of this.windows) {
      const s = symbol.toLowerCase();
      if (which === 'slow') this.sendTicker(symbol);
      const diff = w[which].take();
      // An injected gap: the diff starts one update later than it should (clients must resync).
      if (diff && which === 'fast' && this.opts.faults?.takeSkip(symbol)) diff.U += 1;
      if (diff) this.send(`${s}@depth${suffix}`, { e: 'depthUpdate', E: this.now(), s: symbol, ...diff });
      if (which === 'fast' ? w.partialDirty : true) {
        for (const levels of [5, 10, 20]) {
          const name = `${s}@depth${levels}${suffix}`;
          if (![...this.clients].some((c) => c.streams.has(name))) continue;
          const d = this.opts.engine.depth(symbol, levels);
          const side = (l: [Decimal, Decimal][]) => l.map(([p, q]) => [amount(p), amount(q)]);
          this.send(name, { lastUpdateId: d.lastUpdateId, bids: side(d.bids), asks: side(d.asks) });
        }
        if (which === 'fast') w.partialDirty = false;
      }
    }
  }

  /** The @ticker stream: rolling 24h statistics, once a second. */
  private sendTicker(symbol: string): void {
    const name = `${symbol.toLowerCase()}@ticker`;
    if (!this.opts.tape || ![...this.clients].some((c) => c.streams.has(name))) return;
    this.send(name, tickerStreamEvent(this.opts.tape, this.opts.engine, symbol, this.now()));
  }

  /** Tells every client the server is going away (Binance's serverShutdown event). */
  serverShutdown(): void {
    const event = JSON.stringify({ e: 'serverShutdown', E: this.now() });
    for (const c of this.clients) c.socket.send(event);
  }

  /** Closes every connection (fault injection). */
  dropAll(): void {
    for (const c of this.clients) c.socket.terminate();
    this.clients.clear();
  }

  close(): void {
    this.stopHeartbeat();
    for (const t of this.timers) clearInterval(t);
    this.dropAll();
    this.wss.close();
  }

}
