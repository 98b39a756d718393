/**
 * Trigger orders and OCO lists on a moving market, as a property test: seeded random markets (a
 * maker re-quoting around a random walk, takers moving the last price) and seeded random STOP_LOSS,
 * STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT orders and OCO pairs. After every operation:
 * - every order that started working was reached by a trade of that operation after its placement
 *   (a BUY stop loss / SELL take profit at or above its stop, the others at or below), and every
 *   order still waiting was reached by none;
 * - an OCO has at most one leg that traded or triggered, and once one did, the other is ended
 *   while the active one works on (it never expires with its sibling);
 * - every fill is a whole number of LOT_SIZE steps, and a triggered market order stops short
 *   (INSUFFICIENT_LIQUIDITY) only when no other account's order is left on the other side;
 * - no balance is negative, each asset is conserved (free + locked + fees = deposits, exactly),
 *   and each account's locked amount is what its open orders hold.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDecimal as f, parseDecimal as d, roundToStep, ZERO, type Decimal } from '../../src/model/decimal.js';
import { MatchingEngine } from '../../src/sim/engine/engine.js';
import { reaches } from '../../src/sim/engine/triggers.js';
import { ExchangeError, atMarket, isTrigger, type EngineEvent, type NewOrderRequest, type SimOrder, type TriggerType } from '../../src/sim/engine/types.js';
import { prng } from '../../src/sim/market/synthetic.js';
import { BTCUSDT } from './specs.js';

const TRADERS = ['alice', 'bob'];
const ACCOUNTS = ['mm', 'taker', ...TRADERS];
const ASSETS = ['BTC', 'USDT'];
const TYPES: TriggerType[] = ['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];

function run(seed: number): { triggered: number; waiting: number; ocoDone: number; trades: number } {
  let t = 1_700_000_000_000;
  const e = new MatchingEngine([BTCUSDT], { makerRate: d('0.001'), takerRate: d('0.002'), now: () => (t += 53) });
  e.deposit('mm', 'BTC', d('1000'));
  e.deposit('mm', 'USDT', d('100000000'));
  e.deposit('taker', 'BTC', d('1000'));
  e.deposit('taker', 'USDT', d('100000000'));
  for (const a of TRADERS) {
    e.deposit(a, 'BTC', d('3'));
    e.deposit(a, 'USDT', d('300000'));
  }
  const deposits = new Map(ASSETS.map((a) => [a, e.totalOf(a)]));
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const tick = (x: number) => d(x.toFixed(2));
  let mid = 60000;
  let quotes: number[] = [];
  /** orderId -> the last trade id before its placement (a trigger only reacts to later trades). */
  const placedAfter = new Map<number, number>();
  let lastTradeId = 0;
  const counts = { triggered: 0, waiting: 0, ocoDone: 0, trades: 0 };

  const check = (events: EngineEvent[], what: string) => {
    const trades: { id: number; price: Decimal; at: number }[] = [];
    events.forEach((ev, at) => {
      if (ev.kind === 'trade') trades.push({ id: ev.trade.tradeId, price: ev.trade.price, at });
    });
    counts.trades += trades.length;
    events.forEach((ev, at) => {
      if (ev.kind !== 'execution') return;
      const o = ev.order;
      if (ev.execution === 'NEW' && !placedAfter.has(o.orderId)) placedAfter.set(o.orderId, lastTradeId);
      else if (ev.execution === 'NEW' && isTrigger(o.type) && o.isWorking) {
        // It triggered: a trade of this operation, after its placement and before this report, reached its stop.
        const since = placedAfter.get(o.orderId)!;
        assert.ok(trades.some((tr) => tr.id > since && tr.at < at && reaches(o, tr.price)), `${what}: order ${o.orderId} ${o.side} ${o.type} stop ${f(o.stopPrice)} triggered without a trade reaching it`);
        counts.triggered++;
      }
      if (ev.kind === 'execution' && ev.execution === 'TRADE' && ev.fill) {
        assert.ok(ev.fill.qty > ZERO);
        assert.equal(roundToStep(ev.fill.qty, BTCUSDT.stepSize, 'down'), ev.fill.qty, `${what}: order ${o.orderId} filled ${f(ev.fill.qty)}, off the LOT_SIZE step`);
      }
      if (ev.execution === 'EXPIRED' && isTrigger(o.type) && atMarket(o.type) && o.expiryReason === 'INSUFFICIENT_LIQUIDITY') {
        // A triggered market order stops short only when the other side has nothing left it may trade with.
        const others = ACCOUNTS.filter((a) => a !== o.account).flatMap((a) => e.openOrders(a)).filter((x) => x.isWorking && x.side !== o.side);
        assert.equal(others.length, 0, `${what}: triggered ${o.side} ${o.type} ${o.orderId} expired for liquidity with ${others.length} orders to trade with`);
      }
    });
    if (trades.length > 0) lastTradeId = Math.max(...trades.map((tr) => tr.id));
    // Orders still waiting: no trade after their placement reached them.
    for (const a of TRADERS) {
      for (const o of e.openOrders(a)) {
        if (!isTrigger(o.type) || o.isWorking || o.status !== 'NEW') continue;
        const since = placedAfter.get(o.orderId)!;
        for (const tr of trades) assert.ok(tr.id <= since || !reaches(o, tr.price), `${what}: order ${o.orderId} ${o.side} ${o.type} stop ${f(o.stopPrice)} still waits after a trade at ${f(tr.price)}`);
      }
    }
    // OCO: at most one leg activated; once one is, the other has ended.
    const lists = new Map<number, SimOrder[]>();
    for (const a of TRADERS) for (const l of e.orderLists(a)) lists.set(l.orderListId, l.orders);
    for (const [id, legs] of lists) {
      const active = legs.filter((o) => o.executedQty > ZERO || (isTrigger(o.type) && (o.workingTime !== undefined)));
      assert.ok(active.length <= 1, `${what}: OCO ${id} has ${active.length} active legs`);
      if (active.length === 1) {
        for (const o of legs) if (o !== active[0]) assert.ok(!['NEW', 'PARTIALLY_FILLED'].includes(o.status), `${what}: OCO ${id} leg ${o.orderId} is ${o.status} after its sibling activated`);
        // The active leg works on: it ends by filling, a cancel, or its own expiry (with its reason), never its sibling's.
        const a = active[0]!;
        assert.ok(!(a.status === 'EXPIRED' && a.expiryReason === undefined), `${what}: OCO ${id} active leg ${a.orderId} ${a.type} expired with its sibling (executed ${f(a.executedQty)})`);
      }
    }
    // Money.
    for (const asset of ASSETS) assert.equal(e.totalOf(asset), deposits.get(asset), `${what}: ${asset} conserved`);
    for (const a of ACCOUNTS) {
      const open = e.openOrders(a);
      for (const [asset, b] of e.balances(a)) {
        assert.ok(b.free >= ZERO && b.locked >= ZERO, `${what}: ${a} ${asset} ${f(b.free)}/${f(b.locked)}`);
        const held = open.filter((o) => (o.side === 'BUY' ? 'USDT' : 'BTC') === asset).reduce((s, o) => s + o.locked, ZERO);
        assert.equal(b.locked, held, `${what}: ${a} ${asset} locked equals its open orders' locks`);
      }
    }
    for (const ev of events) if (ev.kind === 'balances') for (const [asset, b] of ev.balances) assert.ok(b.free >= ZERO && b.locked >= ZERO, `${what}: event shows ${ev.account} ${asset} negative`);
  };

  const attempt = (what: string, op: () => { events: EngineEvent[] }) => {
    let events: EngineEvent[] = [];
    try {
      events = op().events;
    } catch (err) {
      assert.ok(err instanceof ExchangeError && [-2010, -1013, -2011].includes(err.code), `${what}: ${String(err)}`);
    }
    check(events, what);
  };

  for (let round = 0; round < 400; round++) {
    // The maker re-quotes around a mid that walks.
    mid = Math.max(1000, mid * (1 + (random() - 0.5) * 0.01));
    for (const orderId of quotes) attempt(`round ${round} requote`, () => e.cancelOrder('mm', 'BTCUSDT', { orderId }));
    quotes = [];
    for (let i = 1; i <= 4; i++) {
      for (const side of ['BUY', 'SELL'] as const) {
        const price = tick(side === 'BUY' ? mid - 5 * i : mid + 5 * i);
        attempt(`round ${round} quote`, () => {
          const r = e.placeOrder({ account: 'mm', symbol: 'BTCUSDT', side, type: 'LIMIT', timeInForce: 'GTC', quantity: d((0.05 + random() * 0.2).toFixed(5)), price, clientOrderId: `mm-${round}-${side}-${i}` });
          if (r.order.isWorking) quotes.push(r.order.orderId);
          return r;
        });
      }
    }
    // A taker moves the last price.
    if (random() < 0.7) attempt(`round ${round} take`, () => e.placeOrder({ account: 'taker', symbol: 'BTCUSDT', side: pick(['BUY', 'SELL'] as const), type: 'MARKET', quantity: d((0.01 + random() * 0.3).toFixed(5)), clientOrderId: `tk-${round}` }));
    // Traders place trigger orders and OCOs on the valid side of the last price.
    const last = Number(f(e.lastPrice('BTCUSDT') ?? d('60000')));
    const account = pick(TRADERS);
    const side = pick(['BUY', 'SELL'] as const);
    const quantity = d((0.001 + random() * 0.05).toFixed(5));
    const offset = 1 + random() * 60;
    if (random() < 0.6) {
      const type = pick(TYPES);
      const upward = (type === 'STOP_LOSS' || type === 'STOP_LOSS_LIMIT') === (side === 'BUY');
      const stopPrice = tick(upward ? last + offset : last - offset);
      const limit = type.endsWith('_LIMIT') ? { price: tick(Number(f(stopPrice)) + (random() - 0.5) * 40), timeInForce: pick(['GTC', 'IOC', 'FOK'] as const) } : {};
      attempt(`round ${round} ${account} ${side} ${type} stop ${f(stopPrice)}`, () => e.placeOrder({ account, symbol: 'BTCUSDT', side, type, quantity, stopPrice, ...limit, clientOrderId: `${account}-${round}` }));
    } else {
      const above = side === 'SELL' ? { type: 'LIMIT_MAKER' as const, price: tick(last + offset) } : { type: 'STOP_LOSS_LIMIT' as const, stopPrice: tick(last + offset), price: tick(last + offset + 5), timeInForce: 'GTC' as const };
      const below = side === 'SELL' ? { type: 'STOP_LOSS' as const, stopPrice: tick(last - offset) } : { type: 'TAKE_PROFIT_LIMIT' as const, stopPrice: tick(last - offset), price: tick(last - offset + 2), timeInForce: 'GTC' as const };
      const leg = (x: Pick<NewOrderRequest, 'type'> & Partial<NewOrderRequest>, name: string): NewOrderRequest => ({ account, symbol: 'BTCUSDT', side, quantity, clientOrderId: `${account}-${round}-${name}`, ...x });
      attempt(`round ${round} ${account} ${side} OCO`, () => {
        const r = e.placeOco({ account, symbol: 'BTCUSDT', listClientOrderId: `l-${round}`, above: leg(above, 'a'), below: leg(below, 'b') });
        return r;
      });
    }
    if (random() < 0.1) {
      const open = e.openOrders(account);
      if (open.length > 0) attempt(`round ${round} cancel`, () => e.cancelOrder(account, 'BTCUSDT', { orderId: pick(open).orderId }));
    }
  }
  for (const a of TRADERS) for (const o of e.openOrders(a)) if (isTrigger(o.type) && !o.isWorking) counts.waiting++;
  for (const a of TRADERS) counts.ocoDone += e.orderLists(a).filter((l) => l.listOrderStatus === 'ALL_DONE').length;
  return counts;
}

