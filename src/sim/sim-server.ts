/**
 * `kfc sim`: the Binance-compatible simulated exchange as a server on loopback. This build serves
 * the REST API (api/rest.ts) and the market streams (api/streams.ts) over the matching engine with
 * the WS API with the user data stream (api/ws-api.ts), a demo account, and a market that moves
 * (market/synthetic.ts).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseDecimal as d } from '../model/decimal.js';
import { UserError } from '../util/errors.js';
import { MatchingEngine } from './engine/engine.js';
import type { EngineEvent, SymbolSpec } from './engine/types.js';
import { RestApi, type SimAccount } from './api/rest.js';
import { MarketStreams } from './api/streams.js';
import { WsApi } from './api/ws-api.js';
import { Faults } from './api/faults.js';
import { Tape, type TapeRetention } from './engine/tape.js';
import type { Retention } from './engine/book.js';
import type { HeartbeatOptions } from './api/heartbeat.js';
import { SyntheticMarket } from './market/synthetic.js';

export const DEMO_ACCOUNT: SimAccount = {
  name: 'demo',
  apiKey: 'kfts-sim-demo-key',
  // A credential of the local simulator, published in the README: never a real exchange secret.
  hmacSecret: 'kfts-sim-demo-secret',
  makerCommission: 10,
  takerCommission: 10,
};

const spec = (symbol: string, base: string, tick: string, step: string, minQty: string): SymbolSpec => ({
  symbol,
  baseAsset: base,
  quoteAsset: 'USDT',
  basePrecision: 8,
  quotePrecision: 8,
  minPrice: d(tick),
  maxPrice: d('1000000'),
  tickSize: d(tick),
  minQty: d(minQty),
  maxQty: d('9000'),
  stepSize: d(step),
  minNotional: d('5'),
  maxNotional: d('9000000'),
  applyMinToMarket: true,
  applyMaxToMarket: false,
});

export const DEFAULT_SYMBOLS: SymbolSpec[] = [spec('BTCUSDT', 'BTC', '0.01', '0.00001', '0.00001'), spec('ETHUSDT', 'ETH', '0.01', '0.0001', '0.0001')];

export interface SimServerOptions {
  host: string;
  port: number;
  weightLimit?: number;
  /** WebSocket ping interval and pong timeout (default 20 s and 60 s, as Binance). */
  heartbeat?: HeartbeatOptions;
  /** New orders per account per 10 s (default 100, as Binance). */
  orderLimit?: number;
  /** Accounts besides the demo account. */
  accounts?: SimAccount[];
  /** Deposits for those accounts: account -> asset -> amount. */
  deposits?: Record<string, Record<string, string>>;
  /** Symbols and their starting prices (default: BTCUSDT and ETHUSDT). */
  symbols?: { specs: SymbolSpec[]; startPrices: Record<string, string> };
  /** How much is kept of what is done (see README: bounded windows); defaults fit myTrades, GET order and reconciliation. */
  retention?: Retention & TapeRetention;
  /** The exchange's clock (tests that run hours of market in seconds). */
  now?: () => number;
  /** The moving synthetic market; false for a still book. */
  market?: { seed: number; rate?: number; volatility?: number; levels?: number; takerProbability?: number } | false;
}

export const START_PRICES: Record<string, string> = { BTCUSDT: '60000', ETHUSDT: '3000' };

export interface SimServer {
  server: Server;
  engine: MatchingEngine;
  market: SyntheticMarket | undefined;
  /** The REST API (and through it the shared limits). */
  rest: RestApi;
  tape: Tape;
}

export async function startSimServer(opts: SimServerOptions): Promise<SimServer> {
  const now = opts.now ?? Date.now;
  const retention = opts.retention ?? {};
  const engine = new MatchingEngine(opts.symbols?.specs ?? DEFAULT_SYMBOLS, { makerRate: d('0.001'), takerRate: d('0.001'), now, retention });
  engine.deposit(DEMO_ACCOUNT.name, 'USDT', d('100000'));
  engine.deposit(DEMO_ACCOUNT.name, 'BTC', d('1'));
  engine.deposit(DEMO_ACCOUNT.name, 'ETH', d('10'));
  for (const [account, assets] of Object.entries(opts.deposits ?? {})) for (const [asset, value] of Object.entries(assets)) engine.deposit(account, asset, d(value));
  const faults = new Faults(now);
  const tape = new Tape(now, retention);
  const streams = new MarketStreams({ engine, faults, tape, now, ...(opts.heartbeat ? { heartbeat: opts.heartbeat } : {}) });
  let wsApi: WsApi | undefined;
  const publish = (events: EngineEvent[]) => {
    const aggTrades = tape.record(events);
    streams.publish(events, aggTrades);
    wsApi?.publish(events);
  };
  const rest = new RestApi({
    engine,
    accounts: [DEMO_ACCOUNT, ...(opts.accounts ?? [])],
    onEvents: publish,
    faults,
    tape,
    now,
    ...(opts.orderLimit !== undefined ? { orderLimit: opts.orderLimit } : {}),
    ...(opts.weightLimit !== undefined ? { weightLimit: opts.weightLimit } : {}),
  });
  const server = createServer((req, res) => {
    if (rest.handle(req, res) || faults.handle(req, res)) return;
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: -1000, msg: `Unknown endpoint ${req.method} ${req.url}.` }));
  });
  wsApi = new WsApi({ rest, faults, ...(opts.heartbeat ? { heartbeat: opts.heartbeat } : {}) });
  faults.connect({
    dropConnections: () => {
      streams.dropAll();
      wsApi?.dropAll();
    },
    serverShutdown: () => {
      streams.serverShutdown();
      wsApi?.serverShutdown();
    },
  });
  const market = opts.market
    ? new SyntheticMarket({ engine, ...opts.market, startPrices: opts.symbols?.startPrices ?? START_PRICES, onEvents: publish })
    : undefined;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!wsApi!.handleUpgrade(req, socket, head) && !streams.handleUpgrade(req, socket, head)) socket.destroy();
  });
  server.on('close', () => {
    market?.stop();
    streams.close();
    wsApi?.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new UserError(`port ${opts.port} in use on ${opts.host}: stop what listens there, or choose another port with --port`) : err),
    );
    server.listen(opts.port, opts.host, resolve);
  });
  market?.start();
  return { server, engine, market, rest, tape };
}
