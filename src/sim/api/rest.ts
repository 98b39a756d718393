/**
 * The simulated exchange's REST API under /api/v3, as Binance Spot answers it: the endpoints of
 * routes.ts with Binance's parameter rules, security (X-MBX-APIKEY, HMAC-SHA256 or Ed25519
 * signatures, timestamp/recvWindow), error codes and messages, and the weight and order-count
 * headers. Any input gets a Binance error, never a 500 (a 5xx means "outcome unknown" to clients).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MatchingEngine } from '../engine/engine.js';
import { Tape } from '../engine/tape.js';
import { ExchangeError, type EngineEvent } from '../engine/types.js';
import { Accounts, checkSigned, type SimAccount } from './accounts.js';
import { BINANCE_REST, notSupported } from './binance-surface.js';
import type { SimContext } from './context.js';
import type { Faults } from './faults.js';
import { RateLimitError, RateLimits } from './limits.js';
import { Params, checkKnownParams } from './params.js';
import { REST_ROUTES, SIGNED_PARAMS, weightOf, type Route } from './routes.js';
import { restPayload } from './signing.js';

export { keyTypeOf, type SimAccount } from './accounts.js';

export interface RestOptions {
  engine: MatchingEngine;
  accounts: SimAccount[];
  /** REQUEST_WEIGHT per minute per client address (Binance: 6000). */
  weightLimit?: number;
  /** New orders per account per 10 s (Binance: 100). */
  orderLimit?: number;
  now?: () => number;
  /** Receives what each order operation changed (for the market and user data streams). */
  onEvents?: (events: EngineEvent[]) => void;
  /** Injected failures and delays (tests of clients' recovery). */
  faults?: Faults;
  /** Public trades, candles and 24h statistics. */
  tape?: Tape;
}

const MAX_BODY = 64 * 1024;
const UNKNOWN = { code: -1000, msg: 'An unknown error occurred while processing the request.' };

export class RestApi {
  /** Shared with the WS API: the same state, limits and handlers. */
  readonly context: SimContext;
  private readonly routes = new Map<string, Route>(REST_ROUTES.map((r) => [`${r.method} ${r.path}`, r]));

  constructor(private readonly opts: RestOptions) {
    const now = opts.now ?? Date.now;
    this.context = {
      engine: opts.engine,
      tape: opts.tape ?? new Tape(now),
      limits: new RateLimits({ now, ...(opts.weightLimit !== undefined ? { weightLimit: opts.weightLimit } : {}), ...(opts.orderLimit !== undefined ? { orderLimit: opts.orderLimit } : {}) }),
      accounts: new Accounts(opts.accounts),
      now,
      publish: (events) => opts.onEvents?.(events),
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
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8' };
      const delay = this.opts.faults?.takeDelay() ?? 0;
      const send = (status: number, body: unknown) => {
        const write = () => {
          if (res.destroyed) return;
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
        if (injected === 418) headers['retry-after'] = '2';
        const limited = injected === 429 || injected === 418;
        send(injected, limited ? { code: -1003, msg: `${injected === 418 ? 'Way too much request weight used; IP banned' : 'Too much request weight used'}; injected by the simulator.` } : UNKNOWN);
        return;
      }
      try {
        if (size > MAX_BODY) throw new ExchangeError(-1104, `Not all sent parameters were read; request body larger than ${MAX_BODY} bytes.`, 413);
        send(200, this.serve(req, path, query, Buffer.concat(chunks).toString('utf8'), headers));
      } catch (err) {
        if (err instanceof RateLimitError) headers['retry-after'] = String(Math.max(1, Math.ceil((err.retryAt - this.context.now()) / 1000)));
        if (err instanceof ExchangeError) send(err.httpStatus, { code: err.code, msg: err.message, ...(err.data !== undefined ? { data: err.data } : {}) });
        else send(500, UNKNOWN);
      }
    });
    return true;
  }

  private serve(req: IncomingMessage, path: string, query: string, body: string, headers: Record<string, string>): unknown {
    const { limits, accounts } = this.context;
    const route = this.routes.get(`${req.method} ${path}`);
    if (!route) {
      if (BINANCE_REST.includes(`${req.method} ${path}`)) throw notSupported();
      throw new ExchangeError(-1000, `Unknown endpoint ${req.method} ${path}.`, 404);
    }
    const client = req.socket.remoteAddress ?? '';
    let params: Params;
    try {
      params = Params.parse(query, body);
    } catch (err) {
      headers['x-mbx-used-weight-1m'] = String(limits.spend(client, weightOf(route, Params.EMPTY)));
      throw err;
    }
    try {
      headers['x-mbx-used-weight-1m'] = String(limits.spend(client, weightOf(route, params)));
    } finally {
      headers['x-mbx-used-weight-1m'] ??= String(limits.weightUsed(client));
    }
    checkKnownParams(params, route.signed ? [...route.params, ...SIGNED_PARAMS] : route.params);
    let account: SimAccount | undefined;
    if (route.signed) {
      const key = req.headers['x-mbx-apikey'];
      account = accounts.of(typeof key === 'string' ? key : undefined);
      const { payload, signature } = restPayload(query, body);
      checkSigned(account, params, payload, signature, this.context.now());
    }
    let refused: RateLimitError | undefined;
    if (route.placesOrder) {
      const counted = limits.countRequest(account!.name, route);
      headers['x-mbx-order-count-10s'] = String(counted.count);
      refused = counted.refused;
    }
    const result = route.handle(this.context, params, account!, refused);
    if (route.freeOnSuccess) headers['x-mbx-used-weight-1m'] = String(limits.refund(client, weightOf(route, params)));
    return result;
  }
}
