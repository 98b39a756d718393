/**
 * Pre-trade risk: every order a strategy sends is checked here before it may reach a trading
 * gateway, in this order (the first failure is the answer):
 *
 *   1. trading state: the strategy, its account or everything halted (cancels only)
 *   2. the account exists and its TD is Ready; the strategy added that account
 *   3. the symbol exists and trades; the order passes the exchange's filters as the exchange
 *      checks them (PRICE_FILTER, LOT_SIZE, NOTIONAL, MAX_NUM_ORDERS): never rounded here
 *   4. volume > 0, price > 0 for limit orders and within the band around the last quote
 *   5. the free balance covers it, less what orders the ledger routed still may spend
 *   6. limits (settings.ts): order notional, position, open orders, orders per second, daily loss
 *
 * A denial has a stable numeric code (the Order's error_id) and a sentence for the strategy and
 * the logs. Decimal arithmetic only; no allocation beyond the denial itself.
 */
import { ZERO, div, formatFixed, mul, type Decimal } from '../model/decimal.js';
import { BrokerState, PriceType, Side, brokerStateName } from '../model/enums.js';
import type { OrderInputEvent } from '../model/events.js';
import { markOf, spendOf, type Books, type Instrument } from './books.js';
import { accountIdOf } from './order-view.js';
import { utcDay, type StrategyBook } from './strategy-book.js';
import type { Halts } from './halts.js';
import type { Limits } from './settings.js';

/** Denial codes: stable, in the Order's error_id (Binance's own codes are negative; these are not). */
export const Denial = {
  Halted: 1001,
  UnknownAccount: 1002,
  GatewayNotReady: 1003,
  AccountNotAdded: 1004,
  UnknownSymbol: 1005,
  SymbolNotTrading: 1006,
  PriceFilter: 1007,
  LotSize: 1008,
  Notional: 1009,
  MaxNumOrders: 1010,
  BadVolume: 1011,
  BadPrice: 1012,
  PriceBand: 1013,
  NoMarketPrice: 1014,
  InsufficientBalance: 1015,
  MaxOrderNotional: 1016,
  MaxPosition: 1017,
  MaxOpenOrders: 1018,
  OrderRate: 1019,
  DailyLoss: 1020,
  UnknownOrder: 1021,
  NotYourOrder: 1022,
  DuplicateOrderId: 1023,
  LedgerRestarted: 1024,
} as const;

export interface Denied {
  code: number;
  message: string;
}

const amount = (x: Decimal) => formatFixed(x, 8);
const deny = (code: number, message: string): Denied => ({ code, message });

export interface RiskContext {
  books: Books;
  halts: Halts;
  limits: (strategy: string, accountId: string) => Limits;
}

