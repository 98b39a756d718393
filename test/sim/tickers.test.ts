/**
 * The ticker endpoints and the rest of the public market data the issue asked for (ticker/price,
 * the rolling-window ticker, ticker/tradingDay, uiKlines, historicalTrades, the query variants of
 * ticker/24hr and bookTicker, exchangeInfo's filters), driven through the `binance` SDK's
 * MainClient and ccxt. The sim runs on a clock the test sets, so trades land hours apart and
 * every window's statistics follow from the trades this test made.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { MainClient } from 'binance';
import { ccxtBinance } from '../../bench/common/ccxt.js';
import { hmacSignature } from '../../src/sim/api/signing.js';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';

const HOUR = 3_600_000;
/** A Monday, 10:00 UTC. */
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
let clock = T0 - 3 * HOUR;
let server: Server;
let base = '';
let rest: MainClient;

before(async () => {
  ({ server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, now: () => clock }));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  rest = new MainClient({ baseUrl: base, disableTimeSync: true, beautifyResponses: false });
});
after(() => {
  server.closeAllConnections();
  server.close();
});

/** A signed order on the sim's clock. */
async function order(params: Record<string, string>): Promise<void> {
  const query = new URLSearchParams({ selfTradePreventionMode: 'NONE', ...params, timestamp: String(clock) }).toString();
  const res = await fetch(`${base}/api/v3/order?${query}&signature=${hmacSignature(DEMO_ACCOUNT.hmacSecret!, query)}`, { method: 'POST', headers: { 'X-MBX-APIKEY': DEMO_ACCOUNT.apiKey } });
  assert.equal(res.status, 200, JSON.stringify(await res.clone().json()));
  await res.arrayBuffer();
}

/** One trade of `qty` at `price`, at `at` on the sim's clock (the demo account on both sides). */
async function trade(symbol: string, price: string, qty: string, at: number): Promise<void> {
  clock = at;
  await order({ symbol, side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: qty, price });
  await order({ symbol, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: qty, price });
}

const sum = (xs: string[]) => xs.reduce((a, x) => a + Math.round(Number(x) * 1e8), 0) / 1e8;

