/**
 * Self-trade prevention (Binance's STP modes): when a taker meets a resting order of its own
 * account, the taker's mode says which expires instead of trading. The match is recorded for
 * myPreventedMatches and both orders' reports carry it.
 */
import { ZERO, min, type Decimal } from '../../model/decimal.js';
import { fillQuote, type Balances } from './balances.js';
import { remainingOf, type Book, type Level } from './book.js';
import type { Outcome } from './matching.js';
import type { PreventedMatch, SimOrder } from './types.js';

/**
 * Self-trade prevention between `taker` and its own `maker`, by the taker's mode: the maker, the
 * taker or both expire (EXPIRED_IN_MATCH, execution type TRADE_PREVENTION). Returns whether the
 * taker expired.
 */
export function preventSelfTrade(book: Book, money: Balances, taker: SimOrder, maker: SimOrder, level: Level, want: Decimal, out: Outcome): boolean {
  const spec = book.spec;
  const { time } = out;
  const mode = taker.selfTradePreventionMode;
  const preventedMatchId = book.nextPreventedMatchId++;
  const qty = min(want, remainingOf(maker));
  const would = { qty, price: level.price, quoteQty: fillQuote(level.price, qty) };
  const match: PreventedMatch = { preventedMatchId, makerOrderId: maker.orderId, price: level.price };
  const expire = (order: SimOrder): Decimal => {
    const left = remainingOf(order);
    order.preventedQty += left;
    order.preventedMatchId = preventedMatchId;
    order.status = 'EXPIRED_IN_MATCH';
    order.updateTime = time;
    return left;
  };
  const expireTaker = mode === 'EXPIRE_TAKER' || mode === 'EXPIRE_BOTH';
  if (expireTaker) {
    const left = expire(taker);
    match.takerPreventedQuantity = left;
    out.events.push({ kind: 'execution', order: { ...taker }, execution: 'TRADE_PREVENTION', time, prevention: { counterOrderId: maker.orderId, lastPreventedQty: left, ...would } });
  }
  if (mode === 'EXPIRE_MAKER' || mode === 'EXPIRE_BOTH') {
    const left = remainingOf(maker);
    level.orders.shift();
    level.qty -= left;
    if (level.orders.length === 0) book.side(maker.side).shift();
    expire(maker);
    match.makerPreventedQuantity = left;
    money.release(spec, maker);
    book.finish(maker);
    book.updateId++;
    out.touched.add(maker.account);
    out.events.push(
      { kind: 'book', symbol: spec.symbol, side: maker.side, price: level.price, qty: level.orders.length === 0 ? ZERO : level.qty, updateId: book.updateId },
      { kind: 'execution', order: { ...maker }, execution: 'TRADE_PREVENTION', time, prevention: { counterOrderId: taker.orderId, lastPreventedQty: left, ...would } },
    );
  }
  out.preventedMatches.push(match);
  book.recordPrevented({ symbol: spec.symbol, account: taker.account, preventedMatchId, takerOrderId: taker.orderId, makerOrderId: maker.orderId, selfTradePreventionMode: mode, price: level.price, transactTime: time, ...(match.takerPreventedQuantity !== undefined ? { takerPreventedQuantity: match.takerPreventedQuantity } : {}), ...(match.makerPreventedQuantity !== undefined ? { makerPreventedQuantity: match.makerPreventedQuantity } : {}) });
  return expireTaker;
}
