/**
 * ccxt pro's binance, as a Node user would set it up, pointed at the benches' local servers instead
 * of Binance: `rest` for the REST API (public and private), `stream` for the market streams (raw
 * `/ws`), `wsApi` for the WebSocket API. ccxt's own throttle is off: it would hold requests back by
 * design, not by cost.
 */
import type { pro } from 'ccxt';

export type CcxtBinance = InstanceType<(typeof pro)['binance']>;

export async function ccxtBinance(opts: { rest: string; stream?: string; wsApi?: string; apiKey?: string; secret?: string }): Promise<CcxtBinance> {
  const { default: ccxt } = await import('ccxt');
  const ex = new ccxt.pro.binance({
    ...(opts.apiKey ? { apiKey: opts.apiKey, secret: opts.secret } : {}),
    enableRateLimit: false,
    options: { fetchMarkets: { types: ['spot'] }, fetchMargins: false, fetchCurrencies: false, adjustForTimeDifference: false, warnOnFetchOpenOrdersWithoutSymbol: false },
  });
  const api = ex.urls.api as Record<string, unknown> & { ws: Record<string, unknown> };
  api.public = `${opts.rest}/api/v3`;
  api.private = `${opts.rest}/api/v3`;
  api.v1 = `${opts.rest}/api/v1`;
  if (opts.stream) api.ws.spot = opts.stream;
  if (opts.wsApi) api.ws['ws-api'] = { ...(api.ws['ws-api'] as object), spot: opts.wsApi };
  // ccxt's rule for plain ws:// URLs: its http agent loaded first (a loopback server, not a proxy).
  await ex.loadHttpProxyAgent();
  return ex;
}
