/**
 * The WebSocket API at /ws-api/v3, as Binance serves it since the listenKey endpoints were retired:
 * requests {id, method, params} answered {id, status, result | error, rateLimits}, with the REST
 * API's request weight (shared per address; a connection costs 2), -1104 for unread parameters and
 * the same handlers; the user data stream by `userDataStream.subscribe.signature` (any key type) or
 * `session.logon` (Ed25519) then `userDataStream.subscribe`, delivering {subscriptionId, event}.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ExchangeError, type EngineEvent } from '../engine/types.js';
import { checkSigned, type SimAccount } from './accounts.js';
import { BINANCE_WS_METHODS, notSupported } from './binance-surface.js';
import type { SimContext } from './context.js';
import { startHeartbeat, type HeartbeatOptions } from './heartbeat.js';
import type { Faults } from './faults.js';
import { RateLimitError } from './limits.js';
import { WS_METHODS, type WsSession } from './ws-methods.js';
import { Params, checkKnownParams } from './params.js';
import type { RestApi } from './rest.js';
import { SIGNED_PARAMS, weightOf } from './routes.js';
import { wsApiPayload } from './signing.js';
import { accountPosition, executionReport, listStatus } from './user-stream.js';

const REQUEST_ID = /^[a-zA-Z0-9-_]{1,36}$/;
const I64 = 2 ** 63;

interface Session extends WsSession {
  socket: WebSocket;
  client: string;
}

export interface WsApiOptions {
  rest: RestApi;
  /** Injected delays of answers (tests of clients' recovery: a session that closes mid-request). */
  faults?: Faults;
  heartbeat?: HeartbeatOptions;
}

type RequestId = string | number | null;

export class WsApi {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly sessions = new Set<Session>();
  private readonly ctx: SimContext;
  private readonly stopHeartbeat: () => void;
  private readonly faults: Faults | undefined;

