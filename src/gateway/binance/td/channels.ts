/**
 * How the TD talks to Binance, by kind of request:
 *
 * - Orders (place, cancel) go once, over the WS API session (default) or REST (the fallback,
 *   `orderApi: "rest"` in the account config). Never retried: an unknown outcome is settled by the
 *   user stream or a query, never by sending again.
 * - Reads (order status, trades, open orders, balances) go over REST and are retried while their
 *   outcome is unknown or the server unreachable: a read changes nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../../util/log.js';
import { BinanceApiError, RateLimited, UnknownOutcome, Unreachable } from '../common/errors.js';
import type { BinanceRest } from '../common/rest.js';
import type { WsApiSession } from './ws-api.js';

export interface OrderChannel {
  readonly name: 'ws' | 'rest';
  place(params: Record<string, string>): Promise<unknown>;
  cancel(symbol: string, origClientOrderId: string): Promise<unknown>;
}

/** Orders on the logged-on WS API session (the current one: sessions are replaced on reconnect). */
export function wsOrders(session: () => WsApiSession | undefined): OrderChannel {
  const current = (method: string) => {
    const s = session();
    if (!s?.open) throw new Unreachable(`${method}: the WS API session is not open`);
    return s;
  };
  return {
    name: 'ws',
    place: async (params) => current('order.place').request('order.place', params, { signed: true }),
    cancel: async (symbol, origClientOrderId) => current('order.cancel').request('order.cancel', { symbol, origClientOrderId }, { signed: true }),
  };
}

export function restOrders(rest: BinanceRest): OrderChannel {
  return {
    name: 'rest',
    place: (params) => rest.call('POST', '/api/v3/order', params, { signed: true, order: true }),
    cancel: (symbol, origClientOrderId) => rest.call('DELETE', '/api/v3/order', { symbol, origClientOrderId }, { signed: true, order: true }),
  };
}

/** Reads over REST, retried while the outcome is unknown or the server unreachable. */
export class Reads {
  constructor(
    private readonly rest: BinanceRest,
    private readonly log: Logger,
    private readonly attempts = 5,
  ) {}

  async get<T>(path: string, params: Record<string, string | number | undefined> = {}, signed = true): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rest.call<T>('GET', path, params, { signed });
      } catch (err) {
        const retriable = err instanceof UnknownOutcome || err instanceof Unreachable || (err instanceof RateLimited && err.status === 429);
        if (!retriable || attempt >= this.attempts) throw err;
        const waitMs = Math.min(5000, 250 * 2 ** (attempt - 1));
        this.log.info(`GET ${path}: ${(err as Error).message}; read again in ${waitMs} ms (attempt ${attempt + 1} of ${this.attempts})`);
        await sleep(waitMs);
      }
    }
  }

  /** An order by our client id (or, for orders not ours, its exchange id); undefined when the exchange has none (-2013). */
  async order(symbol: string, ref: { origClientOrderId: string } | { orderId: number }): Promise<unknown> {
    try {
      return await this.get('/api/v3/order', { symbol, ...ref });
    } catch (err) {
      if (err instanceof BinanceApiError && err.code === -2013) return undefined;
      throw err;
    }
  }
}
