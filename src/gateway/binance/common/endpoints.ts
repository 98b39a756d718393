/**
 * Where a Binance gateway connects: REST, market streams and the WS API base URLs. Real Binance by
 * default, presets for the Spot Testnet and for `kfc sim`, or any URLs (configuration), so the same
 * gateway code runs against each (../shared/reference/binance-spot.md, "Base URLs").
 */
export interface BinanceEndpoints {
  /** REST base, e.g. https://api.binance.com */
  rest: string;
  /** Market streams base, e.g. wss://stream.binance.com:9443 (paths /ws, /stream appended) */
  stream: string;
  /** WS API URL, e.g. wss://ws-api.binance.com:443/ws-api/v3 */
  wsApi: string;
}

export const PRESETS = {
  production: { rest: 'https://api.binance.com', stream: 'wss://stream.binance.com:9443', wsApi: 'wss://ws-api.binance.com:443/ws-api/v3' },
  testnet: { rest: 'https://testnet.binance.vision', stream: 'wss://stream.testnet.binance.vision', wsApi: 'wss://ws-api.testnet.binance.vision/ws-api/v3' },
} as const satisfies Record<string, BinanceEndpoints>;

export type PresetName = keyof typeof PRESETS | 'sim';

/** The endpoints of `kfc sim` on a host and port (default 127.0.0.1:8500). */
export function simEndpoints(host = '127.0.0.1', port = 8500): BinanceEndpoints {
  return { rest: `http://${host}:${port}`, stream: `ws://${host}:${port}`, wsApi: `ws://${host}:${port}/ws-api/v3` };
}

/** A preset by name: production, testnet, sim (or sim:<port>, sim:<host>:<port>). */
export function preset(name: string): BinanceEndpoints | undefined {
  if (name === 'production' || name === 'testnet') return { ...PRESETS[name] };
  const sim = /^sim(?::(?:([^:]+):)?(\d{1,5}))?$/.exec(name);
  if (sim) return simEndpoints(sim[1] ?? '127.0.0.1', sim[2] ? Number(sim[2]) : 8500);
  return undefined;
}

/** Checks that each URL has the scheme its use needs; returns the problem, or undefined. */
export function endpointProblem(e: BinanceEndpoints): string | undefined {
  const check = (what: string, url: string, schemes: string[]) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `${what} "${url}" is not a URL`;
    }
    return schemes.includes(parsed.protocol) ? undefined : `${what} "${url}" must start with ${schemes.map((s) => `${s}//`).join(' or ')}`;
  };
  return check('rest', e.rest, ['https:', 'http:']) ?? check('stream', e.stream, ['wss:', 'ws:']) ?? check('wsApi', e.wsApi, ['wss:', 'ws:']);
}
