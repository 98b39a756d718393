/**
 * `GET /api/v3/exchangeInfo` -> Instrument events, one per symbol, with every symbol filter of
 * Binance's filters.md. Pure. A symbol whose entry is malformed is skipped and reported (the
 * others still load); a filter type we do not know is ignored (Binance adds filters over time).
 */
import { InstrumentStatus } from '../../../model/enums.js';
import { Instrument, type InstrumentEvent } from '../../../model/events.js';
import { EXCHANGE, MappingError, int, record, symbolOf, units } from './mapping.js';

const STATUS: Record<string, number> = {
  TRADING: InstrumentStatus.Trading,
  HALT: InstrumentStatus.Halted,
  BREAK: InstrumentStatus.Break,
  END_OF_DAY: InstrumentStatus.EndOfDay,
  CANCEL_ONLY: InstrumentStatus.CancelOnly,
};

const ASSET_RE = /^[A-Za-z0-9]{1,16}$/;
const K = 'exchangeInfo';

/** Binance caps a whole exchangeInfo at a few thousand symbols; refuse absurd answers. */
const MAX_SYMBOLS = 20_000;

function asset(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || !ASSET_RE.test(v)) throw new MappingError(K, `${K}: ${key} must be an asset name`);
  return v;
}

function precision(o: Record<string, unknown>, key: string): number {
  const v = int(o, key, K);
  if (v > 8) throw new MappingError(K, `${K}: ${key} ${v} is more than 8 decimals`);
  return v;
}

const dec = (f: Record<string, unknown>, key: string) => BigInt(units(f, key, K));
const u32 = (f: Record<string, unknown>, key: string) => {
  const v = int(f, key, K);
  if (v > 0xffffffff) throw new MappingError(K, `${K}: ${key} ${v} is out of range`);
  return v;
};
const flag = (f: Record<string, unknown>, key: string) => {
  if (typeof f[key] !== 'boolean') throw new MappingError(K, `${K}: ${key} must be true or false`);
  return f[key] as boolean;
};

/** Fills `ins` from one filter of a symbol's `filters` list. */
function applyFilter(ins: InstrumentEvent, f: Record<string, unknown>): void {
  switch (f.filterType) {
    case 'PRICE_FILTER':
      ins.min_price = dec(f, 'minPrice');
      ins.max_price = dec(f, 'maxPrice');
      ins.tick_size = dec(f, 'tickSize');
      return;
    case 'LOT_SIZE':
      ins.min_qty = dec(f, 'minQty');
      ins.max_qty = dec(f, 'maxQty');
      ins.step_size = dec(f, 'stepSize');
      return;
    case 'NOTIONAL':
      ins.min_notional = dec(f, 'minNotional');
      ins.max_notional = dec(f, 'maxNotional');
      ins.apply_min_to_market = flag(f, 'applyMinToMarket');
      ins.apply_max_to_market = flag(f, 'applyMaxToMarket');
      ins.notional_avg_price_mins = u32(f, 'avgPriceMins');
      return;
    case 'MIN_NOTIONAL': // the older filter; NOTIONAL replaces it
      ins.min_notional = dec(f, 'minNotional');
      ins.apply_min_to_market = flag(f, 'applyToMarket');
      ins.notional_avg_price_mins = u32(f, 'avgPriceMins');
      return;
    case 'MARKET_LOT_SIZE':
      ins.market_min_qty = dec(f, 'minQty');
      ins.market_max_qty = dec(f, 'maxQty');
      ins.market_step_size = dec(f, 'stepSize');
      return;
    case 'PERCENT_PRICE':
      ins.multiplier_up = dec(f, 'multiplierUp');
      ins.multiplier_down = dec(f, 'multiplierDown');
      ins.percent_price_avg_price_mins = u32(f, 'avgPriceMins');
      return;
    case 'PERCENT_PRICE_BY_SIDE':
      ins.bid_multiplier_up = dec(f, 'bidMultiplierUp');
      ins.bid_multiplier_down = dec(f, 'bidMultiplierDown');
      ins.ask_multiplier_up = dec(f, 'askMultiplierUp');
      ins.ask_multiplier_down = dec(f, 'askMultiplierDown');
      ins.percent_price_avg_price_mins = u32(f, 'avgPriceMins');
      return;
    case 'MAX_POSITION':
      ins.max_position = dec(f, 'maxPosition');
      return;
    case 'ICEBERG_PARTS':
      ins.iceberg_parts = u32(f, 'limit');
      return;
    case 'MAX_NUM_ORDERS':
      ins.max_num_orders = u32(f, 'maxNumOrders');
      return;
    case 'MAX_NUM_ALGO_ORDERS':
      ins.max_num_algo_orders = u32(f, 'maxNumAlgoOrders');
      return;
    case 'MAX_NUM_ICEBERG_ORDERS':
      ins.max_num_iceberg_orders = u32(f, 'maxNumIcebergOrders');
      return;
    case 'MAX_NUM_ORDER_AMENDS':
      ins.max_num_order_amends = u32(f, 'maxNumOrderAmends');
      return;
    case 'MAX_NUM_ORDER_LISTS':
      ins.max_num_order_lists = u32(f, 'maxNumOrderLists');
      return;
    case 'TRAILING_DELTA':
      ins.min_trailing_above_delta = u32(f, 'minTrailingAboveDelta');
      ins.max_trailing_above_delta = u32(f, 'maxTrailingAboveDelta');
      ins.min_trailing_below_delta = u32(f, 'minTrailingBelowDelta');
      ins.max_trailing_below_delta = u32(f, 'maxTrailingBelowDelta');
      return;
    default:
      return; // a filter this build does not know: Binance adds some now and then
  }
}

