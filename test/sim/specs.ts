/** Symbol specs the sim tests share: a BTCUSDT like Binance's, and an ETHBTC whose price x quantity needs 9 decimals. */
import { parseDecimal as d } from '../../src/model/decimal.js';
import type { SymbolSpec } from '../../src/sim/engine/types.js';

export const BTCUSDT: SymbolSpec = {
  symbol: 'BTCUSDT',
  baseAsset: 'BTC',
  quoteAsset: 'USDT',
  basePrecision: 8,
  quotePrecision: 8,
  minPrice: d('0.01'),
  maxPrice: d('1000000'),
  tickSize: d('0.01'),
  minQty: d('0.00001'),
  maxQty: d('9000'),
  stepSize: d('0.00001'),
  minNotional: d('5'),
  maxNotional: d('9000000'),
  applyMinToMarket: true,
  applyMaxToMarket: false,
};

/** Tick 0.00001 x step 0.0001: fill amounts round to 8 decimals. */
export const ETHBTC: SymbolSpec = {
  symbol: 'ETHBTC',
  baseAsset: 'ETH',
  quoteAsset: 'BTC',
  basePrecision: 8,
  quotePrecision: 8,
  minPrice: d('0.00001'),
  maxPrice: d('1000'),
  tickSize: d('0.00001'),
  minQty: d('0.0001'),
  maxQty: d('100000'),
  stepSize: d('0.0001'),
  minNotional: d('0.0001'),
  maxNotional: d('9000000'),
  applyMinToMarket: true,
  applyMaxToMarket: false,
};