/** Checks a new order of `strategy`; undefined when it may go. `now` is journal time (ns). */
export function checkOrder(ctx: RiskContext, input: OrderInputEvent, strategy: StrategyBook, now: bigint): Denied | undefined {
  const accountId = accountIdOf(input.source, input.account);
  const halt = ctx.halts.haltedFor(strategy.name, accountId);
  if (halt) return deny(Denial.Halted, `trading halted for ${halt.scope} (${halt.reason}): only cancels are accepted; kfc ledger resume lifts it`);

  const account = ctx.books.accounts.get(accountId);
  if (!account) return deny(Denial.UnknownAccount, `unknown account ${accountId}: no trading gateway td/${input.source}/${input.account} has reported it`);
  if (account.brokerState !== BrokerState.Ready) {
    // (The journal keeps 127 bytes of a reason: the broker's own message goes last, where a cut costs least.)
    return deny(Denial.GatewayNotReady, `td/${input.source}/${input.account} is ${brokerStateName(account.brokerState)}: orders are refused until it is Ready${account.brokerMessage ? ` (${account.brokerMessage})` : ''}`);
  }
  if (!strategy.accounts.has(accountId)) return deny(Denial.AccountNotAdded, `strategy ${strategy.name} has not added account ${input.source}/${input.account}: call addAccount('${input.source}', '${input.account}') first`);

  const instrument = ctx.books.instrument(input.exchange, input.symbol);
  if (!instrument) return deny(Denial.UnknownSymbol, `unknown symbol ${input.symbol}: no Instrument for it from the gateways`);
  if (instrument.status !== 0) return deny(Denial.SymbolNotTrading, `${input.symbol} is not trading`);

  const market = input.price_type === PriceType.Market;
  if (input.quote_volume < 0n || input.volume < 0n || (input.volume === ZERO && !(market && input.quote_volume > 0n))) {
    return deny(Denial.BadVolume, `volume must be positive (got ${amount(input.volume)})`);
  }
  if (!market && input.price <= 0n) return deny(Denial.BadPrice, `a ${input.price_type === PriceType.LimitMaker ? 'LIMIT_MAKER' : 'LIMIT'} order needs a positive price (got ${amount(input.price)})`);

  const filter = exchangeFilters(input, instrument, market, ctx.books.quote(input.exchange, input.symbol)?.ask ?? ZERO);
  if (filter) return filter;
  if (instrument.maxNumOrders > 0) {
    const open = account.open.count(input.symbol);
    if (open >= instrument.maxNumOrders) return deny(Denial.MaxNumOrders, `Filter failure: MAX_NUM_ORDERS (${open} open on ${input.symbol}, the exchange allows ${instrument.maxNumOrders})`);
  }

  const limits = ctx.limits(strategy.name, accountId);
  const quote = ctx.books.quote(input.exchange, input.symbol);
  const mid = markOf(quote);
  if (!market && mid > 0n) {
    const band = mul(mid, limits.priceBandPercent, 'down') / 100n;
    const off = input.price > mid ? input.price - mid : mid - input.price;
    if (off > band) {
      return deny(Denial.PriceBand, `price ${amount(input.price)} is ${amount(div(off * 100n, mid, 'half-even'))}% from the market (mid ${amount(mid)}); the band is ${amount(limits.priceBandPercent)}%`);
    }
  }

  const spend = spendOf(input, instrument, quote);
  if (!spend) return deny(Denial.NoMarketPrice, `no quote for ${input.symbol} yet: a MARKET buy by quantity needs one to know what it may spend`);
  const available = account.available(spend.asset);
  if (spend.amount > available) {
    const reserved = account.reserved(spend.asset);
    return deny(
      Denial.InsufficientBalance,
      `insufficient balance: need ${amount(spend.amount)} ${spend.asset}, free ${amount(available)}${reserved > 0n ? ` (${amount(reserved)} held by orders not yet confirmed)` : ''}`,
    );
  }

  const price = market ? (quote?.ask && input.side === Side.Buy ? quote.ask : (quote?.bid ?? mid)) : input.price;
  const notional = input.quote_volume > 0n ? input.quote_volume : mul(price, input.volume, 'up');
  if (notional > limits.maxOrderNotional) return deny(Denial.MaxOrderNotional, `order notional ${amount(notional)} ${instrument.quoteAsset} exceeds the limit ${amount(limits.maxOrderNotional)}`);

  const position = strategy.positions.get(accountId)?.get(input.symbol);
  const held = position?.volume ?? ZERO;
  const qty = input.volume > 0n ? input.volume : price > 0n ? div(input.quote_volume, price, 'up') : ZERO;
  const after = input.side === Side.Buy ? held + qty : held - qty;
  const reduces = (held > 0n && input.side === Side.Sell && qty <= held) || (held < 0n && input.side === Side.Buy && qty <= -held);
  if (!reduces && price > 0n) {
    const exposure = mul(after < 0n ? -after : after, price, 'up');
    if (exposure > limits.maxPositionNotional) return deny(Denial.MaxPosition, `position in ${input.symbol} would be ${amount(after)} (${amount(exposure)} ${instrument.quoteAsset}), over the limit ${amount(limits.maxPositionNotional)}`);
  }

  const open = strategy.open.count(accountId);
  if (open >= limits.maxOpenOrders) return deny(Denial.MaxOpenOrders, `strategy ${strategy.name} has ${open} open orders on ${accountId}, the limit is ${limits.maxOpenOrders}`);

  const second = now - 1_000_000_000n;
  while (strategy.recentSends.length > 0 && strategy.recentSends[0]! <= second) strategy.recentSends.shift();
  if (strategy.recentSends.length >= limits.maxOrdersPerSecond) return deny(Denial.OrderRate, `strategy ${strategy.name} sent ${strategy.recentSends.length} orders in the last second, the limit is ${limits.maxOrdersPerSecond}`);

  if (!reduces && limits.dailyLossLimit >= 0n) {
    const pnl = pnlToday(ctx.books, strategy, instrument.quoteAsset, now);
    if (pnl < -limits.dailyLossLimit) return deny(Denial.DailyLoss, `strategy ${strategy.name} is down ${amount(-pnl)} ${instrument.quoteAsset} today, past the daily loss limit ${amount(limits.dailyLossLimit)}: only orders that reduce a position are accepted`);
  }
  return undefined;
}

