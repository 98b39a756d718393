/**
 * The ledger's state file (state-file.ts): the JSON the master serves as /api/books, written from
 * pieces that are rendered once and kept while what they show is unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Halts } from '../../src/ledger/halts.js';
import type { RecentTrade } from '../../src/ledger/gateway-reports.js';
import { LedgerStateRenderer, type LedgerViews } from '../../src/ledger/state-file.js';
import { OrderStatus } from '../../src/model/enums.js';
import { books, input, orderUpdate, STRATEGY_UID, T0, trade } from './fixtures.js';

interface State {
  accounts: { account: string; balances: { asset: string; free: string }[] }[];
  orders: { orderId: string; status: string; traded: string; strategy: string }[];
  trades: { orderId: string; price: string; volume: string; commission: string }[];
  halts: unknown[];
}

const parse = (pieces: Buffer[]) => JSON.parse(Buffer.concat(pieces).toString('utf8')) as State;

describe('ledger state file', () => {
  it('renders the books, orders and trades as one JSON document, re-rendering only what changed', () => {
    const b = books();
    const first = input();
    const second = input({ price: 59000n * 10n ** 8n });
    b.onRouted(first, STRATEGY_UID, T0);
    b.onRouted(second, STRATEGY_UID, T0);
    const recentTrades: RecentTrade[] = [];
    const views: LedgerViews = { books: b, halts: new Halts(), recentTrades, recentRefusals: [] } as unknown as LedgerViews;
    const renderer = new LedgerStateRenderer(views);

    const empty = parse(renderer.render());
    assert.equal(empty.orders.length, 2);
    assert.deepEqual(empty.trades, []);
    assert.equal(empty.accounts[0]!.balances.find((x) => x.asset === 'USDT')!.free, '1000.00000000');

    recentTrades.push({ trade: trade(first, '60000', '0.004', '0.24', 'USDT'), strategyUid: STRATEGY_UID, time: T0 });
    recentTrades.push({ trade: trade(first, '60000.01', '0.006', '0.36', 'USDT'), strategyUid: STRATEGY_UID, time: T0 + 1n });
    b.onOrder(Object.assign(orderUpdate(first, OrderStatus.Filled, 10n ** 6n), { update_time: T0 + 2n }), T0 + 2n);
    const before = renderer.render();
    const state = parse(before);
    assert.deepEqual(state.trades.map((t) => [t.price, t.volume, t.commission]), [['60000.00000000', '0.00400000', '0.24000000'], ['60000.01000000', '0.00600000', '0.36000000']]);
    const filled = state.orders.find((o) => o.orderId === first.order_id.toString())!;
    assert.equal(filled.status, 'Filled');
    assert.equal(filled.traded, '0.01000000');
    assert.equal(filled.strategy, 'demo');

    // Nothing changed: the same pieces (the same Buffers), not new renderings of them.
    const again = renderer.render();
    assert.equal(again.length, before.length);
    const reused = before.slice(1, -1).filter((piece, i) => again[i + 1] === piece).length;
    assert.equal(reused, before.length - 2, 'every order and trade piece is the one rendered before');

    // The other order is cancelled: its piece is rendered anew, the rest are kept.
    b.onOrder(Object.assign(orderUpdate(second, OrderStatus.Cancelled), { update_time: T0 + 3n }), T0 + 3n);
    const after = renderer.render();
    assert.equal(parse(after).orders.find((o) => o.orderId === second.order_id.toString())!.status, 'Cancelled');
    const kept = new Set(before);
    assert.deepEqual(after.map((piece) => kept.has(piece)), [false, true, true, false, true, true, true, true, true], 'only the head and the changed order are rendered again');
  });

  it('shows a strategy\'s name on its orders and trades once the ledger learns it, after they were first rendered', () => {
    const b = books();
    const uid = 0x0badcafe;
    const o = input({ order_id: (BigInt(uid) << 32n) | 1n });
    b.onRouted(o, uid, T0); // the strategy's book is made without a name
    const recentTrades: RecentTrade[] = [{ trade: trade(o, '60000', '0.01', '0.6', 'USDT'), strategyUid: uid, time: T0 }];
    const renderer = new LedgerStateRenderer({ books: b, halts: new Halts(), recentTrades, recentRefusals: [] } as unknown as LedgerViews);
    const unnamed = parse(renderer.render());
    assert.equal(unnamed.orders.find((x) => x.orderId === o.order_id.toString())!.strategy, '');
    b.strategy(uid, 'late');
    const named = parse(renderer.render()) as State & { trades: { strategy: string }[] };
    assert.equal(named.orders.find((x) => x.orderId === o.order_id.toString())!.strategy, 'late');
    assert.equal(named.trades[0]!.strategy, 'late');
  });
});
