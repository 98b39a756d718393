/**
 * The smallest strategy, every callback commented. Copy it, keep what you need:
 *     kfc -l info strategy -s my_strategy -p strategies/my_strategy.ts
 * Every callback gets the context first (src/strategy/api.ts lists all it can do). Kungfu's names
 * work too: pre_start, on_quote, ctx.insert_order ... Amounts are exact Decimals (bigints counting
 * 1e-8): ctx.dec('0.01') makes one, ctx.fmt(x) prints one.
 */
import type { BarEvent, BookView, BrokerStateEvent, Context, DepthEvent, OrderEvent, QuoteEvent, TickerEvent, TradeEvent, TransactionEvent } from '../src/strategy/api.js';

/** Options: cancel open orders on stop (default true), stop when a callback throws (default false). */
export const options = { cancelOnStop: true, stopOnError: false };

/** Before anything runs: add the accounts you trade on and subscribe to market data. */
export function preStart(ctx: Context): void {
  ctx.addAccount('binance', 'my_account');
  ctx.subscribe('binance', ['BTCUSDT'], ['quote', 'trade', 'bar'], { barInterval: '1m' });
}

/** Once the ledger and your accounts' gateways are Ready: market data and timers start now. */
export function postStart(ctx: Context): void {
  ctx.log.info(`${ctx.name}: running`);
}

/** Best bid and ask (bookTicker). */
export function onQuote(_ctx: Context, _q: QuoteEvent): void {}

/** The top levels of the order book (state 1 = Stale: the book is being rebuilt). */
export function onDepth(_ctx: Context, _d: DepthEvent): void {}

/** A public trade (aggregated ones have `aggregate` set). */
export function onTransaction(_ctx: Context, _t: TransactionEvent): void {}

/** A kline: closed ones have `closed` set. */
export function onBar(_ctx: Context, _b: BarEvent): void {}

/** Rolling 24 h statistics. */
export function onTicker(_ctx: Context, _t: TickerEvent): void {}

/** One of your orders changed: status, traded volume, or an error with its reason. */
export function onOrder(_ctx: Context, _o: OrderEvent): void {}

/** One of your orders filled (partly): price, volume, commission. */
export function onTrade(_ctx: Context, _t: TradeEvent): void {}

/** A cancel was refused (unknown or finished order). */
export function onOrderActionError(_ctx: Context, _e: { order_id: bigint; error_msg: string }): void {}

/** A gateway's connection state changed (Ready, DisConnected, ...). */
export function onBrokerState(_ctx: Context, _s: BrokerStateEvent): void {}

/** Balances or positions of one of your accounts changed. */
export function onBookUpdate(_ctx: Context, _book: BookView): void {}

/** Stopping: your open orders are cancelled after this (see options). */
export function preStop(_ctx: Context): void {}

/** Stopped: the last callback. */
export function postStop(_ctx: Context): void {}
