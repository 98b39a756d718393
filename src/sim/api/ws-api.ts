/**
 * The WebSocket API at /ws-api/v3, as Binance serves it since the listenKey endpoints were retired:
 * requests {id, method, params} answered {id, status, result | error}; the user data stream by
 * `userDataStream.subscribe.signature` (any key type) or `session.logon` (Ed25519) then
 * `userDataStream.subscribe`, delivering {subscriptionId, event} with executionReport and
 * outboundAccountPosition in the order the engine produced them; and the order methods
 * (`order.place`, `order.cancel`, `order.status`, `openOrders.status`, `account.status`), which
 * share the REST API's operations and checks.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Decimal } from '../../model/decimal.js';
import { amount } from './wire.js';
import { ExchangeError, type EngineEvent } from '../engine/types.js';
import { Params } from './params.js';
import { checkSigned, type RestApi, type SimAccount } from './rest.js';
import { wsApiPayload } from './signing.js';
import { startHeartbeat, type HeartbeatOptions } from './heartbeat.js';


interface Session {
  socket: WebSocket;
  /** Set by session.logon. */
  account: SimAccount | undefined;
  /** subscriptionId -> account name. */
  subscriptions: Map<number, string>;
}

interface Request {
  id: string | number | null;
  method: string;
  params: Record<string, string | number | boolean>;
}

export interface WsApiOptions {
  rest: RestApi;
  now?: () => number;
  heartbeat?: HeartbeatOptions;
}

export class WsApi {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly sessions = new Set<Session>();
  private nextSubscription = 0;
  private readonly now: () => number;
  private readonly stopHeartbeat: () => void;