/** One symbol of exchangeInfo. Throws MappingError when it is malformed. */
export function mapSymbol(value: unknown): InstrumentEvent {
  const o = record(value, K);
  const ins = Instrument.empty();
  ins.symbol = symbolOf(o, 'symbol', K);
  ins.exchange = EXCHANGE;
  ins.base_asset = asset(o, 'baseAsset');
  ins.quote_asset = asset(o, 'quoteAsset');
  const status = STATUS[String(o.status)];
  ins.status = status ?? InstrumentStatus.Halted; // an unknown status: do not trade on it
  ins.base_precision = precision(o, 'baseAssetPrecision');
  ins.quote_precision = precision(o, 'quoteAssetPrecision');
  if (!Array.isArray(o.filters)) throw new MappingError(K, `${K}: ${ins.symbol}: filters must be an array`);
  for (const f of o.filters) applyFilter(ins, record(f, K));
  if (ins.tick_size <= 0n) throw new MappingError(K, `${K}: ${ins.symbol} has no PRICE_FILTER tickSize: its prices cannot be put on a grid`);
  return ins;
}

export interface Instruments {
  instruments: InstrumentEvent[];
  /** Symbols skipped, with why. */
  skipped: { symbol: string; reason: string }[];
}

/** The whole exchangeInfo answer. Throws MappingError when it is not one (no `symbols` list). */
export function mapExchangeInfo(body: unknown): Instruments {
  const o = record(body, K);
  if (!Array.isArray(o.symbols)) throw new MappingError(K, `${K}: the answer has no symbols list: is this a Binance API?`);
  if (o.symbols.length > MAX_SYMBOLS) throw new MappingError(K, `${K}: ${o.symbols.length} symbols, more than ${MAX_SYMBOLS}`);
  const out: Instruments = { instruments: [], skipped: [] };
  for (const s of o.symbols) {
    try {
      out.instruments.push(mapSymbol(s));
    } catch (err) {
      const name = typeof s === 'object' && s !== null && typeof (s as { symbol?: unknown }).symbol === 'string' ? String((s as { symbol: string }).symbol).slice(0, 20) : '?';
      out.skipped.push({ symbol: name, reason: (err as Error).message });
    }
  }
  return out;
}
