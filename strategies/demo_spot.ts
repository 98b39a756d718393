/**
 * demo_spot: a small market maker on BTCUSDT, the strategy `npm start` runs against the simulated
 * exchange. It keeps one bid and one ask around the mid price, a little inside the market's own
 * quotes so that takers trade with it, moves them when the mid moves, leans against what it holds
 * (no more bids once long, no more asks once short) and never quotes what it cannot pay for.
 */
import type { BookView, Context, Decimal, DepthEvent, OrderEvent, QuoteEvent, TradeEvent } from '../src/strategy/api.js';

const SOURCE = 'binance';
const ACCOUNT = 'my_account';
const SYMBOL = 'BTCUSDT';

/** Distance of each quote from the mid, as a fraction of the mid (1 bp). */
const HALF_SPREAD_BP = 1n;
/** Base quantity of each quote, and the most the demo will hold either way. */
const SIZE = '0.001';
const MAX_INVENTORY = '0.005';
/** Re-quote when the mid moved this many half spreads, and not more often than this (ms). */
const REQUOTE_MOVE = 1n;
const MIN_REQUOTE_MS = 500n;

let bid: bigint | undefined;
let ask: bigint | undefined;
let quotedMid = 0n;
let quotedAt = 0n;
let fills = 0;

export function preStart(ctx: Context): void {
  ctx.addAccount(SOURCE, ACCOUNT);
  ctx.subscribe(SOURCE, SYMBOL, ['quote', 'depth'], { depthLevels: 5 });
  ctx.log.info(`demo_spot: quoting ${SYMBOL} on ${SOURCE}/${ACCOUNT}, ${SIZE} a side, ${HALF_SPREAD_BP} bp from the mid`);
}

export function postStart(ctx: Context): void {
  const book = ctx.getBook(ACCOUNT, SOURCE);
  ctx.log.info(`demo_spot: running; USDT ${ctx.fmt(book.balances.get('USDT')?.free ?? 0n)}, BTC ${ctx.fmt(book.balances.get('BTC')?.free ?? 0n)}`);
  // Every 5 s, a line on what it holds and has made.
  ctx.addTimeInterval(5000, (c) => {
    const b = c.getBook(ACCOUNT, SOURCE);
    const p = b.positions.get(SYMBOL);
    const balances = [...b.balances].map(([asset, x]) => `${asset} ${c.fmt(x.free)}/${c.fmt(x.locked)}`).join(', ');
    c.log.info(`demo_spot: ${fills} fills; position ${c.fmt(p?.volume ?? 0n)} BTC, realized ${c.fmt(p?.realizedPnl ?? 0n)} USDT, unrealized ${c.fmt(p?.unrealizedPnl ?? 0n)} USDT; free/locked ${balances}`);
  });
}

let sawBook = false;

/** The order book is not needed to quote; the first one is shown, to see the depth stream work. */
export function onDepth(ctx: Context, d: DepthEvent): void {
  if (sawBook || d.symbol !== SYMBOL || d.bid_levels === 0 || d.ask_levels === 0) return;
  sawBook = true;
  ctx.log.info(`demo_spot: first ${SYMBOL} book: ${d.bid_levels} bids from ${ctx.fmt(d.bid_price[0]!)}, ${d.ask_levels} asks from ${ctx.fmt(d.ask_price[0]!)}`);
}

export function onQuote(ctx: Context, q: QuoteEvent): void {
  if (q.symbol !== SYMBOL || q.bid_price <= 0n || q.ask_price <= 0n) return;
  const instrument = ctx.getInstrument(SYMBOL);
  if (!instrument) return;
  const mid = (q.bid_price + q.ask_price) / 2n;
  const half = (mid * HALF_SPREAD_BP) / 10_000n;
  const moved = mid > quotedMid ? mid - quotedMid : quotedMid - mid;
  const now = ctx.now();
  if (bid !== undefined && ask !== undefined && moved < half * REQUOTE_MOVE) return;
  if (now - quotedAt < MIN_REQUOTE_MS * 1_000_000n) return;
  requote(ctx, mid, half);
  quotedAt = now;
}

function requote(ctx: Context, mid: Decimal, half: Decimal): void {
  if (bid !== undefined) ctx.cancelOrder(bid);
  if (ask !== undefined) ctx.cancelOrder(ask);
  bid = ask = undefined;
  const book: BookView = ctx.getBook(ACCOUNT, SOURCE);
  const size = ctx.dec(SIZE);
  const held = book.positions.get(SYMBOL)?.volume ?? 0n;
  const bidPrice = ctx.roundPrice(SYMBOL, mid - half, 'down');
  const askPrice = ctx.roundPrice(SYMBOL, mid + half, 'up');
  const usdt = book.balances.get('USDT')?.free ?? 0n;
  const btc = book.balances.get('BTC')?.free ?? 0n;
  // Lean against the inventory, and quote only what the account can pay for.
  if (held < ctx.dec(MAX_INVENTORY) && usdt >= (bidPrice * size) / 100_000_000n) {
    bid = ctx.insertOrder({ symbol: SYMBOL, account: ACCOUNT, source: SOURCE, side: 'buy', price: bidPrice, volume: size });
  }
  if (held > -ctx.dec(MAX_INVENTORY) && btc >= size) {
    ask = ctx.insertOrder({ symbol: SYMBOL, account: ACCOUNT, source: SOURCE, side: 'sell', price: askPrice, volume: size });
  }
  quotedMid = mid;
}

export function onOrder(ctx: Context, o: OrderEvent): void {
  if (o.error_msg) ctx.log.warn(`demo_spot: order ${o.order_id}: ${o.error_msg}`);
  const final = [3, 4, 5, 6].includes(o.status); // Cancelled, Error, Filled, PartialFilledNotActive
  if (!final) return;
  if (o.order_id === bid) bid = undefined;
  if (o.order_id === ask) ask = undefined;
}

export function onTrade(ctx: Context, t: TradeEvent): void {
  fills++;
  ctx.log.info(`demo_spot: ${t.side === 0 ? 'bought' : 'sold'} ${ctx.fmt(t.volume)} BTC at ${ctx.fmt(t.price)} (fee ${ctx.fmt(t.commission)} ${t.commission_asset})`);
}

export function preStop(ctx: Context): void {
  ctx.log.info(`demo_spot: stopping after ${fills} fills; its open orders are cancelled before the gateways stop`);
}
