import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDecimal as d } from '../../src/model/decimal.js';
import { BrokerState, PriceType, Scope, Side, TradingState } from '../../src/model/enums.js';
import { Halts } from '../../src/ledger/halts.js';
import { Denial, checkOrder } from '../../src/ledger/risk.js';
import { resolveLimits, DEFAULT_LIMITS, parseRiskSettings } from '../../src/ledger/settings.js';
import { STRATEGY_UID, T0, asset, books, input, orderUpdate, trade, OrderStatus } from './fixtures.js';

/** Risk check of one order; `settings` as risk.json would have it (parsed the same way). */
function check(b = books(), over = {}, halts = new Halts(), settings = {}) {
  const s = b.strategy(STRATEGY_UID);
  const parsed = parseRiskSettings(JSON.stringify(settings), 'risk.json');
  return checkOrder({ books: b, halts, limits: (st, acct) => resolveLimits(parsed, st, acct) }, input(over), s, T0);
}

describe('pre-trade risk', () => {
  it('exactly enough balance passes; one unit of the last decimal more fails, saying what is missing', () => {
    // 0.01 BTC at 60000 = 600 USDT.
    assert.equal(check(books({ USDT: '600', BTC: '0' })), undefined);
    const denied = check(books({ USDT: '599.99999999', BTC: '0' }));
    assert.equal(denied?.code, Denial.InsufficientBalance);
    assert.equal(denied?.message, 'insufficient balance: need 600.00000000 USDT, free 599.99999999');
    // Sells need the base asset.
    assert.equal(check(books({ USDT: '0', BTC: '0.01' }), { side: Side.Sell }), undefined);
    assert.equal(check(books({ USDT: '0', BTC: '0.00999999' }), { side: Side.Sell })?.code, Denial.InsufficientBalance);
  });

  it('orders routed but not yet confirmed by the exchange still count against the balance', () => {
    const b = books({ USDT: '1000', BTC: '0' });
    const first = input({ price: d('60000'), volume: d('0.01') }); // 600
    b.onRouted(first, STRATEGY_UID, T0);
    assert.match(check(b)?.message ?? '', /need 600\.00000000 USDT, free 400\.00000000 \(600\.00000000 held by orders not yet confirmed\)/);
    // The exchange accepts it (Submitted), then reports the balance with 600 locked: the
    // reservation gives way to the exchange's own figures, not counted twice.
    b.onOrder(orderUpdate(first, OrderStatus.Submitted), T0);
    assert.equal(b.account('binance', 'acct').available('USDT'), d('400'), 'answered, but no balance report yet');
    b.onAsset(asset('USDT', '400', '600'), T0);
    assert.equal(b.account('binance', 'acct').available('USDT'), d('400'));
    assert.equal(b.account('binance', 'acct').reservations.size, 0);
    // A refused order frees its reservation at once.
    const refused = input({ volume: d('0.001') });
    b.onRouted(refused, STRATEGY_UID, T0);
    assert.equal(b.account('binance', 'acct').available('USDT'), d('340'));
    b.onOrder(orderUpdate(refused, OrderStatus.Error), T0);
    assert.equal(b.account('binance', 'acct').available('USDT'), d('400'));
  });

  it('checks the gateway, the account and the symbol first, naming what is wrong', () => {
    const notReady = books();
    notReady.onBrokerState('binance', 'acct', BrokerState.DisConnected, '');
    assert.equal(check(notReady)?.message, 'td/binance/acct is DisConnected: orders are refused until it is Ready');
    assert.equal(check(books(), { account: 'other' })?.code, Denial.UnknownAccount);
    const b = books();
    b.strategy(STRATEGY_UID).accounts.clear();
    assert.equal(check(b)?.code, Denial.AccountNotAdded);
    assert.equal(check(books(), { symbol: 'DOGEUSDT' })?.code, Denial.UnknownSymbol);
  });

  it('applies the exchange filters without rounding anything', () => {
    assert.match(check(books(), { price: d('60000.001') })?.message ?? '', /^Filter failure: PRICE_FILTER \(price 60000\.00100000 is off the tick 0\.01000000: use ctx\.roundPrice\)$/);
    assert.match(check(books(), { volume: d('0.000015') })?.message ?? '', /^Filter failure: LOT_SIZE \(quantity 0\.00001500 is off the step 0\.00001000: use ctx\.roundVolume\)$/);
    assert.match(check(books(), { volume: d('0.000001') })?.message ?? '', /^Filter failure: LOT_SIZE \(quantity 0\.00000100 outside/);
    assert.match(check(books(), { volume: d('0.00001'), price: d('60000') })?.message ?? '', /^Filter failure: NOTIONAL \(0\.60000000 below the minimum 5\.00000000\)/);
    assert.equal(check(books(), { volume: 0n })?.code, Denial.BadVolume);
    assert.equal(check(books(), { volume: -1n })?.code, Denial.BadVolume);
    assert.equal(check(books(), { price: 0n })?.code, Denial.BadPrice);
  });

  it('refuses prices far from the market, by the configured band', () => {
    assert.equal(check(books(), { price: d('66000') }), undefined); // 10% exactly: inside
    assert.equal(check(books(), { price: d('66000.01') })?.code, Denial.PriceBand);
    assert.equal(check(books(), { price: d('61200.01') }, new Halts(), { limits: { priceBandPercent: '2' } })?.code, Denial.PriceBand);
  });

  it('a MARKET buy by quantity is checked at the last ask; without a quote it is refused', () => {
    const b = books({ USDT: '600.0001', BTC: '0' });
    assert.equal(check(b, { price_type: PriceType.Market, price: 0n }), undefined); // 0.01 x 60000.01
    assert.equal(check(books({ USDT: '600.00009999', BTC: '0' }), { price_type: PriceType.Market, price: 0n })?.code, Denial.InsufficientBalance);
  });

  it('limits per strategy and per account: order notional, position, open orders, rate, daily loss', () => {
    const settings = { limits: { maxOrderNotional: '500' }, accounts: { binance_acct: { maxOpenOrders: 2 } }, strategies: { demo: { maxOrderNotional: '700' } } };
    // The strategy's own limit (700) wins over the global one (500).
    assert.equal(check(books(), {}, new Halts(), settings), undefined);
    assert.equal(check(books(), {}, new Halts(), { ...settings, strategies: {} })?.code, Denial.MaxOrderNotional);
    // The account's open-order limit.
    const b = books({ USDT: '100000', BTC: '0' });
    b.onRouted(input(), STRATEGY_UID, T0);
    b.onRouted(input(), STRATEGY_UID, T0 + 2_000_000_000n);
    assert.equal(check(b, {}, new Halts(), settings)?.code, Denial.MaxOpenOrders);
    // Orders per second.
    const r = books({ USDT: '100000', BTC: '0' });
    for (let i = 0; i < 3; i++) r.onRouted(input(), STRATEGY_UID, T0 - 100_000n);
    assert.equal(check(r, {}, new Halts(), { limits: { maxOrdersPerSecond: 3 } })?.code, Denial.OrderRate);
    assert.equal(check(r, {}, new Halts(), { limits: { maxOrdersPerSecond: 4 } }), undefined);
    // Position: a buy that would hold more than allowed; a sell that reduces is fine.
    assert.equal(check(books({ USDT: '100000', BTC: '0' }), { volume: d('1') }, new Halts(), { limits: { maxPositionNotional: '59999', maxOrderNotional: '1000000' } })?.code, Denial.MaxPosition);
  });

  it('after the daily loss limit only orders that reduce a position pass', () => {
    const b = books({ USDT: '100000', BTC: '1' });
    const buy = input({ volume: d('0.1'), price: d('60000') });
    b.onRouted(buy, STRATEGY_UID, T0);
    b.onTrade(trade(buy, '60000', '0.1', '0', 'BNB'), T0);
    const sell = input({ side: Side.Sell, volume: d('0.1'), price: d('54000') });
    b.onRouted(sell, STRATEGY_UID, T0);
    b.onTrade(trade(sell, '54000', '0.05', '0', 'BNB'), T0); // realized -300 today
    const settings = { limits: { dailyLossLimit: '250', priceBandPercent: '50' } };
    assert.equal(check(b, { volume: d('0.01') }, new Halts(), settings)?.code, Denial.DailyLoss);
    assert.equal(check(b, { side: Side.Sell, volume: d('0.05'), price: d('60000') }, new Halts(), settings), undefined, 'reducing is allowed');
  });

  it('a halted scope refuses new orders, with the reason and how to resume', () => {
    for (const [kind, scope] of [[Scope.All, ''], [Scope.Account, 'binance_acct'], [Scope.Strategy, 'demo']] as const) {
      const halts = new Halts();
      halts.apply({ scope_kind: kind, scope, state: TradingState.Halted, reason: 'manual', cancel_open: false });
      const denied = check(books(), {}, halts);
      assert.equal(denied?.code, Denial.Halted);
      assert.match(denied!.message, /halted for .*\(manual\): only cancels are accepted; kfc ledger resume lifts it/);
      halts.apply({ scope_kind: kind, scope, state: TradingState.Active, reason: '', cancel_open: false });
      assert.equal(check(books(), {}, halts), undefined);
    }
    const other = new Halts();
    other.apply({ scope_kind: Scope.Strategy, scope: 'other', state: TradingState.Halted, reason: 'x', cancel_open: false });
    assert.equal(check(books(), {}, other), undefined, 'another strategy\'s halt does not apply');
  });

  it('settings: bad values are one line naming the field; defaults are safe', () => {
    assert.throws(() => parseRiskSettings('{"limits": {"maxOpenOrders": -1}}', 'risk.json'), /^Error: risk\.json: limits\.maxOpenOrders: expected an integer from 1 to 100000, got -1$/);
    assert.throws(() => parseRiskSettings('{"limits": {"maxOrderNotional": 5}}', 'risk.json'), /limits\.maxOrderNotional: expected a decimal number as a string/);
    assert.throws(() => parseRiskSettings('{"limit": {}}', 'risk.json'), /limit: unknown field/);
    assert.throws(() => parseRiskSettings('{', 'risk.json'), /risk\.json is not JSON/);
    assert.deepEqual(resolveLimits({}, 's', 'a'), DEFAULT_LIMITS);
  });
});
