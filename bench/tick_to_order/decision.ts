/**
 * bench:tick_to_order's trading decision, the same for the kungfu-ts strategy (strategy.ts) and
 * the ccxt bot (ccxt-bot.ts): on every update of the BTCUSDT book, a limit buy of VOLUME at
 * BELOW_BID_PERCENT under the best bid, on the tick grid (it rests: nothing sells that low); then,
 * once more than MAX_OPEN of its orders are open, a cancel of the oldest, sent after the new order
 * so it never delays it. The open orders stay far below the ledger's and the exchange's limits.
 */
export const SYMBOL = 'BTCUSDT';
export const VOLUME = '0.0002';
export const BELOW_BID_PERCENT = 5;
export const MAX_OPEN = 4;

/** The order's price from the best bid, in exact decimals (8-decimal fixed point, src/model/decimal.ts). */
export function restingBid(bestBid: bigint, tick: bigint): bigint {
  const price = (bestBid * BigInt(100 - BELOW_BID_PERCENT)) / 100n;
  return price - (price % tick);
}

/** The same in floats, as a ccxt user writes it (ccxt rounds the price to the market's precision). */
export function restingBidFloat(bestBid: number, tick: number): number {
  return Math.floor((bestBid * (100 - BELOW_BID_PERCENT)) / 100 / tick) * tick;
}
