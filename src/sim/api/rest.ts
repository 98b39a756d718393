/**
 * The simulated exchange's REST API under /api/v3, as Binance Spot answers it: the same paths,
 * parameters, security (X-MBX-APIKEY, HMAC-SHA256 or Ed25519 signatures, timestamp/recvWindow),
 * error codes and messages, and the request-weight header.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import { mul, type Decimal } from '../../model/decimal.js';
import { amount } from './wire.js';
import type { MatchingEngine } from '../engine/engine.js';
import { ExchangeError, STP_MODES, type EngineEvent, type SimFill, type SimOrder, type SymbolSpec } from '../engine/types.js';
import type { Faults } from './faults.js';
import { Tape } from '../engine/tape.js';
import { ticker24hJson } from './ticker.js';
import { Params } from './params.js';
import { restPayload, verifyEd25519, verifyHmac } from './signing.js';

export interface SimAccount {
  name: string;
  apiKey: string;
  hmacSecret?: string;
  ed25519PublicKey?: KeyObject;
  makerCommission: number;
  takerCommission: number;
}

/** How an account signs (HMAC or Ed25519), from its public key alone: what logs and listings show. */
export function keyTypeOf(account: SimAccount): 'HMAC' | 'Ed25519' {
  return account.ed25519PublicKey !== undefined ? 'Ed25519' : 'HMAC';
}

export interface RestOptions {
  engine: MatchingEngine;
  accounts: SimAccount[];
  /** REQUEST_WEIGHT per minute per client address (Binance: 6000). */
  weightLimit?: number;
  now?: () => number;
  /** Receives what each order operation changed (for the market and user data streams). */
  onEvents?: (events: EngineEvent[]) => void;
  /** Injected failures and delays (tests of clients' recovery). */
  faults?: Faults;
  /** Public trades and 24h statistics (GET trades, ticker/24hr). */
  tape?: Tape;
  /** New orders per account per 10 s (Binance: 100). */
  orderLimit?: number;
}

const MAX_BODY = 64 * 1024;
const CLIENT_ORDER_ID = /^[a-zA-Z0-9-_]{1,36}$/;

interface Route {
  weight: number;
  signed: boolean;
  /** The parameters the endpoint reads (plus timestamp, recvWindow and signature when signed). */
  params: readonly string[];
  handle: (p: Params, account: SimAccount | undefined) => unknown;
}

const ORDER_PARAMS = ['symbol', 'side', 'type', 'timeInForce', 'quantity', 'quoteOrderQty', 'price', 'newClientOrderId', 'newOrderRespType', 'selfTradePreventionMode'] as const;
const ORDER_REF = ['symbol', 'orderId', 'origClientOrderId'] as const;
const SIGNED = ['timestamp', 'recvWindow', 'signature'];

export class RestApi {
  private readonly engine: MatchingEngine;
  private readonly byKey = new Map<string, SimAccount>();
  private readonly now: () => number;
  private readonly weights = new Map<string, { minute: number; used: number }>();
  private readonly orderCounts = new Map<string, { window: number; count: number }>();
  private readonly tape: Tape;
  private readonly routes: Record<string, Route>;

