/** Building ledger books by hand for unit tests: an account, an instrument, a quote, an order. */
import { parseDecimal as d } from '../../src/model/decimal.js';
import { BrokerState, OrderStatus, PriceType, Side, TimeCondition } from '../../src/model/enums.js';
import { Asset, Instrument, Order, OrderInput, Quote, Trade, type OrderInputEvent } from '../../src/model/events.js';
import { Books } from '../../src/ledger/books.js';
import { accountIdOf } from '../../src/ledger/order-view.js';

export const T0 = 1_800_000_000_000_000_000n;
export const STRATEGY_UID = 0x1234abcd;

export function btcusdt() {
  const i = Instrument.empty();
  Object.assign(i, {
    symbol: 'BTCUSDT', exchange: 'BINANCE', base_asset: 'BTC', quote_asset: 'USDT', status: 0,
    min_price: d('0.01'), max_price: d('1000000'), tick_size: d('0.01'),
    min_qty: d('0.00001'), max_qty: d('9000'), step_size: d('0.00001'),
    min_notional: d('5'), max_notional: d('9000000'), apply_min_to_market: true, apply_max_to_market: false,
  });
  return i;
}

/** Books with account binance_acct (Ready, balances), BTCUSDT, a quote, and a strategy that added the account. */
export function books(balances: Record<string, string> = { USDT: '1000', BTC: '1' }) {
  const b = new Books();
  b.onInstrument(btcusdt());
  const q = Quote.empty();
  Object.assign(q, { symbol: 'BTCUSDT', exchange: 'BINANCE', bid_price: d('59999.99'), ask_price: d('60000.01'), last_price: d('60000') });
  b.onQuote(q, T0);
  b.onBrokerState('binance', 'acct', BrokerState.Ready, '');
  for (const [asset, free] of Object.entries(balances)) {
    const a = Asset.empty();
    Object.assign(a, { source: 'binance', account: 'acct', asset, free: d(free), locked: 0n });
    b.onAsset(a, T0);
  }
  const s = b.strategy(STRATEGY_UID, 'demo');
  s.accounts.add(accountIdOf('binance', 'acct'));
  return b;
}

let seq = 1n;
export function input(over: Partial<OrderInputEvent> = {}): OrderInputEvent {
  const o = OrderInput.empty();
  Object.assign(o, {
    order_id: (BigInt(STRATEGY_UID) << 32n) | seq++, symbol: 'BTCUSDT', exchange: 'BINANCE', source: 'binance', account: 'acct',
    price: d('60000'), volume: d('0.01'), price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC,
  }, over);
  return o;
}

export function orderUpdate(o: OrderInputEvent, status: number, traded = 0n) {
  const u = Order.empty();
  Object.assign(u, { order_id: o.order_id, symbol: o.symbol, exchange: o.exchange, source: o.source, account: o.account, price: o.price, volume: o.volume, side: o.side, price_type: o.price_type, status, volume_traded: traded });
  return u;
}

export function trade(o: OrderInputEvent, price: string, volume: string, commission: string, asset: string, amount?: string) {
  const t = Trade.empty();
  Object.assign(t, { order_id: o.order_id, symbol: o.symbol, exchange: o.exchange, source: o.source, account: o.account, side: o.side, price: d(price), volume: d(volume), commission: d(commission), commission_asset: asset, amount: amount ? d(amount) : 0n, trade_time: T0 });
  return t;
}

export function asset(name: string, free: string, locked = '0') {
  const a = Asset.empty();
  Object.assign(a, { source: 'binance', account: 'acct', asset: name, free: d(free), locked: d(locked) });
  return a;
}

export { OrderStatus };
