/**
 * Binance market streams, served by the simulator: raw `/ws/<stream>` and combined
 * `/stream?streams=a/b` (each event wrapped as {stream, data}), with live SUBSCRIBE, UNSUBSCRIBE,
 * LIST_SUBSCRIPTIONS, SET_PROPERTY/GET_PROPERTY (combined). The streams are stream-names.ts's
 * table: trades, aggregate trades and the book ticker in real time; depth diffs (U/u sequencing)
 * and partial depth every 100 ms or second; the tickers and average price every second
 * (ticker-streams.ts); klines every 1 s for 1s klines, 2 s otherwise (`x` true once a kline
 * closes). Binance's connection limits: 5 incoming messages a second (pings and pongs count; past
 * that the connection is closed), 1024 streams.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Decimal } from '../../model/decimal.js';
import type { MatchingEngine } from '../engine/engine.js';
import type { Tape, AggTrade } from '../engine/tape.js';
import type { EngineEvent } from '../engine/types.js';
import { DepthWindow } from './depth-window.js';
import type { Faults } from './faults.js';
import { startHeartbeat, type HeartbeatOptions } from './heartbeat.js';
import { KlineStreams } from './kline-streams.js';
import { aggTradeEvent, tradeEvent } from './market-json.js';
import { parseStream, type StreamName } from './stream-names.js';
import { periodicEvent } from './ticker-streams.js';
import { amount } from './wire.js';

const MAX_STREAMS = 1024;
const MAX_MESSAGES_PER_SECOND = 5;
/** Binance's control-message ids: a 64-bit integer, up to 36 alphanumerics, or null. */
const CONTROL_ID = /^[a-zA-Z0-9]{1,36}$/;

interface Client {
  socket: WebSocket;
  combined: boolean;
  streams: Set<string>;
  second: number;
  messages: number;
}

export interface StreamsOptions {
  engine: MatchingEngine;
  tape: Tape;
  now?: () => number;
  faults?: Faults;
  heartbeat?: HeartbeatOptions;
}

export class MarketStreams {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly clients = new Set<Client>();
  private readonly now: () => number;
  /** Per symbol: diff windows for the 100 ms and 1000 ms streams, and whether partial depth changed. */
  private readonly windows = new Map<string, { fast: DepthWindow; slow: DepthWindow; partialDirty: boolean }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly lastBest = new Map<string, string>();
  private readonly klines: KlineStreams;
  private ticks = 0;
  private readonly stopHeartbeat: () => void;

  constructor(private readonly opts: StreamsOptions) {
    this.now = opts.now ?? Date.now;
    this.klines = new KlineStreams(opts.tape);
    for (const s of opts.engine.symbols) this.windows.set(s.symbol, { fast: new DepthWindow(), slow: new DepthWindow(), partialDirty: false });
    this.timers.push(
      setInterval(() => this.flush('fast'), 100),
      setInterval(() => {
        this.flush('slow');
        this.klines.push(this.liveStreams(), this.ticks++ % 2 === 0, this.now(), (stream, data) => this.send(stream, data));
      }, 1000),
    );
    for (const t of this.timers) t.unref();
    this.stopHeartbeat = startHeartbeat(this.wss, opts.heartbeat);
  }

  /** Symbols with a trade since the last !miniTicker@arr push. */
  private readonly traded = new Set<string>();

  private parse(stream: unknown): StreamName | undefined {
    if (typeof stream !== 'string') return undefined;
    const name = parseStream(stream);
    return name && (name.kind === 'allMiniTickers' || this.windows.has(name.symbol)) ? name : undefined;
  }

  /** Takes WebSocket upgrades for /ws/... and /stream; returns false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim');
    } catch {
      return false;
    }
    let streams: string[];
    let combined: boolean;
    if (url.pathname.startsWith('/ws/') || url.pathname === '/ws') {
      combined = false;
      streams = url.pathname.slice(4).split('/').filter(Boolean);
    } else if (url.pathname === '/stream') {
      combined = true;
      streams = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean);
    } else return false;
    if (streams.length > MAX_STREAMS) {
      socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n\r\nat most ${MAX_STREAMS} streams per connection\n`);
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.wss.emit('connection', ws, req);
      const client: Client = { socket: ws, combined, streams: new Set(streams.filter((s) => this.parse(s))), second: 0, messages: 0 };
      this.klines.start(client.streams, this.now());
      this.clients.add(client);
      ws.on('message', (data, isBinary) => {
        if (this.counted(client)) this.control(client, isBinary ? '' : data.toString());
      });
      ws.on('ping', () => this.counted(client));
      ws.on('pong', () => this.counted(client));
      ws.on('close', () => this.clients.delete(client));
      ws.on('error', () => ws.terminate());
    });
    return true;
  }

  /** Counts an incoming message; past 5 in a second the connection is closed (false). */
  private counted(client: Client): boolean {
    const second = Math.floor(this.now() / 1000);
    if (second !== client.second) {
      client.second = second;
      client.messages = 0;
    }
    if (++client.messages <= MAX_MESSAGES_PER_SECOND) return true;
    if (this.clients.delete(client)) client.socket.close(1008, 'too many messages');
    return false;
  }

