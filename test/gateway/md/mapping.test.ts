/**
 * The MD gateway's pure mapping, on Binance's own documented frames (test/fixtures/binance/,
 * SOURCES.md): every field lands where it should, exactly, and malformed frames are refused
 * with an error that names the kind of message.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseDepthDiff, parseDepthSnapshot } from '../../../src/gateway/binance/md/depth-json.js';
import { mapExchangeInfo } from '../../../src/gateway/binance/md/instruments.js';
import { classifyMessage, mapAggTrade, mapBookTicker, mapKline, mapTicker, mapTrade, MappingError, parseStreamName, streamName } from '../../../src/gateway/binance/md/mapping.js';
import { InstrumentStatus } from '../../../src/model/enums.js';
import { parseDecimal as d } from '../../../src/model/decimal.js';

const frame = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/binance/${name}`, import.meta.url), 'utf8'));
const ns = (ms: number) => BigInt(ms) * 1_000_000n;
/** A copy of a recorded frame with one field changed (or removed with undefined). */
const tweak = (name: string, key: string, value: unknown): unknown => ({ ...(frame(name) as object), [key]: value });
const refuses = (fn: () => unknown, kind: string, re: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof MappingError && e.kind === kind && re.test(e.message), `${kind}: ${re}`);

describe('Binance mapping: market data frames', () => {
  it('bookTicker -> Quote', () => {
    const q = mapBookTicker(frame('bookTicker.json'));
    assert.equal(q.symbol, 'BNBUSDT');
    assert.equal(q.exchange, 'BINANCE');
    assert.equal(q.update_id, 400900217n);
    assert.equal(q.bid_price, d('25.3519'));
    assert.equal(q.bid_volume, d('31.21'));
    assert.equal(q.ask_price, d('25.3652'));
    assert.equal(q.ask_volume, d('40.66'));
    assert.equal(q.data_time, 0n, 'bookTicker has no event time');
  });

  it('trade -> Transaction', () => {
    const t = mapTrade(frame('trade.json'));
    assert.deepEqual([t.symbol, t.trade_id, t.first_trade_id, t.last_trade_id, t.price, t.volume, t.buyer_is_maker, t.aggregate], ['BNBBTC', 12345n, 12345n, 12345n, d('0.001'), d('100'), true, false]);
    assert.equal(t.data_time, ns(1672515782136));
    assert.equal(t.trade_time, ns(1672515782136));
  });

  it('aggTrade -> Transaction marked aggregate', () => {
    const t = mapAggTrade(frame('aggTrade.json'));
    assert.deepEqual([t.symbol, t.trade_id, t.first_trade_id, t.last_trade_id, t.price, t.volume, t.buyer_is_maker, t.aggregate], ['BNBBTC', 12345n, 100n, 105n, d('0.001'), d('100'), true, true]);
  });

  it('kline -> Bar', () => {
    const b = mapKline(frame('kline.json'));
    assert.equal(b.interval, '1m');
    assert.equal(b.start_time, ns(1672515780000));
    assert.equal(b.end_time, ns(1672515839999));
    assert.deepEqual([b.open, b.high, b.low, b.close, b.volume, b.quote_volume, b.taker_buy_volume, b.taker_buy_quote_volume], [d('0.001'), d('0.0025'), d('0.0015'), d('0.002'), d('1000'), d('1'), d('500'), d('0.5')]);
    assert.deepEqual([b.trade_count, b.first_trade_id, b.last_trade_id, b.closed], [100n, 100n, 200n, false]);
    const empty = frame('kline.json') as { k: Record<string, unknown> };
    empty.k.f = -1;
    empty.k.L = -1;
    assert.equal(mapKline(empty).first_trade_id, -1n, 'a kline without trades has ids -1');
  });

  it('24hrTicker -> Ticker, negative changes kept', () => {
    const t = mapTicker(frame('24hrTicker.json'));
    assert.deepEqual([t.price_change, t.price_change_percent, t.weighted_avg_price, t.last_price, t.last_volume], [d('0.0015'), d('250'), d('0.0018'), d('0.0025'), d('10')]);
    assert.deepEqual([t.open_time, t.close_time, t.first_trade_id, t.last_trade_id, t.trade_count], [0n, ns(86400000), 0n, 18150n, 18151n]);
    assert.equal(mapTicker(tweak('24hrTicker.json', 'P', '-12.345')).price_change_percent, d('-12.345'));
  });

  it('depthUpdate -> a diff in fixed-point units; the snapshot likewise', () => {
    const diff = parseDepthDiff(frame('depthUpdate.json'));
    assert.deepEqual({ ...diff, bids: diff.bids.toArray(), asks: diff.asks.toArray() }, { symbol: 'BNBBTC', eventTime: 1672515782136, first: 157, last: 160, bids: [240_000, 1_000_000_000], asks: [260_000, 10_000_000_000] });
    const snap = parseDepthSnapshot(frame('depth-snapshot.json'));
    assert.deepEqual(snap, { lastUpdateId: 1027024, bids: [400_000_000, 43_100_000_000], asks: [400_000_200, 1_200_000_000] });
  });

  it('refuses frames that do not have their kind\'s shape, naming the kind and the field', () => {
    refuses(() => mapBookTicker(tweak('bookTicker.json', 'b', 25.3519)), 'bookTicker', /field b: expected a decimal string/);
    refuses(() => mapBookTicker(tweak('bookTicker.json', 's', 'bnb/usdt')), 'bookTicker', /field s must be a symbol/);
    refuses(() => mapTrade(tweak('trade.json', 't', '12345')), 'trade', /field t must be a whole number/);
    refuses(() => mapTrade(tweak('trade.json', 'p', '1e-3')), 'trade', /"1e-3" is not a decimal number/);
    refuses(() => mapTrade(tweak('trade.json', 'q', '0.000000001')), 'trade', /more than 8 decimals/);
    refuses(() => mapTrade(tweak('trade.json', 'e', 'aggTrade')), 'trade', /field e must be "trade"/);
    refuses(() => mapAggTrade(tweak('aggTrade.json', 'm', 'yes')), 'aggTrade', /field m must be true or false/);
    refuses(() => mapKline(tweak('kline.json', 'k', null)), 'kline', /expected an object/);
    refuses(() => mapTicker(tweak('24hrTicker.json', 'n', -5)), '24hrTicker', /field n/);
    refuses(() => parseDepthDiff(tweak('depthUpdate.json', 'b', [['0.0024']])), 'depthUpdate', /b\[0\] must be \[price, qty\]/);
    refuses(() => parseDepthDiff(tweak('depthUpdate.json', 'a', [['-1', '2']])), 'depthUpdate', /price must be > 0/);
    refuses(() => parseDepthDiff(tweak('depthUpdate.json', 'U', 161)), 'depthUpdate', /U 161 is after u 160/);
    refuses(() => parseDepthDiff(tweak('depthUpdate.json', 'b', [['99999999999', '1']])), 'depthUpdate', /too large for an exact/);
    refuses(() => parseDepthSnapshot({ lastUpdateId: 'x', bids: [], asks: [] }), 'depth snapshot', /lastUpdateId/);
  });
});

