/**
 * Which symbols a market data request is about, as Binance reads it: `symbol`, or `symbols` (a JSON
 * array, `["BTCUSDT","ETHUSDT"]`, URL-encoded or not; an array in WS API params), or every symbol;
 * never both (-1128). `symbolStatus` (TRADING, HALT, BREAK; -1122 otherwise) filters a list and is
 * -1220 for a single symbol whose status differs. Every symbol of the sim is TRADING.
 */
import { ExchangeError } from '../engine/types.js';
import { symbolOf, type SimContext } from './context.js';
import { illegal, type Params } from './params.js';

const SYMBOL_NAME = '[A-Z0-9-_.]{1,20}';
/** Binance's own legal range for `symbols`, quoted in its -1100 message. */
export const SYMBOLS_RANGE = `^\\[("${SYMBOL_NAME}"(,"${SYMBOL_NAME}"){0,}){0,1}\\]$`;
const SYMBOLS_RE = new RegExp(SYMBOLS_RANGE);
const STATUSES = ['TRADING', 'HALT', 'BREAK'] as const;
const SIM_STATUS = 'TRADING';

export interface Selection {
  symbols: string[];
  /** `symbol` was sent: the answer is one object, not an array. */
  single: boolean;
}

export interface SelectOptions {
  /** `symbol` or `symbols` must be sent (ticker, ticker/tradingDay). */
  required?: boolean;
  /** Most symbols in `symbols` (100 for the rolling and trading-day tickers). */
  max?: number;
  /** The endpoint takes `symbolStatus`. */
  status?: boolean;
}

/** The symbols of a `symbols` parameter, checked (-1100 malformed, -1151 repeated, -1101 too many, -1121 unknown). */
export function parseSymbols(ctx: SimContext, text: string, max = Infinity): string[] {
  if (!SYMBOLS_RE.test(text)) throw illegal('symbols', SYMBOLS_RANGE);
  const list = JSON.parse(text) as string[];
  if (list.length === 0) throw new ExchangeError(-1102, "Mandatory parameter 'symbols' was not sent, was empty/null, or malformed.");
  if (new Set(list).size !== list.length) throw new ExchangeError(-1151, 'Symbol is present multiple times in the list.');
  if (list.length > max) throw new ExchangeError(-1101, `Too many values sent for parameter 'symbols', max allowed is ${max}.`);
  for (const s of list) ctx.engine.spec(s);
  return list;
}

/** How many symbols a request names (for weights, before it is validated): 1 for `symbol`, the array's length for `symbols`, undefined for all. */
export function symbolCount(p: Params): number | undefined {
  if (p.has('symbol')) return 1;
  const text = p.optional('symbols');
  if (text === undefined) return undefined;
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? Math.max(1, list.length) : 1;
  } catch {
    return 1;
  }
}

export function selectSymbols(ctx: SimContext, p: Params, opts: SelectOptions = {}): Selection {
  if (p.has('symbol') && p.has('symbols')) throw new ExchangeError(-1128, 'Combination of optional parameters invalid.');
  const status = opts.status ? p.optional('symbolStatus') : undefined;
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw new ExchangeError(-1122, 'Invalid symbolStatus.');
  const matches = status === undefined || status === SIM_STATUS;
  if (p.has('symbol')) {
    const symbol = symbolOf(ctx, p);
    if (!matches) throw new ExchangeError(-1220, "The symbol's status does not match the requested symbolStatus.");
    return { symbols: [symbol], single: true };
  }
  const text = p.optional('symbols');
  if (text !== undefined) return { symbols: matches ? parseSymbols(ctx, text, opts.max) : [], single: false };
  if (opts.required) throw new ExchangeError(-1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!");
  return { symbols: matches ? ctx.engine.symbols.map((s) => s.symbol) : [], single: false };
}

/** One object for `symbol`, an array otherwise. */
export function perSelected(sel: Selection, one: (symbol: string) => unknown): unknown {
  return sel.single ? one(sel.symbols[0]!) : sel.symbols.map(one);
}
