/**
 * bench:tick_to_order's strategy (run by `kfc strategy -p`): decision.ts on every Depth of a live
 * book. The account is KF_BENCH_ACCOUNT (the bench gives each run its own).
 */
import { BookState } from '../../src/model/enums.js';
import type { Context, Decimal, DepthEvent } from '../../src/strategy/api.js';
import { MAX_OPEN, SYMBOL, VOLUME, restingBid } from './decision.js';

const account = process.env.KF_BENCH_ACCOUNT ?? 'bench';
/** Its orders, oldest first, until cancelled. */
const open: bigint[] = [];
let volume: Decimal = 0n;

export function preStart(ctx: Context): void {
  ctx.addAccount('binance', account);
  ctx.subscribe('binance', SYMBOL, 'depth', { depthLevels: 20 });
  volume = ctx.dec(VOLUME);
}

export function onDepth(ctx: Context, d: DepthEvent): void {
  if (d.state !== BookState.Live || d.bid_levels === 0) return;
  const instrument = ctx.getInstrument(SYMBOL);
  if (!instrument) return;
  open.push(ctx.insertOrder({ symbol: SYMBOL, account, side: 'buy', price: restingBid(d.bid_price[0]!, instrument.tickSize), volume }));
  if (open.length > MAX_OPEN) ctx.cancelOrder(open.shift()!);
}