  constructor(private readonly opts: RestOptions) {
    this.engine = opts.engine;
    this.now = opts.now ?? Date.now;
    this.tape = opts.tape ?? new Tape(this.now);
    for (const a of opts.accounts) this.byKey.set(a.apiKey, a);
    this.routes = {
      'GET /api/v3/ping': { weight: 1, signed: false, params: [], handle: () => ({}) },
      'GET /api/v3/time': { weight: 1, signed: false, params: [], handle: () => ({ serverTime: this.now() }) },
      'GET /api/v3/exchangeInfo': { weight: 20, signed: false, params: ['symbol', 'symbols', 'permissions'], handle: () => this.exchangeInfo() },
      'GET /api/v3/depth': { weight: 5, signed: false, params: ['symbol', 'limit'], handle: (p) => this.depth(p) },
      'GET /api/v3/trades': { weight: 25, signed: false, params: ['symbol', 'limit'], handle: (p) => this.trades(p) },
      'GET /api/v3/ticker/bookTicker': { weight: 2, signed: false, params: ['symbol'], handle: (p) => this.perSymbol(p, (s) => this.bookTicker(s)) },
      'GET /api/v3/ticker/24hr': { weight: 2, signed: false, params: ['symbol', 'type'], handle: (p) => this.perSymbol(p, (s) => this.ticker24h(s)) },
      'POST /api/v3/order': { weight: 1, signed: true, params: ORDER_PARAMS, handle: (p, a) => this.newOrder(p, a!, false) },
      'POST /api/v3/order/test': { weight: 1, signed: true, params: [...ORDER_PARAMS, 'computeCommissionRates'], handle: (p, a) => this.newOrder(p, a!, true) },
      'GET /api/v3/order': { weight: 4, signed: true, params: ORDER_REF, handle: (p, a) => this.orderStatus(p, a!) },
      'DELETE /api/v3/order': { weight: 1, signed: true, params: [...ORDER_REF, 'newClientOrderId'], handle: (p, a) => this.cancel(p, a!) },
      'GET /api/v3/openOrders': { weight: 6, signed: true, params: ['symbol'], handle: (p, a) => this.openOrders(p, a!) },
      'DELETE /api/v3/openOrders': { weight: 1, signed: true, params: ['symbol'], handle: (p, a) => this.cancelAll(p, a!) },
      'GET /api/v3/account': { weight: 20, signed: true, params: ['omitZeroBalances'], handle: (_p, a) => this.account(a!) },
      'GET /api/v3/myTrades': { weight: 20, signed: true, params: ['symbol', 'orderId', 'startTime', 'endTime', 'fromId', 'limit'], handle: (p, a) => this.myTrades(p, a!) },
    };
  }