/** The exchange's symbol filters, as the exchange checks them, each failure named. */
export function exchangeFilters(input: Pick<OrderInputEvent, 'price' | 'volume' | 'quote_volume' | 'symbol'>, i: Instrument, market: boolean, marketPrice: Decimal): Denied | undefined {
  if (!market) {
    if ((i.minPrice > 0n && input.price < i.minPrice) || (i.maxPrice > 0n && input.price > i.maxPrice)) {
      return deny(Denial.PriceFilter, `Filter failure: PRICE_FILTER (price ${amount(input.price)} outside ${amount(i.minPrice)}..${amount(i.maxPrice)})`);
    }
    if (i.tickSize > 0n && (input.price - i.minPrice) % i.tickSize !== 0n) {
      return deny(Denial.PriceFilter, `Filter failure: PRICE_FILTER (price ${amount(input.price)} is off the tick ${amount(i.tickSize)}: use ctx.roundPrice)`);
    }
  }
  if (input.volume > 0n) {
    if (input.volume < i.minQty || (i.maxQty > 0n && input.volume > i.maxQty)) {
      return deny(Denial.LotSize, `Filter failure: LOT_SIZE (quantity ${amount(input.volume)} outside ${amount(i.minQty)}..${amount(i.maxQty)})`);
    }
    if (i.stepSize > 0n && (input.volume - i.minQty) % i.stepSize !== 0n) {
      return deny(Denial.LotSize, `Filter failure: LOT_SIZE (quantity ${amount(input.volume)} is off the step ${amount(i.stepSize)}: use ctx.roundVolume)`);
    }
  }
  const price = market ? marketPrice : input.price;
  const notional = input.quote_volume > 0n ? input.quote_volume : price > 0n ? mul(price, input.volume, 'half-even') : ZERO;
  if (notional > 0n) {
    if ((!market || i.applyMinToMarket) && notional < i.minNotional) return deny(Denial.Notional, `Filter failure: NOTIONAL (${amount(notional)} below the minimum ${amount(i.minNotional)})`);
    if ((!market || i.applyMaxToMarket) && i.maxNotional > 0n && notional > i.maxNotional) return deny(Denial.Notional, `Filter failure: NOTIONAL (${amount(notional)} above the maximum ${amount(i.maxNotional)})`);
  }
  return undefined;
}

/** A strategy's PnL today (UTC) in `quoteAsset`: realized today plus unrealized now at the quotes' mids. */
export function pnlToday(books: Books, strategy: StrategyBook, quoteAsset: string, now: bigint): Decimal {
  let pnl = strategy.realizedByDay.get(`${utcDay(now)}:${quoteAsset}`) ?? ZERO;
  for (const bySymbol of strategy.positions.values()) {
    for (const [symbol, p] of bySymbol) {
      const i = books.instrument('', symbol);
      if (!i || i.quoteAsset !== quoteAsset) continue;
      pnl += p.unrealized(markOf(books.quote('', symbol)));
    }
  }
  return pnl;
}