  constructor(private readonly opts: WsApiOptions) {
    this.now = opts.now ?? Date.now;
    this.stopHeartbeat = startHeartbeat(this.wss, opts.heartbeat);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (new URL(req.url ?? '/', 'http://sim').pathname !== '/ws-api/v3') return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.wss.emit('connection', ws, req);
      const session: Session = { socket: ws, account: undefined, subscriptions: new Map() };
      this.sessions.add(session);
      ws.on('message', (data) => this.request(session, data.toString()));
      ws.on('close', () => this.sessions.delete(session));
      ws.on('error', () => ws.terminate());
    });
    return true;
  }

  private request(session: Session, text: string): void {
    const send = (body: unknown) => session.socket.send(JSON.stringify(body));
    let req: Request;
    try {
      const parsed = JSON.parse(text) as Partial<Request>;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.method !== 'string') throw new Error('no method');
      if (parsed.params !== undefined && (typeof parsed.params !== 'object' || parsed.params === null || Array.isArray(parsed.params))) {
        send({ id: parsed.id ?? null, status: 400, error: { code: -1135, msg: "Invalid 'params' in JSON request; expected an object." } });
        return;
      }
      req = { id: parsed.id ?? null, method: parsed.method, params: parsed.params ?? {} };
    } catch {
      send({ id: null, status: 400, error: { code: -1135, msg: 'Invalid JSON request.' } });
      return;
    }
    try {
      send({ id: req.id, status: 200, result: this.dispatch(session, req) });
    } catch (err) {
      if (err instanceof ExchangeError) send({ id: req.id, status: err.httpStatus, error: { code: err.code, msg: err.message } });
      else send({ id: req.id, status: 500, error: { code: -1000, msg: 'An unknown error occurred while processing the request.' } });
    }
  }

  private dispatch(session: Session, req: Request): unknown {
    const params = new Params(new Map(Object.entries(req.params).map(([k, v]) => [k, String(v)])));
    const rest = this.opts.rest;
    switch (req.method) {
      case 'ping':
        return {};
      case 'time':
        return { serverTime: this.now() };
      case 'session.logon': {
        const account = this.signed(session, req, params, false);
        if (account.ed25519PublicKey === undefined) throw new ExchangeError(-4056, 'HMAC_SHA256 API key is not supported.');
        session.account = account;
        return { apiKey: account.apiKey, authorizedSince: this.now(), connectedSince: this.now(), returnRateLimits: true, serverTime: this.now(), userDataStream: session.subscriptions.size > 0 };
      }
      case 'userDataStream.subscribe.signature':
        return this.subscribe(session, this.signed(session, req, params, false));
      case 'userDataStream.subscribe':
        if (!session.account) throw new ExchangeError(-2015, 'Invalid API-key, IP, or permissions for action.', 401);
        return this.subscribe(session, session.account);
      case 'userDataStream.unsubscribe': {
        const id = params.integer('subscriptionId', 0, Number.MAX_SAFE_INTEGER);
        if (id === undefined) session.subscriptions.clear();
        else session.subscriptions.delete(id);
        return {};
      }
      case 'order.place': {
        const account = this.signed(session, req, params, true);
        rest.countOrder(account);
        return rest.newOrder(params, account, false);
      }
      case 'order.cancel':
        return rest.cancel(params, this.signed(session, req, params, true));
      case 'order.status':
        return rest.orderStatus(params, this.signed(session, req, params, true));
      case 'openOrders.status':
        return rest.openOrders(params, this.signed(session, req, params, true));
      case 'account.status':
        return rest.account(this.signed(session, req, params, true));
      default:
        throw new ExchangeError(-1020, `Unknown method: '${req.method}'.`);
    }
  }

  /** The request's account: its own signature, or (when allowed) the logged-on session's. */
  private signed(session: Session, req: Request, params: Params, sessionOk: boolean): SimAccount {
    if (sessionOk && session.account && !params.has('signature')) return session.account;
    const account = this.opts.rest.accountFor(params.optional('apiKey'));
    const signature = params.optional('signature');
    checkSigned(account, params, wsApiPayload(req.params), signature, this.now());
    return account;
  }

  private subscribe(session: Session, account: SimAccount): unknown {
    const subscriptionId = this.nextSubscription++;
    session.subscriptions.set(subscriptionId, account.name);
    return { subscriptionId };
  }

  /** Delivers user data events to the subscriptions of the accounts they concern. */
  publish(events: EngineEvent[]): void {
    if (this.sessions.size === 0) return;
    for (const ev of events) {
      let account: string;
      let event: unknown;
      if (ev.kind === 'execution') {
        account = ev.order.account;
        const o = ev.order;
        const f = ev.fill;
        event = {
          e: 'executionReport',
          E: ev.time,
          s: o.symbol,
          c: o.clientOrderId,
          S: o.side,
          o: o.type,
          f: o.timeInForce,
          q: amount(o.origQty),
          p: amount(o.price),
          P: amount(0n),
          F: amount(0n),
          g: -1,
          C: ev.execution === 'CANCELED' ? o.clientOrderId : '',
          x: ev.execution,
          X: o.status,
          r: 'NONE',
          i: o.orderId,
          l: amount(f?.qty ?? 0n),
          z: amount(o.executedQty),
          L: amount(f?.price ?? 0n),
          n: amount(f?.commission ?? 0n),
          N: f?.commissionAsset ?? null,
          T: ev.time,
          t: f?.tradeId ?? -1,
          w: o.isWorking,
          m: f?.isMaker ?? false,
          M: false,
          O: o.time,
          Z: amount(o.cummulativeQuoteQty),
          Y: amount(f?.quoteQty ?? 0n),
          Q: amount(o.origQuoteOrderQty),
          W: o.isWorking ? o.time : -1,
          V: 'NONE',
        };
      } else if (ev.kind === 'balances') {
        account = ev.account;
        event = { e: 'outboundAccountPosition', E: ev.time, u: ev.time, B: [...ev.balances].map(([a, b]) => ({ a, f: amount(b.free), l: amount(b.locked) })) };
      } else continue;
      for (const s of this.sessions) {
        for (const [subscriptionId, name] of s.subscriptions) if (name === account) s.socket.send(JSON.stringify({ subscriptionId, event }));
      }
    }
  }

  /** Binance's serverShutdown event, on every session. */
  serverShutdown(): void {
    const event = JSON.stringify({ event: { e: 'serverShutdown', E: this.now() } });
    for (const s of this.sessions) s.socket.send(event);
  }

  dropAll(): void {
    for (const s of this.sessions) s.socket.terminate();
    this.sessions.clear();
  }

  close(): void {
    this.stopHeartbeat();
    for (const s of this.sessions) s.socket.terminate();
    this.sessions.clear();
    this.wss.close();
  }
}
