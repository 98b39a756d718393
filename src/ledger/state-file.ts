/**
 * The ledger's books as JSON, for the master's HTTP API and `kfc status --books`: written to
 * `$KF_HOME/system/service/ledger/db/live/state.json` (0600, replaced atomically) at most every
 * 200 ms while something changes, as compact JSON (one line: `jq .` shows it indented). Amounts are
 * exact decimal strings; ids are strings.
 */
import { closeSync, mkdirSync, openSync, renameSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { ZERO, div, formatFixed, type Decimal } from '../model/decimal.js';
import { brokerStateName, isFinalStatus, orderStatusName, priceTypeName, sideName } from '../model/enums.js';
import { markOf } from './books.js';
import type { OrderView } from './order-view.js';
import { formatTime } from '../journal/clock.js';
import type { RecentTrade } from './gateway-reports.js';
import type { Ledger } from './ledger.js';

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
const RECENT_TRADES = 200;

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

function tradeRecord(r: RecentTrade, strategy: string): TradeRecord {
  const t = r.trade;
  return {
    time: formatTime(t.trade_time || r.time),
    strategy,
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

/** What the state file shows of the ledger. */
export type LedgerViews = Pick<Ledger, 'books' | 'halts' | 'recentTrades' | 'recentRefusals'>;

/** A JSON text kept for as long as what it was rendered from has not changed. */
interface Rendered {
  updateTime: bigint;
  status: number;
  volumeTraded: bigint;
  /** The strategy's name as rendered: a strategy can become known by name after its first orders. */
  strategy: string;
  json: Buffer;
}

/**
 * The books as the API serves them, rendered every 200 ms while anything changes. Orders and trades
 * are most of the text and rarely change once written: each is rendered once and its JSON kept with
 * it, as bytes, so that the file is written from the pieces (a trade never changes; an order is
 * rendered again when its update time does). Rendering everything anew cost the ledger 2.5 MB of
 * garbage a second with the demo trading, and its loop milliseconds between frames.
 */
export class LedgerStateRenderer {
  private readonly orders = new WeakMap<OrderView, Rendered>();
  private readonly trades = new WeakMap<RecentTrade, { strategy: string; json: Buffer }>();

  constructor(private readonly ledger: LedgerViews) {}

  /** The state file's JSON, in pieces to be written one after the other. */
  render(): Buffer[] {
    const { books } = this.ledger;
    const marks = (symbol: string) => markOf(books.quote('', symbol));
    const head = JSON.stringify({
      updatedAt: new Date().toISOString(),
      accounts: [...books.accounts.values()].map((a) => ({
        account: a.id,
        source: a.source,
        brokerState: brokerStateName(a.brokerState),
        brokerMessage: a.brokerMessage,
        balances: [...a.balances].map(([asset, b]) => ({ asset, free: amount(b.free), locked: amount(b.locked), reserved: amount(a.reserved(asset)), available: amount(a.available(asset)) })),
        openOrders: a.open.size,
      })),
      strategies: [...books.strategies.values()].map((s) => ({
        strategy: s.name,
        uid: s.uid,
        accounts: [...s.accounts],
        openOrders: s.open.size,
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
      halts: this.ledger.halts.list(),
    });
    // Open orders, the last finished ones and the last refused: bounded, whatever the session's length.
    const pieces: Buffer[] = [Buffer.from(`${head.slice(0, -1)},"orders":[`)];
    let first = true;
    const add = (piece: Buffer) => {
      if (!first) pieces.push(COMMA);
      pieces.push(piece);
      first = false;
    };
    for (const o of openAndRecent(books.orders.values(), RECENT_FINISHED)) add(this.order(o));
    for (const o of this.ledger.recentRefusals.slice(-RECENT_FINISHED)) add(this.order(o));
    pieces.push(BETWEEN);
    first = true;
    for (const r of this.ledger.recentTrades.slice(-RECENT_TRADES)) add(this.trade(r));
    pieces.push(END);
    return pieces;
  }

  private order(o: OrderView): Buffer {
    const kept = this.orders.get(o);
    const strategy = strategyName(this.ledger, o.strategyUid);
    if (kept && kept.updateTime === o.updateTime && kept.status === o.status && kept.volumeTraded === o.volumeTraded && kept.strategy === strategy) return kept.json;
    const json = toJson({
      orderId: o.orderId.toString(),
      strategy,
      account: o.accountId,
      symbol: o.symbol,
      side: sideName(o.side),
      type: priceTypeName(o.priceType),
      price: amount(o.price),
      volume: amount(o.volume),
      traded: amount(o.volumeTraded),
      status: orderStatusName(o.status),
      error: o.errorMsg,
    });
    this.orders.set(o, { updateTime: o.updateTime, status: o.status, volumeTraded: o.volumeTraded, strategy, json });
    return json;
  }

  private trade(r: RecentTrade): Buffer {
    const strategy = strategyName(this.ledger, r.strategyUid);
    const kept = this.trades.get(r);
    if (kept?.strategy === strategy) return kept.json;
    const json = toJson(tradeRecord(r, strategy));
    this.trades.set(r, { strategy, json });
    return json;
  }
}

const COMMA = Buffer.from(',');
const BETWEEN = Buffer.from('],"trades":[');
const END = Buffer.from(']}');
const toJson = (value: unknown) => Buffer.from(JSON.stringify(value));

function strategyName(ledger: LedgerViews, uid: number): string {
  return ledger.books.strategies.get(uid)?.name ?? (uid === 0 ? '' : `uid:${uid.toString(16)}`);
}

/** Writes the state file when asked, at most every `minIntervalMs`. */
export class StateFile {
  private dirty = true;
  private lastWrite = 0;

  constructor(
    private readonly home: string,
    private readonly render: () => Buffer[],
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
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writevSync(fd, this.render());
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }
}
