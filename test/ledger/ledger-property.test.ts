/**
 * The books against the exchange's own accounting, on many random orders: a strategy sends
 * KF_PROPERTY_ORDERS (default 10 000) random orders and cancels through the real ledger and TD to
 * kfc sim (three symbols, one quoted in BTC, prices and quantities whose products round; some off
 * the tick or lot, some beyond the balance), a taker trades against them; then
 *  - the ledger's balances equal GET /account to the last digit,
 *  - each position's volume and net quote spent equal what the exchange's myTrades add up to,
 *  - the journals replayed into fresh books (the ledger's own code) give the same balances, and no
 *    balance is negative after any event,
 *  - every order the exchange received was one the ledger routed (none of the refused).
 * The seed is printed; KF_PROPERTY_SEED reproduces a run.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { discoverJournals } from '../../src/journal/discover.js';
import { Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ledgerReadPart } from '../../src/ledger/ledger-process.js';
import type { Outbox } from '../../src/ledger/outbox.js';
import { DEFAULT_LIMITS, riskSettingsPath } from '../../src/ledger/settings.js';
import { formatFixed, parseDecimal as d, roundToStep, type Decimal } from '../../src/model/decimal.js';
import { orderIdOf } from '../../src/gateway/binance/common/ids.js';
import { OrderStatus } from '../../src/model/enums.js';
import { MsgType, Order, OrderInput } from '../../src/model/events.js';
import { DEFAULT_SYMBOLS, START_PRICES } from '../../src/sim/sim-server.js';
import { prng } from '../../src/sim/market/synthetic.js';
import type { SymbolSpec } from '../../src/sim/engine/types.js';
import { runFixture } from '../fixtures/child.js';
import { ACCT, apiBooks, exchangeBalances, ledgerBalances, orderLog } from '../fixtures/ledger-books.js';
import { kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { TAKER, TdStack } from '../fixtures/td-stack.js';
import { recordingLogger, waitFor } from '../helpers.js';

const ORDERS = Number(process.env.KF_PROPERTY_ORDERS ?? 10_000);
const SEED = Number(process.env.KF_PROPERTY_SEED ?? Date.now() % 1_000_000);

const ETHBTC: SymbolSpec = { ...DEFAULT_SYMBOLS[1]!, symbol: 'ETHBTC', quoteAsset: 'BTC', tickSize: d('0.00001'), minPrice: d('0.00001'), maxPrice: d('1000'), minNotional: d('0.0001'), maxNotional: d('1000') };
const SYMBOLS = [...DEFAULT_SYMBOLS, ETHBTC];
const START: Record<string, string> = { ...START_PRICES, ETHBTC: '0.05' };

/** A price near `mid` on the tick (or, now and then, off it), a quantity for about `notional` quote on the lot (or off it). */
function pick(random: () => number, spec: SymbolSpec, mid: Decimal, notional: Decimal): { price: Decimal; volume: Decimal } {
  const off = random() < 0.03;
  const raw = mid + (mid * BigInt(Math.round((random() - 0.5) * 1_000))) / 100_000n; // mid +- 0.5%
  const price = off ? raw + 1n : roundToStep(raw, spec.tickSize, 'down');
  const qty = (notional * 100_000_000n) / price;
  const volume = random() < 0.03 ? qty : roundToStep(qty, spec.stepSize, 'down');
  return { price, volume };
}