  constructor(opts: WsApiOptions) {
    this.ctx = opts.rest.context;
    this.faults = opts.faults;
    this.stopHeartbeat = startHeartbeat(this.wss, opts.heartbeat);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim');
    } catch {
      return false;
    }
    if (url.pathname !== '/ws-api/v3') return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.wss.emit('connection', ws, req);
      const session: Session = {
        socket: ws,
        client: req.socket.remoteAddress ?? '',
        account: undefined,
        authorizedSince: undefined,
        connectedSince: this.ctx.now(),
        subscriptions: new Map(),
        sessionSubscription: undefined,
        nextSubscriptionId: 0,
        rateLimitsByDefault: url.searchParams.get('returnRateLimits') !== 'false',
      };
      try {
        this.ctx.limits.spend(session.client, 2); // a connection costs 2 weight
      } catch {
        // Counted; the requests that follow get the 429.
      }
      this.sessions.add(session);
      ws.on('message', (data, isBinary) => this.request(session, isBinary ? '' : data.toString()));
      ws.on('close', () => this.sessions.delete(session));
      ws.on('error', () => ws.terminate());
    });
    return true;
  }

  private request(session: Session, text: string): void {
    const delay = this.faults?.takeDelay('ws') ?? 0;
    const send = (body: unknown) => {
      const text = JSON.stringify(body);
      if (delay > 0) setTimeout(() => session.socket.readyState === session.socket.OPEN && session.socket.send(text), delay);
      else session.socket.send(text);
    };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      send({ id: null, status: 400, error: { code: -1135, msg: 'Invalid JSON request.' } });
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      send({ id: null, status: 400, error: { code: -1135, msg: 'Invalid JSON request.' } });
      return;
    }
    const { id: rawId, method, params } = parsed as { id?: unknown; method?: unknown; params?: unknown };
    const id = requestId(rawId);
    if (id === undefined) {
      send({ id: null, status: 400, error: { code: -1100, msg: `Illegal characters found in parameter 'id'; legal range is '${REQUEST_ID.source}'.` } });
      return;
    }
    if (typeof method !== 'string') {
      send({ id, status: 400, error: { code: -1102, msg: "Mandatory parameter 'method' was not sent, was empty/null, or malformed." } });
      return;
    }
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      send({ id, status: 400, error: { code: -1135, msg: "Invalid 'params' in JSON request; expected an object." } });
      return;
    }
    const raw = (params ?? {}) as Record<string, unknown>;
    let showLimits = session.rateLimitsByDefault;
    let ordersCounted: number | undefined;
    const rateLimits = () => ({
      rateLimits: [
        ...(ordersCounted !== undefined ? [{ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.ctx.limits.orderLimit, count: ordersCounted }] : []),
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.ctx.limits.weightLimit, count: this.ctx.limits.weightUsed(session.client) },
      ],
    });
    try {
      const p = Params.fromJson(raw);
      if (p.has('returnRateLimits')) showLimits = p.oneOf('returnRateLimits', ['true', 'false'] as const) === 'true';
      const name = method.startsWith('v3/') ? method.slice(3) : method;
      const m = Object.hasOwn(WS_METHODS, name) ? WS_METHODS[name]! : undefined;
      if (!m) throw BINANCE_WS_METHODS.includes(name) ? notSupported() : new ExchangeError(-1020, `Unknown method: '${method.slice(0, 100)}'.`);
      this.ctx.limits.spend(session.client, weightOf(m, p));
      checkKnownParams(p, [...m.params, ...(m.auth === 'none' || m.auth === 'session' ? [] : ['apiKey', ...SIGNED_PARAMS]), 'returnRateLimits']);
      let account: SimAccount | undefined;
      if (m.auth === 'signed' || m.auth === 'signed-or-session') account = this.signed(session, raw, p, m.auth === 'signed-or-session');
      let refused: RateLimitError | undefined;
      if (m.placesOrder) {
        const counted = this.ctx.limits.countRequest(account!.name, m);
        ordersCounted = counted.count;
        refused = counted.refused;
      }
      const result = m.run(this.ctx, session, p, account!, refused);
      if (m.freeOnSuccess) this.ctx.limits.refund(session.client, weightOf(m, p));
      send({ id, status: 200, result, ...(showLimits ? rateLimits() : {}) });
    } catch (err) {
      if (!(err instanceof ExchangeError)) {
        send({ id, status: 500, error: { code: -1000, msg: 'An unknown error occurred while processing the request.' } });
        return;
      }
      const data = err instanceof RateLimitError ? { data: { serverTime: this.ctx.now(), retryAfter: err.retryAt } } : {};
      if (err.data !== undefined) Object.assign(data, { data: err.data });
      send({ id, status: err.httpStatus, error: { code: err.code, msg: err.message, ...data }, ...(showLimits ? rateLimits() : {}) });
    }
  }

  /** The request's account: its own signature, or (when allowed) the logged-on session's. */
  private signed(session: Session, raw: Record<string, unknown>, p: Params, sessionOk: boolean): SimAccount {
    if (sessionOk && session.account && !p.has('signature')) return session.account;
    const account = this.ctx.accounts.of(p.optional('apiKey'));
    checkSigned(account, p, wsApiPayload(raw as Record<string, string | number | boolean>), p.optional('signature'), this.ctx.now());
    return account;
  }

  /** Delivers user data events to the subscriptions of the accounts they concern. */
  publish(events: EngineEvent[]): void {
    if (this.sessions.size === 0) return;
    for (const ev of events) {
      let account: string;
      let event: unknown;
      if (ev.kind === 'execution') {
        account = ev.order.account;
        event = executionReport(ev);
      } else if (ev.kind === 'balances') {
        account = ev.account;
        event = accountPosition(ev);
      } else if (ev.kind === 'listStatus') {
        account = ev.list.account;
        event = listStatus(ev);
      } else continue;
      for (const s of this.sessions) {
        for (const [subscriptionId, name] of s.subscriptions) if (name === account) s.socket.send(JSON.stringify({ subscriptionId, event }));
      }
    }
  }

  /** Binance's serverShutdown event, on every session. */
  serverShutdown(): void {
    const event = JSON.stringify({ event: { e: 'serverShutdown', E: this.ctx.now() } });
    for (const s of this.sessions) s.socket.send(event);
  }

  dropAll(): void {
    for (const s of this.sessions) s.socket.terminate();
    this.sessions.clear();
  }

  close(): void {
    this.stopHeartbeat();
    this.dropAll();
    this.wss.close();
  }
}

/** A request id as Binance accepts it (64-bit integer, up to 36 of [a-zA-Z0-9-_], or null); undefined if not. */
function requestId(id: unknown): RequestId | undefined {
  if (id === undefined || id === null) return null;
  if (typeof id === 'number') return Number.isInteger(id) && Math.abs(id) < I64 ? id : undefined;
  if (typeof id === 'string') return REQUEST_ID.test(id) ? id : undefined;
  return undefined;
}