describe('trigger orders on a moving market', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: triggers at the right price, OCO legs cancel each other, money exact`, () => {
      const c = run(seed);
      // The run exercised what it claims: triggers fired, some still wait, OCOs resolved.
      assert.ok(c.triggered > 30, `${c.triggered} triggered`);
      assert.ok(c.waiting > 0, `${c.waiting} waiting`);
      assert.ok(c.ocoDone > 10, `${c.ocoDone} OCOs done`);
    });
  }
});

describe('trigger boundaries', () => {
  // For each type and side: a trade one tick short of the stop leaves the order waiting; a trade at
  // exactly the stop sets it working (Binance: "equal to, or surpasses").
  for (const type of TYPES) {
    for (const side of ['BUY', 'SELL'] as const) {
      it(`${side} ${type} triggers at its stop price, not a tick before`, () => {
        let t = 1_700_000_000_000;
        const e = new MatchingEngine([BTCUSDT], { makerRate: ZERO, takerRate: ZERO, now: () => (t += 1) });
        for (const a of ['mm', 'alice']) {
          e.deposit(a, 'BTC', d('10'));
          e.deposit(a, 'USDT', d('1000000'));
        }
        const trade = (price: string) => {
          e.placeOrder({ account: 'mm', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: d('0.001'), price: d(price), clientOrderId: `s${t}`, selfTradePreventionMode: 'NONE' });
          return e.placeOrder({ account: 'mm', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: d('0.001'), price: d(price), clientOrderId: `b${t}`, selfTradePreventionMode: 'NONE' });
        };
        trade('60000');
        const upward = (type === 'STOP_LOSS' || type === 'STOP_LOSS_LIMIT') === (side === 'BUY');
        const stop = upward ? '60100' : '59900';
        const limit = type.endsWith('_LIMIT') ? { price: d(stop), timeInForce: 'GTC' as const } : {};
        const placed = e.placeOrder({ account: 'alice', symbol: 'BTCUSDT', side, type, quantity: d('0.01'), stopPrice: d(stop), ...limit, clientOrderId: 'stop' });
        assert.deepEqual([placed.order.status, placed.order.isWorking, placed.order.locked], ['NEW', false, side === 'SELL' ? d('0.01') : d(upward ? '601' : '599')], 'waiting, funds locked on placement');
        assert.equal(e.getOrder('alice', 'BTCUSDT', { orderId: placed.order.orderId }).workingTime, undefined);
        trade(upward ? '60099.99' : '59900.01');
        assert.equal(e.getOrder('alice', 'BTCUSDT', { orderId: placed.order.orderId }).workingTime, undefined, 'a tick short: still waiting');
        const hit = trade(stop);
        const report = hit.events.find((ev) => ev.kind === 'execution' && ev.order.orderId === placed.order.orderId && ev.execution === 'NEW');
        assert.ok(report && report.kind === 'execution' && report.order.isWorking, 'at the stop: an execution report NEW, working');
        assert.equal(e.getOrder('alice', 'BTCUSDT', { orderId: placed.order.orderId }).workingTime, report.time, 'working since its trigger');
        // Placing one whose stop the last trade already reached is refused, as Binance does.
        assert.throws(() => e.placeOrder({ account: 'alice', symbol: 'BTCUSDT', side, type, quantity: d('0.01'), stopPrice: d(stop), ...limit, clientOrderId: 'late' }), (err: unknown) => err instanceof ExchangeError && err.code === -2010 && err.message === 'Order would trigger immediately.');
      });
    }
  }
});
