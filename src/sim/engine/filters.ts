/**
 * Binance's symbol filters (PRICE_FILTER, LOT_SIZE, NOTIONAL), checked exactly as the exchange
 * does, each failure as its -1013 error.
 */
import { mul, type Decimal } from '../../model/decimal.js';
import { ExchangeError, type SymbolSpec } from './types.js';

const filterFailure = (name: string) => new ExchangeError(-1013, `Filter failure: ${name}`);

export function checkPrice(spec: SymbolSpec, price: Decimal): void {
  if (price <= 0n) throw filterFailure('PRICE_FILTER');
  if (spec.minPrice !== 0n && price < spec.minPrice) throw filterFailure('PRICE_FILTER');
  if (spec.maxPrice !== 0n && price > spec.maxPrice) throw filterFailure('PRICE_FILTER');
  if (spec.tickSize !== 0n && (price - spec.minPrice) % spec.tickSize !== 0n) throw filterFailure('PRICE_FILTER');
}

export function checkQuantity(spec: SymbolSpec, qty: Decimal): void {
  if (qty <= 0n || qty < spec.minQty || (spec.maxQty !== 0n && qty > spec.maxQty)) throw filterFailure('LOT_SIZE');
  if (spec.stepSize !== 0n && (qty - spec.minQty) % spec.stepSize !== 0n) throw filterFailure('LOT_SIZE');
}

/** NOTIONAL for a limit order (price x quantity), or a market order at its expected average price. */
export function checkNotional(spec: SymbolSpec, notional: Decimal, market: boolean): void {
  const applyMin = !market || spec.applyMinToMarket;
  const applyMax = !market || spec.applyMaxToMarket;
  if (applyMin && notional < spec.minNotional) throw filterFailure('NOTIONAL');
  if (applyMax && spec.maxNotional !== 0n && notional > spec.maxNotional) throw filterFailure('NOTIONAL');
}

export function limitNotional(price: Decimal, qty: Decimal): Decimal {
  return mul(price, qty, 'half-even');
}
