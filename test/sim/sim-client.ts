/** A small Binance REST client for the sim tests: public and HMAC-signed calls, status and body kept. */
import { hmacSignature } from '../../src/sim/api/signing.js';
import { DEMO_ACCOUNT } from '../../src/sim/sim-server.js';

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

export function restClient(base: string, account: { apiKey: string; hmacSecret?: string } = DEMO_ACCOUNT) {
  const call = async (method: string, path: string, query = ''): Promise<Reply> => {
    const res = await fetch(`${base}${path}${query ? `?${query}` : ''}`, { method, headers: { 'X-MBX-APIKEY': account.apiKey } });
    return { status: res.status, body: await res.json(), headers: res.headers };
  };
  return {
    get: (path: string, params: Record<string, string> = {}) => call('GET', path, new URLSearchParams(params).toString()),
    signed: (method: string, path: string, params: Record<string, string> = {}) => {
      const query = new URLSearchParams({ ...params, timestamp: String(Date.now()) }).toString();
      return call(method, path, `${query}&signature=${hmacSignature(account.hmacSecret!, query)}`);
    },
  };
}

export const errorOf = (r: Reply) => [r.status, r.body.code, r.body.msg];