describe('ledger property: random orders on kfc sim', { timeout: 600_000 }, () => {
  it(`${ORDERS} random orders, fills and cancels: balances and positions equal the exchange's to the last digit`, async () => {
    console.log(`property seed ${SEED} (KF_PROPERTY_SEED=${SEED} reproduces the strategy's choices)`);
    const random = prng(SEED);
    const stack = await new TdStack().start([ACCT], {
      symbols: { specs: SYMBOLS, startPrices: START },
      orderLimit: 1_000_000,
      weightLimit: 10_000_000,
      retention: { trades: 1_000_000, finishedOrders: 1_000_000 },
    });
    for (const asset of ['USDT', 'BTC', 'ETH']) stack.sim.engine.deposit(TAKER.name, asset, d('1000000'));
    const received = orderLog(stack);
    const settings = riskSettingsPath(stack.home);
    mkdirSync(dirname(settings), { recursive: true });
    writeFileSync(settings, JSON.stringify({ limits: { maxOrderNotional: '1000000', maxPositionNotional: '1000000000', maxOpenOrders: 100_000, maxOrdersPerSecond: 100_000, dailyLossLimit: '1000000000' } }));
    await stack.addAccount('acct', ACCT.apiKey, ACCT.secret);
    const ledger = kfcProcess(['ledger'], stack.env);
    stack.children.push(ledger);
    await ledger.line(/system\/service\/ledger\/live ready/);
    await stack.startTd('acct');
    const strategy = runFixture('fake-strategy.ts', ['prop'], stack.env);
    stack.children.push(strategy);
    await strategy.line(/^ready$/);
    strategy.proc.stdin.write(JSON.stringify({ addAccount: ['binance', 'acct'] }) + '\n');
    await waitFor('the account Ready in the ledger', async () => (await apiBooks(stack)).accounts.find((a) => a.account === 'binance_acct')?.brokerState === 'Ready');

    const taker = stack.client(TAKER);
    const mids = new Map(SYMBOLS.map((s) => [s.symbol, d(START[s.symbol]!)]));
    const ids: string[] = [];
    let sent = 0;
    let answers = 0;
    const BATCH = 50;
    while (sent < ORDERS) {
      const lines: string[] = [];
      for (let i = 0; i < BATCH && sent < ORDERS; i++) {
        const spec = SYMBOLS[Math.floor(random() * SYMBOLS.length)]!;
        const mid = mids.get(spec.symbol)!;
        if (ids.length > 0 && random() < 0.3) {
          lines.push(JSON.stringify({ cancel: ids[Math.floor(random() * ids.length)] }));
          continue;
        }
        const quoteIsBtc = spec.quoteAsset === 'BTC';
        const notional = quoteIsBtc ? d('0.0002') + BigInt(Math.floor(random() * 5_000_000)) : d('6') + BigInt(Math.floor(random() * 300e8));
        const { price, volume } = pick(random, spec, mid, notional);
        const side = random() < 0.5 ? 'BUY' : 'SELL';
        const market = random() < 0.15;
        const order: Record<string, string> = { symbol: spec.symbol, side, type: market ? 'MARKET' : 'LIMIT', account: 'acct' };
        if (market && side === 'BUY') order.quoteVolume = formatFixed(notional, 8);
        else order.volume = formatFixed(volume, 8);
        if (!market) order.price = formatFixed(price, 8);
        lines.push(JSON.stringify({ order }));
        sent++;
      }
      const before = strategy.lines.length;
      strategy.proc.stdin.write(lines.join('\n') + '\n');
      answers += lines.length;
      await waitFor('the strategy\'s answers', () => strategy.lines.length - before >= lines.length, 60_000);
      for (const l of strategy.lines.slice(before)) if (l.startsWith('order ')) ids.push(l.slice(6));
      // The taker: takes what rests near the mid on both sides, and leaves liquidity for market orders.
      for (const spec of SYMBOLS) {
        const mid = mids.get(spec.symbol)!;
        const qty = roundToStep(((takerUnit(spec) * 100_000_000n) / mid) * BigInt(1 + Math.floor(random() * 20)), spec.stepSize, 'down');
        const near = (bp: bigint) => formatFixed(roundToStep(mid + (mid * bp) / 10_000n, spec.tickSize, 'down'), 8);
        await taker.call('DELETE', '/api/v3/openOrders', { symbol: spec.symbol }, { signed: true }).catch(() => undefined);
        for (const [side, bp, tif] of [['SELL', -30n, 'IOC'], ['BUY', 30n, 'IOC'], ['SELL', 60n, 'GTC'], ['BUY', -60n, 'GTC']] as const) {
          await taker.call('POST', '/api/v3/order', { symbol: spec.symbol, side, type: 'LIMIT', timeInForce: tif, price: near(bp), quantity: formatFixed(qty, 8) }, { signed: true }).catch(() => undefined);
        }
        // The market wanders (0.2% at most per batch), so old orders end up far from it.
        mids.set(spec.symbol, roundToStep(mid + (mid * BigInt(Math.round((random() - 0.5) * 40))) / 10_000n, spec.tickSize, 'down'));
      }
    }
    assert.equal(answers + 2, strategy.lines.length, 'every command answered');

    // Quiet: the ledger has decided the last order (so every one before it), and every order left
    // open is cancelled (asked again while any is open: a cancel can cross a fill or a late route).
    const last = ids[ids.length - 1]!;
    let asked = 0;
    await waitFor('every order decided, none open at the exchange or in the books', async () => {
      const b = await apiBooks(stack);
      if (!b.orders.some((o) => o.orderId === last)) return false;
      const open = b.orders.filter((o) => o.status === 'Submitted' || o.status === 'PartialFilledActive' || o.status === 'Pending');
      const atExchange = await stack.client(ACCT).call<unknown[]>('GET', '/api/v3/openOrders', {}, { signed: true });
      if (open.length === 0 && atExchange.length === 0 && b.accounts[0]!.openOrders === 0) return true;
      if (open.length > 0 && performance.now() - asked > 2000) {
        asked = performance.now();
        strategy.proc.stdin.write(open.map((o) => JSON.stringify({ cancel: o.orderId })).join('\n') + '\n');
      }
      return false;
    }, 120_000, 100);
    const theirs = await exchangeBalances(stack, ACCT);
    const books = await waitFor('the ledger\'s balances equal GET /account', async () => {
      const b = await apiBooks(stack);
      return JSON.stringify(ledgerBalances(b, 'binance_acct')) === JSON.stringify(theirs) && b.accounts[0]!.openOrders === 0 ? b : undefined;
    }, 60_000);

    // Positions: the exchange's own trades, added up.
    const positions = books.strategies.find((s) => s.strategy === 'prop')!.positions;
    let fills = 0;
    for (const spec of SYMBOLS) {
      const trades = stack.sim.engine.myTrades(ACCT.name, spec.symbol);
      fills += trades.length;
      let volume = 0n;
      let quoteSpent = 0n;
      for (const t of trades) {
        const baseFee = t.commissionAsset === spec.baseAsset ? t.commission : 0n;
        const quoteFee = t.commissionAsset === spec.quoteAsset ? t.commission : 0n;
        volume += t.isBuyer ? t.qty - baseFee : -t.qty - baseFee;
        quoteSpent += (t.isBuyer ? t.quoteQty : -t.quoteQty) + quoteFee;
      }
      const p = positions.find((x) => x.symbol === spec.symbol);
      assert.equal(p?.volume ?? '0.00000000', formatFixed(volume, 8), `${spec.symbol} position volume`);
      assert.equal(formatFixed(d(p?.cost ?? '0') - d(p?.realizedPnl ?? '0'), 8), formatFixed(quoteSpent, 8), `${spec.symbol} cost - realized PnL = net quote spent`);
    }
    assert.ok(fills > ORDERS / 20, `enough fills to mean something: ${fills}`);

    // The exchange received only orders the ledger routed, and none it refused (its own journal says which).
    const decisions = ledgerDecisions(stack.home);
    const atExchange = received.filter((r) => r.account === ACCT.name).map((r) => orderIdOf(r.clientOrderId));
    for (const id of atExchange) {
      assert.ok(id !== undefined && decisions.routed.has(id), `the exchange received order ${id}, which the ledger did not route`);
      assert.ok(!decisions.refused.has(id), `the exchange received order ${id}, which the ledger refused`);
    }
    assert.ok(atExchange.length > ORDERS / 2, `most orders reached the exchange: ${atExchange.length}`);
    assert.ok(decisions.refused.size > ORDERS / 100, `some orders were refused (off tick, off lot, beyond the balance): ${decisions.refused.size}`);
    console.log(`${ORDERS} orders: ${atExchange.length} reached the exchange, ${fills} fills, ${decisions.refused.size} refused by the ledger; balances ${JSON.stringify(theirs)}`);
    // The journals replayed into fresh books: the same balances, none negative at any point.
    const replayed = replayBalances(stack.home);
    assert.deepEqual(replayed, ledgerBalances(books, 'binance_acct'));
    assert.equal((await kfcRun(['shutdown'], stack.env)).status, 0);
    for (const p of stack.children) assert.equal((await p.exited).code, 0, p.stderr().slice(-500));
  });
});

