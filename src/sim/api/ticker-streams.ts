/**
 * The streams pushed once a second from the exchange's state, whatever changed: `<s>@ticker`,
 * `<s>@miniTicker`, `!miniTicker@arr` (the symbols that traded since the last push, as Binance
 * sends only tickers that changed), `<s>@ticker_<window>` and `<s>@avgPrice`.
 */
import type { MatchingEngine } from '../engine/engine.js';
import { openTimeOf } from '../engine/klines.js';
import type { Tape } from '../engine/tape.js';
import type { StreamName } from './stream-names.js';
import { miniTickerEvent, tickerStreamEvent, windowTickerEvent } from './ticker.js';
import { amount } from './wire.js';

const WINDOW_MS = { '1h': 3_600_000, '4h': 4 * 3_600_000, '1d': 86_400_000 } as const;

export interface PeriodicSource {
  engine: MatchingEngine;
  tape: Tape;
  /** Symbols with a trade since the last push. */
  traded: ReadonlySet<string>;
}

/** The event a once-a-second stream carries now; undefined for other streams (or an empty !miniTicker@arr). */
export function periodicEvent(name: StreamName, src: PeriodicSource, now: number): unknown {
  switch (name.kind) {
    case 'ticker':
      return tickerStreamEvent(src.tape, src.engine, name.symbol, now);
    case 'miniTicker':
      return miniTickerEvent(src.tape, name.symbol, now);
    case 'allMiniTickers': {
      const changed = src.engine.symbols.filter((s) => src.traded.has(s.symbol)).map((s) => miniTickerEvent(src.tape, s.symbol, now));
      return changed.length > 0 ? changed : undefined;
    }
    case 'windowTicker':
      return windowTickerEvent(src.tape.rolling(name.symbol, openTimeOf('1m', now - WINDOW_MS[name.window])), name.window, now);
    case 'avgPrice': {
      const a = src.engine.avgPrice(name.symbol);
      return { e: 'avgPrice', E: now, s: name.symbol, i: `${a.mins}m`, w: amount(a.price), T: a.closeTime };
    }
    default:
      return undefined;
  }
}