describe('sim tickers and historical market data', { timeout: 60_000 }, () => {
  before(async () => {
    await trade('BTCUSDT', '60000', '0.01', T0 - 3 * HOUR); // 07:00 UTC
    await trade('BTCUSDT', '61000', '0.02', T0 - HOUR / 2); // 09:30
    await trade('BTCUSDT', '62000', '0.03', T0 - 10_000); // 09:59:50
    await trade('ETHUSDT', '3000', '0.5', T0 - 20_000);
    clock = T0;
  });

  it('ticker/price is the last trade of the tape, for a symbol, a symbols list and all symbols', async () => {
    const recent = await rest.getRecentTrades({ symbol: 'BTCUSDT', limit: 1 });
    assert.deepEqual(await rest.getSymbolPriceTicker({ symbol: 'BTCUSDT' }), { symbol: 'BTCUSDT', price: String(recent[0]!.price) });
    assert.equal(recent[0]!.price, '62000.00000000');
    assert.deepEqual(await rest.getSymbolPriceTicker({ symbols: ['ETHUSDT', 'BTCUSDT'] }), [
      { symbol: 'ETHUSDT', price: '3000.00000000' },
      { symbol: 'BTCUSDT', price: '62000.00000000' },
    ]);
    assert.deepEqual(await rest.getSymbolPriceTicker(), [
      { symbol: 'BTCUSDT', price: '62000.00000000' },
      { symbol: 'ETHUSDT', price: '3000.00000000' },
    ]);
    // ccxt's fetchLastPrices reads the same endpoint.
    const ex = await ccxtBinance({ rest: base });
    const last = await ex.fetchLastPrices(['BTC/USDT', 'ETH/USDT']);
    assert.deepEqual([last['BTC/USDT']!.price, last['ETH/USDT']!.price], [62000, 3000]);
  });

  it('the rolling ticker sums the trades of its window: 1m, 1h, 4h, open time on a minute', async () => {
    const all = (await rest.getRecentTrades({ symbol: 'BTCUSDT', limit: 10 })).map((t) => ({ ...t, price: String(t.price), qty: String(t.qty), quoteQty: String(t.quoteQty) }));
    assert.equal(all.length, 3);
    for (const [windowSize, count] of [['1m', 1], ['1h', 2], ['4h', 3], ['7d', 3]] as const) {
      const t = (await rest.getRollingWindowTicker({ symbol: 'BTCUSDT', windowSize } as never)) as unknown as Record<string, string | number>;
      const inWindow = all.slice(all.length - count);
      const windowMs = windowSize === '1m' ? 60_000 : windowSize === '1h' ? HOUR : windowSize === '4h' ? 4 * HOUR : 7 * 24 * HOUR;
      assert.deepEqual(Object.keys(t), ['symbol', 'priceChange', 'priceChangePercent', 'weightedAvgPrice', 'openPrice', 'highPrice', 'lowPrice', 'lastPrice', 'volume', 'quoteVolume', 'openTime', 'closeTime', 'firstId', 'lastId', 'count']);
      assert.equal(t.count, count, windowSize);
      assert.equal(Number(t.volume), sum(inWindow.map((x) => x.qty)), `${windowSize} volume`);
      assert.equal(Number(t.quoteVolume), sum(inWindow.map((x) => x.quoteQty)), `${windowSize} quote volume`);
      assert.deepEqual([t.openPrice, t.lastPrice, t.firstId, t.lastId], [inWindow[0]!.price, '62000.00000000', inWindow[0]!.id, all.at(-1)!.id]);
      assert.deepEqual([t.openTime, t.closeTime], [Math.floor((T0 - windowMs) / 60_000) * 60_000, T0]);
    }
    const mini = (await rest.getRollingWindowTicker({ symbols: ['BTCUSDT', 'ETHUSDT'], windowSize: '1h', type: 'MINI' } as never)) as unknown as Record<string, unknown>[];
    assert.deepEqual(mini.map((m) => Object.keys(m)), Array(2).fill(['symbol', 'openPrice', 'highPrice', 'lowPrice', 'lastPrice', 'volume', 'quoteVolume', 'openTime', 'closeTime', 'firstId', 'lastId', 'count']));
    assert.deepEqual(mini.map((m) => [m.symbol, m.volume, m.highPrice, m.lowPrice]), [['BTCUSDT', '0.05000000', '62000.00000000', '61000.00000000'], ['ETHUSDT', '0.50000000', '3000.00000000', '3000.00000000']]);
  });

  it('the trading-day ticker covers the day in the asked time zone', async () => {
    const utc = (await rest.getTradingDayTicker({ symbol: 'BTCUSDT' })) as unknown as Record<string, string | number>;
    assert.deepEqual([utc.count, utc.volume, utc.openPrice, utc.openTime, utc.closeTime], [3, '0.06000000', '60000.00000000', Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 6) - 1]);
    // At UTC-8 it is 02:00 on the 5th: the 07:00 UTC trade was on the 4th there.
    const west = (await rest.getTradingDayTicker({ symbol: 'BTCUSDT', timeZone: '-8' } as never)) as unknown as Record<string, string | number>;
    assert.deepEqual([west.count, west.volume, west.openPrice, west.priceChange, west.openTime], [2, '0.05000000', '61000.00000000', '1000.00000000', Date.UTC(2026, 0, 5, 8)]);
    const mini = (await rest.getTradingDayTicker({ symbols: ['ETHUSDT'], type: 'MINI' } as never)) as unknown as Record<string, unknown>[];
    assert.deepEqual(mini.map((m) => [m.symbol, m.count, 'priceChange' in m]), [['ETHUSDT', 1, false]]);
  });

  it('ticker/24hr and bookTicker take symbols and type=MINI; ccxt reads them', async () => {
    const both = (await rest.get24hrChangeStatistics({ symbols: ['BTCUSDT', 'ETHUSDT'], type: 'MINI' })) as unknown as Record<string, unknown>[];
    assert.deepEqual(both.map((t) => [t.symbol, t.volume, t.count, 'bidPrice' in t, 'priceChange' in t]), [['BTCUSDT', '0.06000000', 3, false, false], ['ETHUSDT', '0.50000000', 1, false, false]]);
    const full = (await rest.get24hrChangeStatistics({ symbols: ['ETHUSDT'] })) as unknown as Record<string, unknown>[];
    assert.deepEqual(full.map((t) => [t.symbol, t.lastPrice, t.prevClosePrice]), [['ETHUSDT', '3000.00000000', '3000.00000000']]);
    await order({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '2900' });
    assert.deepEqual(await rest.getSymbolOrderBookTicker({ symbols: ['ETHUSDT'] }), [{ symbol: 'ETHUSDT', bidPrice: '2900.00000000', bidQty: '0.10000000', askPrice: '0.00000000', askQty: '0.00000000' }]);
    const ex = await ccxtBinance({ rest: base });
    const tickers = await ex.fetchTickers(['BTC/USDT', 'ETH/USDT']);
    assert.deepEqual([tickers['BTC/USDT']!.last, tickers['BTC/USDT']!.baseVolume, tickers['ETH/USDT']!.bid], [62000, 0.06, 2900]);
    const bidsAsks = await ex.fetchBidsAsks(['ETH/USDT']);
    assert.equal(bidsAsks['ETH/USDT']!.bid, 2900);
  });

  it('uiKlines answers what klines does; historicalTrades pages by fromId without an API key', async () => {
    const q = { symbol: 'BTCUSDT', interval: '1h' as const, limit: 5 };
    const ui = await rest.getUIKlines(q);
    assert.deepEqual(ui, await rest.getKlines(q));
    assert.deepEqual(ui.map((k) => [k[0], k[5]]), [[T0 - 4 * HOUR, '0.00000000'], [T0 - 3 * HOUR, '0.01000000'], [T0 - 2 * HOUR, '0.00000000'], [T0 - HOUR, '0.05000000'], [T0, '0.00000000']].slice(-ui.length));
    const recent = await rest.getRecentTrades({ symbol: 'BTCUSDT', limit: 3 });
    const page = await rest.getHistoricalTrades({ symbol: 'BTCUSDT', fromId: recent[1]!.id, limit: 5 });
    assert.deepEqual(page.map((t) => [t.id, t.price, t.qty, t.isBuyerMaker]), recent.slice(1).map((t) => [t.id, t.price, t.qty, t.isBuyerMaker]));
    assert.deepEqual((await rest.getHistoricalTrades({ symbol: 'BTCUSDT', limit: 1 })).map((t) => t.price), ['62000.00000000']);
  });

  it('exchangeInfo filters by symbols, permissions and symbolStatus', async () => {
    const names = async (q: string) => ((await (await fetch(`${base}/api/v3/exchangeInfo${q}`)).json()) as { symbols: { symbol: string; permissionSets: string[][] }[] }).symbols;
    assert.deepEqual((await rest.getExchangeInfo({ symbols: ['ETHUSDT'] })).symbols.map((s) => s.symbol), ['ETHUSDT']);
    assert.deepEqual((await names('?permissions=SPOT')).map((s) => s.symbol), ['BTCUSDT', 'ETHUSDT']);
    assert.deepEqual(await names(`?permissions=${encodeURIComponent('["MARGIN","LEVERAGED"]')}`), []);
    assert.deepEqual(await names('?symbolStatus=HALT'), []);
    assert.deepEqual((await names('?symbolStatus=TRADING&showPermissionSets=false')).map((s) => [s.symbol, s.permissionSets]), [['BTCUSDT', []], ['ETHUSDT', []]]);
  });

  it('weights as Binance lists them', async () => {
    const weight = async (path: string) => {
      const before = Number((await fetch(`${base}/api/v3/ping`)).headers.get('x-mbx-used-weight-1m'));
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, path);
      return Number(res.headers.get('x-mbx-used-weight-1m')) - before;
    };
    const symbols = (n: number) => encodeURIComponent(JSON.stringify(['BTCUSDT', 'ETHUSDT'].slice(0, n)));
    assert.equal(await weight('/api/v3/ticker/price?symbol=BTCUSDT'), 2);
    assert.equal(await weight('/api/v3/ticker/price'), 4);
    assert.equal(await weight(`/api/v3/ticker/bookTicker?symbols=${symbols(2)}`), 4);
    assert.equal(await weight(`/api/v3/ticker?symbols=${symbols(2)}`), 8);
    assert.equal(await weight('/api/v3/ticker/tradingDay?symbol=BTCUSDT'), 4);
    assert.equal(await weight(`/api/v3/ticker/24hr?symbols=${symbols(2)}`), 2);
    assert.equal(await weight('/api/v3/ticker/24hr'), 80);
    assert.equal(await weight('/api/v3/historicalTrades?symbol=BTCUSDT'), 25);
    assert.equal(await weight('/api/v3/uiKlines?symbol=BTCUSDT&interval=1m'), 2);
  });
});