  /** SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY, with Binance's error answers. */
  private control(client: Client, text: string): void {
    const reply = (body: unknown) => client.socket.send(JSON.stringify(body));
    let req: { method?: unknown; params?: unknown; id?: unknown };
    try {
      req = JSON.parse(text) as typeof req;
      if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new Error('expected an object');
    } catch (err) {
      reply({ error: { code: 3, msg: `Invalid JSON: ${(err as Error).message.slice(0, 200)}` }, id: null });
      return;
    }
    const id = req.id ?? null;
    const validId = id === null || (typeof id === 'number' && Number.isInteger(id) && Math.abs(id) < 2 ** 63) || (typeof id === 'string' && CONTROL_ID.test(id));
    if (!validId) {
      reply({ error: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' }, id: null });
      return;
    }
    const params = Array.isArray(req.params) ? (req.params as unknown[]) : [];
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        const bad = params.find((p) => !this.parse(p));
        if (bad !== undefined) {
          reply({ error: { code: 2, msg: `Invalid request: invalid stream name ${JSON.stringify(bad).slice(0, 200)}` }, id });
          return;
        }
        const names = params as string[];
        if (req.method === 'SUBSCRIBE' && new Set([...client.streams, ...names]).size > MAX_STREAMS) {
          reply({ error: { code: 2, msg: `Invalid request: at most ${MAX_STREAMS} streams per connection` }, id });
          return;
        }
        for (const p of names) {
          if (req.method === 'SUBSCRIBE') client.streams.add(p);
          else client.streams.delete(p);
        }
        if (req.method === 'SUBSCRIBE') this.klines.start(names, this.now());
        reply({ result: null, id });
        return;
      }
      case 'LIST_SUBSCRIPTIONS':
        reply({ result: [...client.streams], id });
        return;
      case 'SET_PROPERTY':
        if (params[0] !== 'combined') reply({ error: { code: 2, msg: 'Invalid request: property name must be a string' }, id });
        else if (typeof params[1] !== 'boolean') reply({ error: { code: 1, msg: 'Invalid value type: expected Boolean' }, id });
        else {
          client.combined = params[1];
          reply({ result: null, id });
        }
        return;
      case 'GET_PROPERTY':
        if (params[0] !== 'combined') reply({ error: { code: 2, msg: 'Invalid request: property name must be a string' }, id });
        else reply({ result: client.combined, id });
        return;
      default:
        reply({ error: { code: 2, msg: `Invalid request: unknown variant ${JSON.stringify(req.method ?? null).slice(0, 100)}, expected one of SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY` }, id });
    }
  }

  /** Every stream some client is subscribed to. */
  private liveStreams(): Set<string> {
    const live = new Set<string>();
    for (const c of this.clients) for (const s of c.streams) live.add(s);
    return live;
  }

  private subscribed(stream: string): boolean {
    for (const c of this.clients) if (c.streams.has(stream)) return true;
    return false;
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

  /** Takes what an engine operation changed (and the aggregate trades it made) and streams it. */
  publish(events: EngineEvent[], aggTrades: AggTrade[] = []): void {
    if (this.clients.size === 0) {
      for (const ev of events) if (ev.kind === 'book') this.addDepth(ev);
      return;
    }
    const touched = new Set<string>();
    for (const ev of events) {
      if (ev.kind === 'book') {
        this.addDepth(ev);
        touched.add(ev.symbol);
      } else if (ev.kind === 'trade') {
        this.traded.add(ev.trade.symbol);
        this.send(`${ev.trade.symbol.toLowerCase()}@trade`, tradeEvent(ev.trade, this.now()));
      }
    }
    for (const a of aggTrades) this.send(`${a.symbol.toLowerCase()}@aggTrade`, aggTradeEvent(a, this.now()));
    for (const symbol of touched) this.sendBookTicker(symbol);
  }

  private addDepth(ev: Extract<EngineEvent, { kind: 'book' }>): void {
    const w = this.windows.get(ev.symbol)!;
    w.fast.add(ev);
    w.slow.add(ev);
    w.partialDirty = true;
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
    // The 1000 ms streams answer to two names: `@depth` and `@depth@1000ms` (the binance SDK's).
    const suffixes = which === 'fast' ? ['@100ms'] : ['', '@1000ms'];
    for (const [symbol, w] of this.windows) {
      const s = symbol.toLowerCase();
      const diff = w[which].take();
      // An injected gap: the diff starts one update later than it should (clients must resync).
      if (diff && which === 'fast' && this.opts.faults?.takeSkip(symbol)) diff.U += 1;
      if (diff) for (const suffix of suffixes) this.send(`${s}@depth${suffix}`, { e: 'depthUpdate', E: this.now(), s: symbol, ...diff });
      if (which === 'fast' ? w.partialDirty : true) {
        for (const levels of [5, 10, 20]) {
          const names = suffixes.map((suffix) => `${s}@depth${levels}${suffix}`).filter((name) => this.subscribed(name));
          if (names.length === 0) continue;
          const d = this.opts.engine.depth(symbol, levels);
          const side = (l: [Decimal, Decimal][]) => l.map(([p, q]) => [amount(p), amount(q)]);
          for (const name of names) this.send(name, { lastUpdateId: d.lastUpdateId, bids: side(d.bids), asks: side(d.asks) });
        }
        if (which === 'fast') w.partialDirty = false;
      }
    }
    if (which === 'slow') this.sendPeriodic();
  }

  /** The tickers and the average price (ticker-streams.ts), once a second, to the streams with subscribers. */
  private sendPeriodic(): void {
    const now = this.now();
    const live = this.liveStreams();
    const src = { engine: this.opts.engine, tape: this.opts.tape, traded: this.traded };
    for (const stream of live) {
      const name = this.parse(stream);
      const data = name && periodicEvent(name, src, now);
      if (data !== undefined) this.send(stream, data);
    }
    this.traded.clear();
  }

  /** Tells every client the server is going away (Binance's serverShutdown event). */
  serverShutdown(): void {
    const data = { e: 'serverShutdown', E: this.now() };
    const raw = JSON.stringify(data);
    const wrapped = JSON.stringify({ stream: '!serverShutdown', data });
    for (const c of this.clients) c.socket.send(c.combined ? wrapped : raw);
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