describe('Binance mapping: connection messages', () => {
  it('tells market data, replies, errors and serverShutdown apart', () => {
    assert.deepEqual(classifyMessage({ stream: 'bnbbtc@depth@100ms', data: frame('depthUpdate.json') }), { type: 'data', stream: 'bnbbtc@depth@100ms', data: frame('depthUpdate.json') });
    assert.deepEqual(classifyMessage(frame('subscribe-response.json')), { type: 'reply', id: 1, ok: true, result: null });
    assert.deepEqual(classifyMessage(frame('unsubscribe-response.json')), { type: 'reply', id: 312, ok: true, result: null });
    assert.deepEqual(classifyMessage(frame('list-subscriptions-response.json')), { type: 'reply', id: 3, ok: true, result: ['btcusdt@aggTrade'] });
    assert.deepEqual(classifyMessage(frame('error-unknown-property.json')), { type: 'reply', id: 5, ok: false, code: 0, msg: 'Unknown property' });
    assert.deepEqual(classifyMessage(frame('error-invalid-json.json')), { type: 'reply', id: null, ok: false, code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' });
    assert.deepEqual(classifyMessage(frame('error-invalid-request.json')), { type: 'reply', id: null, ok: false, code: 2, msg: 'Invalid request: request ID must be an unsigned integer' });
    assert.deepEqual(classifyMessage(frame('serverShutdown-combined.json')), { type: 'serverShutdown', time: 1770123456789 });
    assert.deepEqual(classifyMessage(frame('serverShutdown-raw.json')), { type: 'serverShutdown', time: 1770123456789 });
    refuses(() => classifyMessage(frame('subscribe-request.json')), 'message', /neither market data/);
    refuses(() => classifyMessage([1, 2]), 'message', /expected an object/);
  });

  it('names streams as Binance does and parses its own names back', () => {
    const keys = [
      { symbol: 'BTCUSDT', kind: 'depth' },
      { symbol: 'BTCUSDT', kind: 'bookTicker' },
      { symbol: 'ETHUSDT', kind: 'trade' },
      { symbol: 'ETHUSDT', kind: 'aggTrade' },
      { symbol: 'ETHUSDT', kind: 'ticker' },
      { symbol: 'BNBBTC', kind: 'kline', interval: '1M' },
    ] as const;
    assert.deepEqual(keys.map(streamName), ['btcusdt@depth@100ms', 'btcusdt@bookTicker', 'ethusdt@trade', 'ethusdt@aggTrade', 'ethusdt@ticker', 'bnbbtc@kline_1M']);
    for (const k of keys) assert.deepEqual(parseStreamName(streamName(k)), k);
    for (const other of ['btcusdt@depth', 'btcusdt@depth5', 'btcusdt@kline_7m', '!serverShutdown', 'BTCUSDT@trade']) assert.equal(parseStreamName(other), undefined, other);
  });
});

describe('Binance mapping: exchangeInfo -> Instrument', () => {
  it('maps every symbol filter of filters.md', () => {
    const { instruments, skipped } = mapExchangeInfo(frame('exchangeInfo.json'));
    assert.deepEqual(skipped, []);
    const [eth, bnb] = instruments;
    assert.ok(eth && bnb);
    assert.deepEqual(
      { symbol: eth.symbol, base: eth.base_asset, quote: eth.quote_asset, status: eth.status, bp: eth.base_precision, qp: eth.quote_precision },
      { symbol: 'ETHBTC', base: 'ETH', quote: 'BTC', status: InstrumentStatus.Trading, bp: 8, qp: 8 },
    );
    assert.deepEqual([eth.min_price, eth.max_price, eth.tick_size], [d('0.000001'), d('100000'), d('0.000001')]);
    assert.deepEqual([eth.min_qty, eth.max_qty, eth.step_size], [d('0.001'), d('100000'), d('0.001')]);
    assert.deepEqual([eth.min_notional, eth.max_notional, eth.apply_min_to_market, eth.apply_max_to_market, eth.notional_avg_price_mins], [d('10'), d('10000'), false, false, 5]);
    assert.deepEqual([eth.market_min_qty, eth.market_max_qty, eth.market_step_size], [d('0.001'), d('100000'), d('0.001')]);
    assert.deepEqual([eth.multiplier_up, eth.multiplier_down], [d('1.3'), d('0.7')]);
    assert.deepEqual([eth.bid_multiplier_up, eth.bid_multiplier_down, eth.ask_multiplier_up, eth.ask_multiplier_down, eth.percent_price_avg_price_mins], [d('1.2'), d('0.2'), d('5'), d('0.8'), 1]);
    assert.equal(eth.max_position, d('10'));
    assert.deepEqual([eth.iceberg_parts, eth.max_num_orders, eth.max_num_algo_orders, eth.max_num_iceberg_orders, eth.max_num_order_amends, eth.max_num_order_lists], [10, 25, 5, 5, 10, 20]);
    assert.deepEqual([eth.min_trailing_above_delta, eth.max_trailing_above_delta, eth.min_trailing_below_delta, eth.max_trailing_below_delta], [10, 2000, 10, 2000]);
    assert.equal(bnb.status, InstrumentStatus.Break);
    assert.deepEqual([bnb.min_notional, bnb.apply_min_to_market, bnb.notional_avg_price_mins], [d('0.001'), true, 5], 'the older MIN_NOTIONAL filter');
  });

  it('skips a malformed symbol (the others load) and refuses what is not exchangeInfo', () => {
    const info = frame('exchangeInfo.json') as { symbols: Record<string, unknown>[] };
    info.symbols[1]!.filters = [{ filterType: 'LOT_SIZE', minQty: '0.1', maxQty: '1', stepSize: '0.1' }];
    const { instruments, skipped } = mapExchangeInfo(info);
    assert.deepEqual(instruments.map((i) => i.symbol), ['ETHBTC']);
    assert.equal(skipped[0]?.symbol, 'BNBBTC');
    assert.match(skipped[0]!.reason, /no PRICE_FILTER tickSize/);
    refuses(() => mapExchangeInfo({ code: -1000, msg: 'nope' }), 'exchangeInfo', /no symbols list: is this a Binance API\?/);
  });
});
