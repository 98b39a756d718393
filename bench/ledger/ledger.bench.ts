/**
 * bench:ledger — what the ledger costs, each against a baseline measured in the same run:
 * (a) replaying 1 M journal events (orders, routes, order updates, fills, balances, quotes) into
 *     the books, against reading the same frames without doing anything with them;
 * (b) the pre-trade risk check of one order, in process (p50/p99), against decoding the order;
 * (c) the ledger's hop on the order path: strategy commit -> the ledger's commit of the routed
 *     order, with the ledger in the default mode and with -x, against a plain journal hop (writer
 *     process -> futex reader process) at the same rate.
 * Runs compiled JavaScript. Ends with one line of JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { Halts } from '../../src/ledger/halts.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { Outbox } from '../../src/ledger/outbox.js';
import { checkOrder } from '../../src/ledger/risk.js';
import { DEFAULT_LIMITS, riskSettingsPath } from '../../src/ledger/settings.js';
import { parseDecimal as d } from '../../src/model/decimal.js';
import { BrokerState, OrderStatus, PriceType, Side, TimeCondition } from '../../src/model/enums.js';
import { Asset, BrokerStateUpdate, Instrument, MsgType, Order, OrderInput, Quote, Trade } from '../../src/model/events.js';
import { encodeToBuffer, decodeFromBuffer } from '../../src/model/layout.js';
import { nowNs } from '../../src/journal/clock.js';
import { createLogger } from '../../src/util/log.js';
import { journalHop } from '../common/journal-hop.js';

const log = createLogger({ name: 'bench', level: 'error', fd: 2 });
const say = (line: string) => process.stderr.write(line + '\n');
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const KFC = join(ROOT, 'dist', 'cli', 'kfc.js');
const ACTORS = fileURLToPath(new URL('./actors.js', import.meta.url));
const homes: string[] = [];
const newHome = () => {
  const h = mkdtempSync(join(tmpdir(), 'kfts-bench-ledger-'));
  homes.push(h);
  return h;
};
process.on('exit', () => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const round = (x: number, n = 2) => Number(x.toFixed(n));

// ---- (a) replay ---------------------------------------------------------------------------------
const STRATEGY = Locations.strategy('bench');
const TD = Locations.td('binance', 'acct');
const MD = Locations.md('binance');
const LEDGER = Locations.ledger();

function writeHistory(home: string, cycles: number): number {
  const opts = { home, log, pageSize: 256 << 20 };
  const strategy = JournalWriter.open({ ...opts, location: STRATEGY, dest: LEDGER.uid });
  const routed = JournalWriter.open({ ...opts, location: LEDGER, dest: TD.uid });
  const td = JournalWriter.open({ ...opts, location: TD });
  const md = JournalWriter.open({ ...opts, location: MD });
  const i = Instrument.empty();
  Object.assign(i, { symbol: 'BTCUSDT', exchange: 'BINANCE', base_asset: 'BTC', quote_asset: 'USDT', tick_size: d('0.01'), min_price: d('0.01'), max_price: d('1000000'), step_size: d('0.00001'), min_qty: d('0.00001'), max_qty: d('9000'), min_notional: d('5'), max_notional: d('9000000') });
  td.write(MsgType.Instrument, Instrument, i);
  const b = BrokerStateUpdate.empty();
  Object.assign(b, { source: 'binance', account: 'acct', state: BrokerState.Ready });
  td.write(MsgType.BrokerState, BrokerStateUpdate, b);
  const input = OrderInput.empty();
  Object.assign(input, { symbol: 'BTCUSDT', exchange: 'BINANCE', source: 'binance', account: 'acct', price: d('60000'), volume: d('0.001'), price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC });
  const order = Order.empty();
  Object.assign(order, { symbol: 'BTCUSDT', exchange: 'BINANCE', source: 'binance', account: 'acct', price: d('60000'), volume: d('0.001'), side: Side.Buy });
  const trade = Trade.empty();
  Object.assign(trade, { symbol: 'BTCUSDT', exchange: 'BINANCE', source: 'binance', account: 'acct', price: d('60000'), volume: d('0.001'), amount: d('60'), commission: d('0.000001'), commission_asset: 'BTC', side: Side.Buy });
  const asset = Asset.empty();
  Object.assign(asset, { source: 'binance', account: 'acct' });
  const quote = Quote.empty();
  Object.assign(quote, { symbol: 'BTCUSDT', exchange: 'BINANCE', bid_price: d('59999.99'), ask_price: d('60000.01') });
  let usdt = d('100000000');
  let btc = 0n;
  let events = 2;
  for (let c = 1; c <= cycles; c++) {
    const id = (BigInt(STRATEGY.uid) << 32n) | BigInt(c);
    input.order_id = id;
    strategy.write(MsgType.OrderInput, OrderInput, input);
    routed.write(MsgType.OrderInput, OrderInput, input);
    order.order_id = id;
    order.status = OrderStatus.Submitted;
    order.volume_traded = 0n;
    td.write(MsgType.Order, Order, order);
    trade.order_id = id;
    trade.ex_trade_id = String(c);
    td.write(MsgType.Trade, Trade, trade);
    order.status = OrderStatus.Filled;
    order.volume_traded = order.volume;
    td.write(MsgType.Order, Order, order);
    usdt -= d('60');
    btc += d('0.000999');
    asset.asset = 'USDT';
    asset.free = usdt;
    td.write(MsgType.Asset, Asset, asset);
    asset.asset = 'BTC';
    asset.free = btc;
    td.write(MsgType.Asset, Asset, asset);
    for (let q = 0; q < 3; q++) md.write(MsgType.Quote, Quote, quote);
    events += 10;
  }
  for (const w of [strategy, routed, td, md]) w.close();
  return events;
}

function joinAll(r: JournalReader): void {
  r.join(STRATEGY, LEDGER.uid);
  r.join(LEDGER, TD.uid);
  r.join(TD);
  r.join(MD);
}

say('(a) replay of 1 M journal events into the books');
const replayHome = newHome();
const events = writeHistory(replayHome, 100_000);
const rawTimes: number[] = [];
const replayTimes: number[] = [];
for (let run = 0; run < 3; run++) {
  const raw = new JournalReader({ home: replayHome, log });
  joinAll(raw);
  let t0 = performance.now();
  let n = 0;
  for (let f = raw.next(); f; f = raw.next()) n++;
  rawTimes.push((performance.now() - t0) / 1000);
  raw.close();
  if (n !== events) throw new Error(`read ${n} frames, wrote ${events}`);
  const reader = new JournalReader({ home: replayHome, log });
  joinAll(reader);
  const sink = JournalWriter.open({ home: newHome(), location: LEDGER, log });
  const ledger = new Ledger({ ledgerUid: LEDGER.uid, outbox: new Outbox(sink, () => sink, log), limits: () => DEFAULT_LIMITS, log, now: nowNs });
  t0 = performance.now();
  for (let f = reader.next(); f; f = reader.next()) ledger.onFrame(f);
  ledger.endReplay();
  replayTimes.push((performance.now() - t0) / 1000);
  reader.close();
  sink.close();
  if (ledger.books.strategy(STRATEGY.uid).position('binance_acct', 'BTCUSDT').volume !== d('99.9')) throw new Error('replay built the wrong position');
}
const replay = Math.min(...replayTimes);
const raw = Math.min(...rawTimes);
say(`    ledger replay ${replay.toFixed(3)} s for ${(events / 1e6).toFixed(2)} M events (${((events / replay) / 1e6).toFixed(2)} M/s); reading alone ${raw.toFixed(3)} s (${(replay / raw).toFixed(1)}x)`);

// ---- (b) risk check ------------------------------------------------------------------------------
say('(b) pre-trade risk check of one order, in process');
const { books } = new Ledger({ ledgerUid: LEDGER.uid, outbox: undefined as never, limits: () => DEFAULT_LIMITS, log, now: nowNs });
{
  const i = Instrument.empty();
  Object.assign(i, { symbol: 'BTCUSDT', exchange: 'BINANCE', base_asset: 'BTC', quote_asset: 'USDT', tick_size: d('0.01'), min_price: d('0.01'), max_price: d('1000000'), step_size: d('0.00001'), min_qty: d('0.00001'), max_qty: d('9000'), min_notional: d('5'), max_notional: d('9000000') });
  books.onInstrument(i);
  const q = Quote.empty();
  Object.assign(q, { symbol: 'BTCUSDT', exchange: 'BINANCE', bid_price: d('59999.99'), ask_price: d('60000.01') });
  books.onQuote(q, nowNs());
  books.onBrokerState('binance', 'acct', BrokerState.Ready, '');
  const a = Asset.empty();
  Object.assign(a, { source: 'binance', account: 'acct', asset: 'USDT', free: d('100000000') });
  books.onAsset(a, 0n);
}
const strategy = books.strategy(STRATEGY.uid, 'bench');
strategy.accounts.add('binance_acct');
const input = OrderInput.empty();
Object.assign(input, { symbol: 'BTCUSDT', exchange: 'BINANCE', source: 'binance', account: 'acct', price: d('60000'), volume: d('0.001'), price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC });
const encoded = encodeToBuffer(OrderInput, input);
const risk = { books, halts: new Halts(), limits: () => ({ ...DEFAULT_LIMITS, maxOrdersPerSecond: 1e9 }) };
const checkNs: number[] = [];
const decodeNs: number[] = [];
for (let i = 0; i < 220_000; i++) {
  let t = process.hrtime.bigint();
  const denied = checkOrder(risk, input, strategy, 0n);
  const c = Number(process.hrtime.bigint() - t);
  if (denied) throw new Error(`risk refused the bench order: ${denied.message}`);
  t = process.hrtime.bigint();
  decodeFromBuffer(OrderInput, encoded);
  const dd = Number(process.hrtime.bigint() - t);
  if (i >= 20_000) {
    checkNs.push(c);
    decodeNs.push(dd);
  }
}
checkNs.sort((x, y) => x - y);
decodeNs.sort((x, y) => x - y);
const riskP50 = pct(checkNs, 0.5) / 1000;
const riskP99 = pct(checkNs, 0.99) / 1000;
say(`    risk check p50 ${riskP50.toFixed(2)} us, p99 ${riskP99.toFixed(2)} us; decoding the order alone p50 ${(pct(decodeNs, 0.5) / 1000).toFixed(2)} us`);

// ---- (c) the ledger's hop ------------------------------------------------------------------------
interface Proc {
  child: ChildProcess;
  line(re: RegExp): Promise<string>;
}
function start(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const seen: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    seen.push(l);
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.re.test(l)) waiters.splice(i, 1)[0]!.resolve(l);
  });
  return { child, line: (re) => (seen.find((l) => re.test(l)) !== undefined ? Promise.resolve(seen.find((l) => re.test(l))!) : new Promise((resolve) => waiters.push({ re, resolve }))) };
}

const HOP_ORDERS = 3000;
async function ledgerHop(spin: boolean): Promise<number[]> {
  const home = newHome();
  const env = { KF_HOME: home, KF_MASTER_PORT: String(19_500 + Math.floor(Math.random() * 400)) };
  mkdirSync(dirname(riskSettingsPath(home)), { recursive: true });
  writeFileSync(riskSettingsPath(home), JSON.stringify({ limits: { maxOpenOrders: 100000, maxOrdersPerSecond: 100000, maxOrderNotional: '1000000000', maxPositionNotional: '1000000000' } }));
  const master = start([KFC, 'master'], env);
  await master.line(/master listening/);
  const ledger = start([KFC, ...(spin ? ['-x'] : []), 'ledger'], env);
  const td = start([ACTORS, 'td'], env);
  await td.line(/^ready$/);
  const strat = start([ACTORS, 'strategy', String(HOP_ORDERS)], env);
  await strat.line(/^ready$/);
  await sleep(1000); // the ledger joined both and took the TD's state
  strat.child.stdin!.write('go\n');
  await strat.line(/^done$/);
  await sleep(500);
  const r = new JournalReader({ home, log });
  r.join(LEDGER, TD.uid);
  const hops: number[] = [];
  for (let f = r.next(); f; f = r.next()) if (f.msgType === MsgType.OrderInput && f.triggerTime > 0n) hops.push(Number(f.genTime - f.triggerTime) / 1000);
  r.close();
  for (const p of [strat, td, ledger, master]) p.child.kill('SIGINT');
  await sleep(300);
  if (hops.length < HOP_ORDERS * 0.9) throw new Error(`only ${hops.length} of ${HOP_ORDERS} orders were routed`);
  return hops.slice(300).sort((x, y) => x - y);
}

say('(c) the ledger hop: strategy commit -> the routed order\'s commit, 1k orders/s');
const journalP50s: number[] = [];
const hopP50s: number[] = [];
let hops: number[] = [];
for (let round = 0; round < 2; round++) {
  journalP50s.push((await journalHop({ dir: newHome(), count: HOP_ORDERS, rate: 1000, warmup: 300, wait: 'block' })).p50);
  hops = await ledgerHop(false);
  hopP50s.push(pct(hops, 0.5));
  say(`    round ${round + 1}: ledger hop p50 ${pct(hops, 0.5).toFixed(1)} us, p99 ${pct(hops, 0.99).toFixed(1)}; journal hop p50 ${journalP50s[round]!.toFixed(1)} us`);
}
const spinHops = await ledgerHop(true);
const hopP50 = Math.min(...hopP50s);
const journalP50 = Math.min(...journalP50s);
say(`    ledger hop -x p50 ${pct(spinHops, 0.5).toFixed(1)} us, p99 ${pct(spinHops, 0.99).toFixed(1)} us`);
say(`    ledger hop adds ${(hopP50 - journalP50).toFixed(1)} us to the journal hop (goal <= 10)`);

console.log(
  JSON.stringify({
    replay_1m_s: round((replay * 1e6) / events, 3),
    replay_events: events,
    replay_raw_read_s: round((raw * 1e6) / events, 3),
    risk_p50_us: round(riskP50, 3),
    risk_p99_us: round(riskP99, 3),
    decode_p50_us: round(pct(decodeNs, 0.5) / 1000, 3),
    hop_p50_us: round(hopP50),
    hop_p99_us: round(pct(hops, 0.99)),
    spin_hop_p50_us: round(pct(spinHops, 0.5)),
    spin_hop_p99_us: round(pct(spinHops, 0.99)),
    journal_hop_p50_us: round(journalP50),
  }),
);
