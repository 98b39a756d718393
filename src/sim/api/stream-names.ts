/**
 * Market stream names the sim serves, in one table (parsed from it, and printed from it into the
 * README): `<symbol>@<kind>[...]`, symbols in lower case, and `!miniTicker@arr`. A name not in the
 * table is an invalid stream name, as on Binance (which retired `!bookTicker` in 2022 and
 * `!ticker@arr` in 2025).
 */
import type { KlineInterval } from '../engine/klines.js';
import { isKlineInterval, zoneOffset } from './market-json.js';

/** The rolling windows of `<symbol>@ticker_<window>`. */
export const TICKER_WINDOWS = ['1h', '4h', '1d'] as const;
export type TickerWindow = (typeof TICKER_WINDOWS)[number];

export type StreamName =
  | { symbol: string; kind: 'trade' | 'aggTrade' | 'bookTicker' | 'ticker' | 'miniTicker' | 'avgPrice' }
  | { symbol: string; kind: 'depth'; speed: 100 | 1000 }
  | { symbol: string; kind: 'partialDepth'; levels: 5 | 10 | 20; speed: 100 | 1000 }
  | { symbol: string; kind: 'windowTicker'; window: TickerWindow }
  | { symbol: ''; kind: 'allMiniTickers' }
  | { symbol: string; kind: 'kline'; interval: KlineInterval; offset: number };

export interface StreamKind {
  /** The name's form, as the README shows it. */
  form: string;
  /** What it carries and how often. */
  about: string;
  re: RegExp;
  parse: (m: RegExpExecArray) => StreamName | undefined;
}

const SYMBOL = '([a-z0-9]+)';
const speed = (text: string | undefined): 100 | 1000 => (text === '@100ms' ? 100 : 1000);
const simple = (kind: 'trade' | 'aggTrade' | 'bookTicker' | 'ticker' | 'miniTicker' | 'avgPrice', about: string): StreamKind => ({
  form: `<symbol>@${kind}`,
  about,
  re: new RegExp(`^${SYMBOL}@${kind}$`),
  parse: (m) => ({ symbol: m[1]!.toUpperCase(), kind }),
});

export const STREAM_KINDS: readonly StreamKind[] = [
  simple('trade', 'each trade, real time'),
  simple('aggTrade', "each taker order's trades at one price, real time"),
  simple('bookTicker', 'best bid and ask, on each change'),
  simple('ticker', '24-hour rolling statistics, every second'),
  simple('miniTicker', '24-hour rolling mini ticker, every second'),
  {
    form: '!miniTicker@arr',
    about: 'mini tickers of the symbols that traded, every second',
    re: /^!miniTicker@arr$/,
    parse: () => ({ symbol: '', kind: 'allMiniTickers' }),
  },
  {
    form: '<symbol>@ticker_<window>',
    about: `rolling window statistics (${TICKER_WINDOWS.join(', ')}), every second`,
    re: new RegExp(`^${SYMBOL}@ticker_(${TICKER_WINDOWS.join('|')})$`),
    parse: (m) => ({ symbol: m[1]!.toUpperCase(), kind: 'windowTicker', window: m[2] as TickerWindow }),
  },
  simple('avgPrice', 'the average price (5 minutes), every second'),
  {
    form: '<symbol>@depth[@100ms|@1000ms]',
    about: 'order book diffs (U/u sequencing), every second or 100 ms',
    re: new RegExp(`^${SYMBOL}@depth(@100ms|@1000ms)?$`),
    parse: (m) => ({ symbol: m[1]!.toUpperCase(), kind: 'depth', speed: speed(m[2]) }),
  },
  {
    form: '<symbol>@depth<5|10|20>[@100ms|@1000ms]',
    about: 'the top levels, every second or 100 ms',
    re: new RegExp(`^${SYMBOL}@depth(5|10|20)(@100ms|@1000ms)?$`),
    parse: (m) => ({ symbol: m[1]!.toUpperCase(), kind: 'partialDepth', levels: Number(m[2]) as 5 | 10 | 20, speed: speed(m[3]) }),
  },
  {
    form: '<symbol>@kline_<interval>[@+hh:mm]',
    about: 'the current kline, every second (1s) or 2 s; x once closed',
    re: new RegExp(`^${SYMBOL}@kline_([0-9]{1,2}[smhdwM])(?:@([+-][0-9]{2}:[0-9]{2}))?$`),
    parse: (m) => {
      if (!isKlineInterval(m[2]!)) return undefined;
      const offset = m[3] === undefined ? 0 : zoneOffset(m[3]);
      return offset === undefined ? undefined : { symbol: m[1]!.toUpperCase(), kind: 'kline', interval: m[2], offset };
    },
  },
];

export function parseStream(stream: string): StreamName | undefined {
  for (const kind of STREAM_KINDS) {
    const m = kind.re.exec(stream);
    if (m) return kind.parse(m);
  }
  return undefined;
}
