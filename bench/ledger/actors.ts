/**
 * The other processes of bench:ledger, each its own process (KF_HOME, KF_MASTER_PORT in the env):
 *   actors.js td          registers as td/binance/acct and publishes what a ready TD would:
 *                         BrokerState Ready, balances, BTCUSDT's Instrument; prints "ready"; then
 *                         answers each order the ledger routes to it: accepted, then filled
 *   actors.js strategy N  registers as strategy/default/bench, adds the account, then on "go"
 *                         writes N limit orders, about 1k/s, to the ledger; prints "done"
 */
import { createInterface } from 'node:readline';
import { nowNs } from '../../src/journal/clock.js';
import { Locations } from '../../src/journal/location.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { parseDecimal as d } from '../../src/model/decimal.js';
import { BrokerState, OrderStatus, PriceType, Side, TimeCondition } from '../../src/model/enums.js';
import { AddAccount, Asset, BrokerStateUpdate, Instrument, MsgType, Order, OrderInput } from '../../src/model/events.js';
import { EventLoop } from '../../src/journal/loop.js';
import { JournalReader } from '../../src/journal/reader.js';
import { MasterClient } from '../../src/runtime/master-client.js';
import { createLogger } from '../../src/util/log.js';

const [role = '', countText = '0'] = process.argv.slice(2);
const home = process.env.KF_HOME!;
const log = createLogger({ name: 'bench', level: 'warning', fd: 2 });
const location = role === 'td' ? Locations.td('binance', 'acct') : Locations.strategy('bench');
const client: MasterClient = new MasterClient({
  host: '127.0.0.1',
  port: Number(process.env.KF_MASTER_PORT),
  home,
  log,
  registration: { type: 'register', location: location.path, pid: process.pid, journal: '' },
  onStop: () => void client.close().then(() => process.exit(0)),
});
await client.connect();

if (role === 'td') {
  const w = JournalWriter.open({ home, location, log });
  const i = Instrument.empty();
  Object.assign(i, { symbol: 'BTCUSDT', exchange: 'BINANCE', base_asset: 'BTC', quote_asset: 'USDT', tick_size: d('0.01'), min_price: d('0.01'), max_price: d('1000000'), step_size: d('0.00001'), min_qty: d('0.00001'), max_qty: d('9000'), min_notional: d('5'), max_notional: d('9000000') });
  w.write(MsgType.Instrument, Instrument, i);
  for (const [asset, free] of [['USDT', '1000000000'], ['BTC', '1000']] as const) {
    const a = Asset.empty();
    Object.assign(a, { source: 'binance', account: 'acct', asset, free: d(free) });
    w.write(MsgType.Asset, Asset, a);
  }
  const b = BrokerStateUpdate.empty();
  Object.assign(b, { source: 'binance', account: 'acct', state: BrokerState.Ready, update_time: nowNs() });
  w.write(MsgType.BrokerState, BrokerStateUpdate, b);
  // Answer routed orders as an exchange would (on an event loop, as the real TD does).
  const reader = new JournalReader({ home, log });
  reader.join(Locations.ledger(), location.uid);
  const loop = new EventLoop({ reader, mode: 'loop' });
  const order = Order.empty();
  loop.onFrame((f) => {
    if (f.msgType !== MsgType.OrderInput) return;
    const input = f.decode(OrderInput);
    Object.assign(order, { order_id: input.order_id, symbol: input.symbol, exchange: input.exchange, source: input.source, account: input.account, price: input.price, volume: input.volume, side: input.side, price_type: input.price_type });
    order.status = OrderStatus.Submitted;
    w.write(MsgType.Order, Order, order, f.genTime);
    order.status = OrderStatus.Filled;
    order.volume_traded = input.volume;
    w.write(MsgType.Order, Order, order, f.genTime);
  });
  void loop.run();
  process.stdout.write('ready\n');
} else {
  const toLedger = JournalWriter.open({ home, location, dest: Locations.ledger().uid, log });
  const a = AddAccount.empty();
  a.source = 'binance';
  a.account = 'acct';
  toLedger.write(MsgType.AddAccount, AddAccount, a);
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).on('line', (l) => l === 'go' && resolve()));
  const o = OrderInput.empty();
  Object.assign(o, { symbol: 'BTCUSDT', exchange: 'BINANCE', source: 'binance', account: 'acct', price: d('60000'), volume: d('0.001'), price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC });
  const count = Number(countText);
  for (let i = 0; i < count; i++) {
    // About 1k/s, sleeping in between (as a strategy waits for its next event): a busy-waiting
    // sender would take one of the machine's two cores from the processes being measured.
    await new Promise((r) => setTimeout(r, 1));
    o.order_id = (BigInt(location.uid) << 32n) | BigInt(i + 1);
    o.insert_time = nowNs();
    toLedger.write(MsgType.OrderInput, OrderInput, o);
  }
  process.stdout.write('done\n');
}
setInterval(() => {}, 1000);