/** The taker's unit of trade, in the quote asset (it trades 1 to 20 of them). */
function takerUnit(spec: SymbolSpec): Decimal {
  return spec.quoteAsset === 'BTC' ? d('0.0002') : d('10');
}

/** The ledger's decisions, from its own journal: orders routed to a TD, orders refused. */
function ledgerDecisions(home: string): { routed: Set<bigint>; refused: Set<bigint> } {
  const routed = new Set<bigint>();
  const refused = new Set<bigint>();
  const reader = new JournalReader({ home, log: recordingLogger() });
  for (const { location, dest } of discoverJournals(home)) if (location.uid === Locations.ledger().uid) reader.join(location, dest);
  for (let f = reader.next(); f; f = reader.next()) {
    if (f.msgType === MsgType.OrderInput) routed.add(f.decode(OrderInput).order_id);
    else if (f.msgType === MsgType.Order && f.dest === 0) {
      const o = f.decode(Order);
      if (o.status === OrderStatus.Error) refused.add(o.order_id);
    }
  }
  reader.close();
  return { routed, refused };
}

/** Replays every journal the ledger reads into a new Ledger (replay mode: it writes nothing), checking balances after each frame. */
function replayBalances(home: string): Record<string, [string, string]> {
  const ledgerUid = Locations.ledger().uid;
  const refuse = () => {
    throw new Error('a replaying ledger wrote');
  };
  const ledger = new Ledger({ ledgerUid, outbox: new Proxy({}, { get: refuse }) as Outbox, limits: () => DEFAULT_LIMITS, log: recordingLogger(), now: () => 0n });
  const reader = new JournalReader({ home, log: recordingLogger() });
  for (const { location, dest } of discoverJournals(home)) {
    if (location.uid === ledgerUid || ledgerReadPart(location, ledgerUid) === dest) reader.join(location, dest);
  }
  let frames = 0;
  for (let f = reader.next(); f; f = reader.next()) {
    ledger.onFrame(f);
    frames++;
    for (const a of ledger.books.accounts.values()) {
      for (const [asset, b] of a.balances) {
        if (b.free < 0n || b.locked < 0n) assert.fail(`${a.id} ${asset} negative after frame ${frames}: free ${formatFixed(b.free, 8)} locked ${formatFixed(b.locked, 8)}`);
      }
    }
  }
  reader.close();
  const a = ledger.books.accounts.get('binance_acct')!;
  return Object.fromEntries([...a.balances].filter(([, b]) => b.free !== 0n || b.locked !== 0n).map(([asset, b]) => [asset, [formatFixed(b.free, 8), formatFixed(b.locked, 8)]]));
}