  /** Handles a request if it is under /api/v3; false otherwise (for other handlers). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (!path.startsWith('/api/v3/')) return false;
    const query = q < 0 ? '' : url.slice(q + 1);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8' };
      const delay = this.opts.faults?.takeDelay() ?? 0;
      const send = (status: number, body: unknown) => {
        const write = () => {
          res.writeHead(status, headers);
          res.end(JSON.stringify(body));
        };
        if (delay > 0) setTimeout(write, delay);
        else write();
      };
      const injected = this.opts.faults?.takeFailure();
      if (injected !== undefined) {
        // 5xx: the outcome is unknown to the client (Binance's rule); 429: the weight limit.
        if (injected === 429) headers['retry-after'] = '1';
        send(injected, injected === 429 ? { code: -1003, msg: 'Too much request weight used; injected by the simulator.' } : { code: -1000, msg: 'An unknown error occurred while processing the request.' });
        return;
      }
      try {
        if (tooBig) throw new ExchangeError(-1104, `Not all sent parameters were read; request body larger than ${MAX_BODY} bytes.`, 413);
        const route = this.routes[`${req.method} ${path}`];
        if (!route) throw new ExchangeError(-1000, `Unknown endpoint ${req.method} ${path}.`, 404);
        headers['x-mbx-used-weight-1m'] = String(this.spend(req.socket.remoteAddress ?? '', route.weight, headers));
        const body = Buffer.concat(chunks).toString('utf8');
        const params = Params.parse(query, body);
        checkKnownParams(params, route.signed ? [...route.params, ...SIGNED] : route.params);
        const account = route.signed ? this.authenticate(req, query, body, params) : undefined;
        if (path === '/api/v3/order' && req.method === 'POST') headers['x-mbx-order-count-10s'] = String(this.countOrder(account!));
        send(200, route.handle(params, account));
      } catch (err) {
        if (err instanceof ExchangeError) send(err.httpStatus, { code: err.code, msg: err.message });
        else send(500, { code: -1000, msg: 'An unknown error occurred while processing the request.' });
      }
    });
    return true;
  }

  /** Counts request weight in the current minute; past the limit, -1003 with Retry-After. */
  private spend(client: string, weight: number, headers: Record<string, string>): number {
    const minute = Math.floor(this.now() / 60_000);
    let w = this.weights.get(client);
    if (!w || w.minute !== minute) this.weights.set(client, (w = { minute, used: 0 }));
    w.used += weight;
    const limit = this.opts.weightLimit ?? 6000;
    if (w.used > limit) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(((minute + 1) * 60_000 - this.now()) / 1000)));
      headers['x-mbx-used-weight-1m'] = String(w.used);
      throw new ExchangeError(-1003, `Too much request weight used; current limit is ${limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`, 429);
    }
    return w.used;
  }

  /** Counts a new order of `account` in the current 10 s window; past the limit, -1015. */
  countOrder(account: SimAccount): number {
    const window = Math.floor(this.now() / 10_000);
    let c = this.orderCounts.get(account.name);
    if (!c || c.window !== window) this.orderCounts.set(account.name, (c = { window, count: 0 }));
    c.count++;
    const limit = this.opts.orderLimit ?? 100;
    if (c.count > limit) throw new ExchangeError(-1015, `Too many new orders; current limit is ${limit} orders per TEN_SECONDS.`, 429);
    return c.count;
  }

  private perSymbol(p: Params, one: (symbol: string) => unknown): unknown {
    return p.has('symbol') ? one(this.symbol(p)) : this.engine.symbols.map((s) => one(s.symbol));
  }

  private trades(p: Params): unknown {
    const symbol = this.symbol(p);
    const limit = p.integer('limit', 1, 1000) ?? 500;
    return this.tape.recent(symbol, limit).map((t) => ({
      id: t.tradeId,
      price: amount(t.price),
      qty: amount(t.qty),
      quoteQty: amount(mul(t.price, t.qty, 'half-even')),
      time: t.time,
      isBuyerMaker: t.buyerIsMaker,
      isBestMatch: true,
    }));
  }

  private bookTicker(symbol: string): unknown {
    const best = this.engine.best(symbol);
    return { symbol, bidPrice: amount(best.bid?.[0] ?? 0n), bidQty: amount(best.bid?.[1] ?? 0n), askPrice: amount(best.ask?.[0] ?? 0n), askQty: amount(best.ask?.[1] ?? 0n) };
  }

  private ticker24h(symbol: string): unknown {
    return ticker24hJson(this.tape, this.engine, symbol);
  }

  private authenticate(req: IncomingMessage, query: string, body: string, params: Params): SimAccount {
    const key = req.headers['x-mbx-apikey'];
    const account = this.accountFor(typeof key === 'string' ? key : undefined);
    const { payload, signature } = restPayload(query, body);
    checkSigned(account, params, payload, signature, this.now());
    return account;
  }

  /** The account of an API key: -2014 when none was sent, -2015 when unknown. */
  accountFor(apiKey: string | undefined): SimAccount {
    if (apiKey === undefined || apiKey === '') throw new ExchangeError(-2014, 'API-key format invalid.', 401);
    const account = this.byKey.get(apiKey);
    if (!account) throw new ExchangeError(-2015, 'Invalid API-key, IP, or permissions for action.', 401);
    return account;
  }

  private symbol(p: Params): string {
    const s = p.required('symbol');
    this.engine.spec(s); // -1121 if unknown
    return s;
  }

  private exchangeInfo(): unknown {
    return {
      timezone: 'UTC',
      serverTime: this.now(),
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.opts.weightLimit ?? 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
      ],
      exchangeFilters: [],
      symbols: this.engine.symbols.map(symbolJson),
    };
  }

  private depth(p: Params): unknown {
    const limit = p.integer('limit', 1, 5000) ?? 100;
    const d = this.engine.depth(this.symbol(p), limit);
    const levels = (side: [Decimal, Decimal][]) => side.map(([price, qty]) => [amount(price), amount(qty)]);
    return { lastUpdateId: d.lastUpdateId, bids: levels(d.bids), asks: levels(d.asks) };
  }

  newOrder(p: Params, account: SimAccount, test: boolean): unknown {
    const symbol = this.symbol(p);
    const side = p.oneOf('side', ['BUY', 'SELL'] as const);
    const type = p.oneOf('type', ['LIMIT', 'MARKET', 'LIMIT_MAKER'] as const);
    const timeInForce = type === 'LIMIT' ? p.oneOf('timeInForce', ['GTC', 'IOC', 'FOK'] as const) : undefined;
    const quantity = p.decimal('quantity');
    const quoteOrderQty = p.decimal('quoteOrderQty');
    const price = p.decimal('price');
    if (type !== 'MARKET' && price === undefined) p.required('price');
    if (type !== 'MARKET' || quoteOrderQty === undefined) {
      if (quantity === undefined) p.required('quantity');
    }
    const clientOrderId = p.matching('newClientOrderId', CLIENT_ORDER_ID) ?? `sim${this.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    const respType = p.oneOf('newOrderRespType', ['ACK', 'RESULT', 'FULL'] as const, 'FULL');
    const stp = p.has('selfTradePreventionMode') ? p.oneOf('selfTradePreventionMode', STP_MODES) : undefined;
    if (test) return {};
    const { order, fills, events } = this.engine.placeOrder({
      account: account.name,
      symbol,
      side,
      type,
      ...(timeInForce ? { timeInForce } : {}),
      ...(quantity !== undefined ? { quantity } : {}),
      ...(quoteOrderQty !== undefined && quantity === undefined ? { quoteOrderQty } : {}),
      ...(price !== undefined ? { price } : {}),
      clientOrderId,
      ...(stp ? { selfTradePreventionMode: stp } : {}),
    });
    this.opts.onEvents?.(events);
    const ack = { symbol, orderId: order.orderId, orderListId: -1, clientOrderId: order.clientOrderId, transactTime: order.time };
    if (respType === 'ACK') return ack;
    const result = { ...ack, ...resultFields(order) };
    return respType === 'RESULT' ? result : { ...result, fills: fills.map(fillJson) };
  }

  orderStatus(p: Params, account: SimAccount): unknown {
    return orderJson(this.engine.getOrder(account.name, this.symbol(p), orderRef(p)));
  }

  openOrders(p: Params, account: SimAccount): unknown {
    return this.engine.openOrders(account.name, p.has('symbol') ? this.symbol(p) : undefined).map(orderJson);
  }

  cancel(p: Params, account: SimAccount): unknown {
    const symbol = this.symbol(p);
    const { order, events } = this.engine.cancelOrder(account.name, symbol, orderRef(p));
    this.opts.onEvents?.(events);
    return { symbol, origClientOrderId: order.clientOrderId, orderId: order.orderId, orderListId: -1, clientOrderId: order.clientOrderId, transactTime: order.updateTime, ...resultFields(order) };
  }

  private cancelAll(p: Params, account: SimAccount): unknown {
    const symbol = this.symbol(p);
    const open = this.engine.openOrders(account.name, symbol);
    if (open.length === 0) throw new ExchangeError(-2011, 'Unknown order sent.');
    return open.map((o) => this.cancel(new Params(new Map([['symbol', symbol], ['orderId', String(o.orderId)]])), account));
  }

  account(account: SimAccount): unknown {
    const balances = [...this.engine.balances(account.name)].map(([asset, b]) => ({ asset, free: amount(b.free), locked: amount(b.locked) }));
    return {
      makerCommission: account.makerCommission,
      takerCommission: account.takerCommission,
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: { maker: (account.makerCommission / 10000).toFixed(8), taker: (account.takerCommission / 10000).toFixed(8), buyer: '0.00000000', seller: '0.00000000' },
      canTrade: true,
      canWithdraw: true,
      canDeposit: true,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      updateTime: this.now(),
      accountType: 'SPOT',
      balances,
      permissions: ['SPOT'],
      uid: 0,
    };
  }

  myTrades(p: Params, account: SimAccount): unknown {
    const symbol = this.symbol(p);
    const orderId = p.integer('orderId', 0, Number.MAX_SAFE_INTEGER);
    const fromId = p.integer('fromId', 0, Number.MAX_SAFE_INTEGER);
    const limit = p.integer('limit', 1, 1000) ?? 500;
    return this.engine
      .myTrades(account.name, symbol)
      .filter((t) => (orderId === undefined || t.orderId === orderId) && (fromId === undefined || t.id >= fromId))
      .slice(0, limit)
      .map((t) => ({
        symbol,
        id: t.id,
        orderId: t.orderId,
        orderListId: -1,
        price: amount(t.price),
        qty: amount(t.qty),
        quoteQty: amount(t.quoteQty),
        commission: amount(t.commission),
        commissionAsset: t.commissionAsset,
        time: t.time,
        isBuyer: t.isBuyer,
        isMaker: t.isMaker,
        isBestMatch: true,
      }));
  }
}

/** Binance reads only the parameters an endpoint knows, and refuses a request with others (-1104). */
export function checkKnownParams(params: Params, known: readonly string[]): void {
  const names = params.names;
  const read = names.filter((n) => known.includes(n)).length;
  if (read !== names.length) throw new ExchangeError(-1104, `Not all sent parameters were read; read '${read}' parameter(s) but was sent '${names.length}'.`);
}

/** timestamp/recvWindow and the signature of a signed request, with Binance's errors. */
export function checkSigned(account: SimAccount, params: Params, payload: string, signature: string | undefined, now: number): void {
  const timestamp = params.integer('timestamp', 0, Number.MAX_SAFE_INTEGER);
  if (timestamp === undefined) throw new ExchangeError(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
  const recvWindow = params.has('recvWindow') ? Number(params.required('recvWindow')) : 5000;
  if (!(recvWindow > 0 && recvWindow <= 60_000)) throw new ExchangeError(-1131, 'recvWindow must be less than 60000');
  if (!(timestamp < now + 1000 && now - timestamp <= recvWindow)) throw new ExchangeError(-1021, 'Timestamp for this request is outside of the recvWindow.');
  if (signature === undefined || signature === '') throw new ExchangeError(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
  const valid =
    account.hmacSecret !== undefined
      ? verifyHmac(account.hmacSecret, payload, signature)
      : account.ed25519PublicKey !== undefined && verifyEd25519(account.ed25519PublicKey, payload, signature);
  if (!valid) throw new ExchangeError(-1022, 'Signature for this request is not valid.');
}

function orderRef(p: Params): { orderId?: number; origClientOrderId?: string } {
  const orderId = p.integer('orderId', 0, Number.MAX_SAFE_INTEGER);
  const origClientOrderId = p.optional('origClientOrderId');
  if (orderId === undefined && origClientOrderId === undefined) {
    throw new ExchangeError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
  }
  return { ...(orderId !== undefined ? { orderId } : {}), ...(origClientOrderId !== undefined ? { origClientOrderId } : {}) };
}

function resultFields(o: SimOrder) {
  return {
    price: amount(o.price),
    origQty: amount(o.origQty),
    executedQty: amount(o.executedQty),
    origQuoteOrderQty: amount(o.origQuoteOrderQty),
    cummulativeQuoteQty: amount(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    workingTime: o.isWorking ? o.time : -1,
    selfTradePreventionMode: 'NONE',
  };
}

export function orderJson(o: SimOrder): unknown {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    ...resultFields(o),
    stopPrice: amount(0n),
    icebergQty: amount(0n),
    time: o.time,
    updateTime: o.updateTime,
    isWorking: o.isWorking,
  };
}

function fillJson(f: SimFill): unknown {
  return { price: amount(f.price), qty: amount(f.qty), commission: amount(f.commission), commissionAsset: f.commissionAsset, tradeId: f.tradeId };
}

function symbolJson(s: SymbolSpec): unknown {
  return {
    symbol: s.symbol,
    status: 'TRADING',
    baseAsset: s.baseAsset,
    baseAssetPrecision: s.basePrecision,
    quoteAsset: s.quoteAsset,
    quotePrecision: s.quotePrecision,
    quoteAssetPrecision: s.quotePrecision,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'],
    icebergAllowed: false,
    ocoAllowed: false,
    quoteOrderQtyMarketAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: amount(s.minPrice), maxPrice: amount(s.maxPrice), tickSize: amount(s.tickSize) },
      { filterType: 'LOT_SIZE', minQty: amount(s.minQty), maxQty: amount(s.maxQty), stepSize: amount(s.stepSize) },
      {
        filterType: 'NOTIONAL',
        minNotional: amount(s.minNotional),
        applyMinToMarket: s.applyMinToMarket,
        maxNotional: amount(s.maxNotional),
        applyMaxToMarket: s.applyMaxToMarket,
        avgPriceMins: 5,
      },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'NONE',
    allowedSelfTradePreventionModes: ['NONE'],
  };
}
