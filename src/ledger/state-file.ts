/**
 * The ledger's books as JSON, for the master's HTTP API and `kfc status --books`: written to
 * `$KF_HOME/system/service/ledger/db/live/state.json` (0600, replaced atomically) at most every
 * 200 ms while something changes. Amounts are exact decimal strings; ids are strings.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZERO, div, formatFixed, type Decimal } from '../model/decimal.js';
import { brokerStateName, isFinalStatus, orderStatusName, priceTypeName, sideName } from '../model/enums.js';
import type { OrderView } from './books.js';
import { formatTime } from '../journal/clock.js';
import type { Ledger, RecentTrade } from './ledger.js';

export function ledgerDbDir(home: string): string {
  return join(home, 'system', 'service', 'ledger', 'db', 'live');
}

export function ledgerStatePath(home: string): string {
  return join(ledgerDbDir(home), 'state.json');
}

const amount = (x: Decimal) => formatFixed(x, 8);

export interface TradeRecord {
  time: string;
  strategy: string;
  account: string;
  symbol: string;
  side: string;
  price: string;
  volume: string;
  commission: string;
  commissionAsset: string;
  orderId: string;
  tradeId: string;
}

const RECENT_FINISHED = 100;

function* openAndRecent(orders: Iterable<OrderView>, finished: number): Iterable<OrderView> {
  const done: OrderView[] = [];
  for (const o of orders) {
    if (o.strategyUid === 0) continue;
    if (!isFinalStatus(o.status)) yield o;
    else {
      done.push(o);
      if (done.length > finished * 2) done.splice(0, done.length - finished);
    }
  }
  yield* done.slice(-finished);
}

function tradeRecord(ledger: Ledger, r: RecentTrade): TradeRecord {
  const t = r.trade;
  return {
    time: formatTime(t.trade_time || r.time),
    strategy: ledger.books.strategies.get(r.strategyUid)?.name ?? '',
    account: `${t.source}_${t.account}`,
    symbol: t.symbol,
    side: sideName(t.side),
    price: amount(t.price),
    volume: amount(t.volume),
    commission: amount(t.commission),
    commissionAsset: t.commission_asset,
    orderId: t.order_id.toString(),
    tradeId: t.ex_trade_id,
  };
}

/** The books as the API serves them. */
export function ledgerState(ledger: Ledger): unknown {
  const { books } = ledger;
  const strategyName = (uid: number) => books.strategies.get(uid)?.name ?? (uid === 0 ? '' : `uid:${uid.toString(16)}`);
  const marks = (symbol: string) => {
    const q = books.quote('', symbol);
    return q ? (q.bid > 0n && q.ask > 0n ? (q.bid + q.ask) / 2n : q.last) : ZERO;
  };
  return {
    updatedAt: new Date().toISOString(),
    accounts: [...books.accounts.values()].map((a) => ({
      account: a.id,
      source: a.source,
      brokerState: brokerStateName(a.brokerState),
      brokerMessage: a.brokerMessage,
      balances: [...a.balances].map(([asset, b]) => ({ asset, free: amount(b.free), locked: amount(b.locked), reserved: amount(a.reserved(asset)), available: amount(a.available(asset)) })),
      openOrders: a.openOrders.size,
    })),
    strategies: [...books.strategies.values()].map((s) => ({
      strategy: s.name,
      uid: s.uid,
      accounts: [...s.accounts],
      openOrders: s.openOrders.size,
      positions: [...s.positions].flatMap(([account, bySymbol]) =>
        [...bySymbol].map(([symbol, p]) => {
          const mark = marks(symbol);
          return {
            account,
            symbol,
            volume: amount(p.volume),
            cost: amount(p.cost),
            avgPrice: p.volume === ZERO ? null : amount(div(p.cost, p.volume, 'half-even')),
            realizedPnl: amount(p.realized),
            unrealizedPnl: amount(p.unrealized(mark)),
            markPrice: amount(mark),
            quoteFees: amount(p.quoteFees),
          };
        }),
      ),
      otherFees: Object.fromEntries([...s.otherFees].map(([asset, fee]) => [asset, amount(fee)])),
    })),
    // Open orders, the last finished ones and the last refused: bounded, whatever the session's length.
    orders: [...openAndRecent(books.orders.values(), RECENT_FINISHED), ...ledger.recentRefusals.slice(-RECENT_FINISHED)].map((o) => ({
        orderId: o.orderId.toString(),
        strategy: strategyName(o.strategyUid),
        account: o.accountId,
        symbol: o.symbol,
        side: sideName(o.side),
        type: priceTypeName(o.priceType),
        price: amount(o.price),
        volume: amount(o.volume),
        traded: amount(o.volumeTraded),
        status: orderStatusName(o.status),
        error: o.errorMsg,
      })),
    trades: ledger.recentTrades.slice(-200).map((r) => tradeRecord(ledger, r)),
    halts: ledger.halts.list(),
  };
}

/** Writes the state file when asked, at most every `minIntervalMs`. */
export class StateFile {
  private dirty = true;
  private lastWrite = 0;

  constructor(
    private readonly home: string,
    private readonly render: () => unknown,
    private readonly minIntervalMs = 200,
  ) {
    mkdirSync(ledgerDbDir(home), { recursive: true, mode: 0o700 });
  }

  changed(): void {
    this.dirty = true;
  }

  /** Writes if something changed and the interval passed (or `force`). */
  flush(force = false): void {
    const now = performance.now();
    if (!force && (!this.dirty || now - this.lastWrite < this.minIntervalMs)) return;
    this.dirty = false;
    this.lastWrite = now;
    const file = ledgerStatePath(this.home);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.render(), null, 1), { mode: 0o600 });
    renameSync(tmp, file);
  }
}
