/** Market stream names the sim serves, parsed: `<symbol>@<kind>[...]`, symbols in lower case. */
import type { KlineInterval } from '../engine/klines.js';
import { isKlineInterval, zoneOffset } from './market-json.js';

export type StreamName =
  | { symbol: string; kind: 'trade' | 'aggTrade' | 'bookTicker' | 'ticker' | 'depth' }
  | { symbol: string; kind: 'kline'; interval: KlineInterval; offset: number };

const SIMPLE_RE = /^([a-z0-9]+)@(trade|aggTrade|bookTicker|ticker|depth(?:5|10|20)?(?:@100ms)?)$/;
const KLINE_RE = /^([a-z0-9]+)@kline_([0-9]{1,2}[smhdwM])(?:@([+-][0-9]{2}:[0-9]{2}))?$/;

export function parseStream(stream: string): StreamName | undefined {
  const simple = SIMPLE_RE.exec(stream);
  if (simple) {
    const kind = simple[2]!.startsWith('depth') ? 'depth' : (simple[2] as 'trade' | 'aggTrade' | 'bookTicker' | 'ticker');
    return { symbol: simple[1]!.toUpperCase(), kind };
  }
  const kline = KLINE_RE.exec(stream);
  if (!kline || !isKlineInterval(kline[2]!)) return undefined;
  const offset = kline[3] === undefined ? 0 : zoneOffset(kline[3]);
  return offset === undefined ? undefined : { symbol: kline[1]!.toUpperCase(), kind: 'kline', interval: kline[2], offset };
}
