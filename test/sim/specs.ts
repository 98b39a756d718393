/** Symbol specs the sim tests share: a BTCUSDT like Binance's, and an ETHBTC whose price x quantity needs 9 decimals. */
import { parseDecimal as d, ZERO } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
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

/**
 * A BTCUSDT engine without fees, on a clock that ticks 10 ms a call, with `deposits` per account,
 * whose last trade is at 60000 (`seller` sells 0.01 to `buyer`): where trigger tests start.
 */
export function engineTradedAt60000(deposits: Record<string, Record<string, string>>, seller: string, buyer: string): MatchingEngine {
  let t = 1_700_000_000_000;
  const e = new MatchingEngine([BTCUSDT], { makerRate: ZERO, takerRate: ZERO, now: () => (t += 10) });
  for (const [account, assets] of Object.entries(deposits)) for (const [asset, qty] of Object.entries(assets)) e.deposit(account, asset, d(qty));
  e.placeOrder({ account: seller, symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: d('0.01'), price: d('60000'), clientOrderId: 'm1' });
  e.placeOrder({ account: buyer, symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: d('0.01'), clientOrderId: 'm2' });
  return e;
}
