/**
 * What the gateways report, kept in the ledger's books: a trading gateway's orders, fills,
 * balances, instruments and state, market data's quotes, instruments and state; and the last fills,
 * for the API. Replay and live run the same code; live, a fill also publishes the strategy's
 * position and a gateway's state goes out to the strategies (outbox.ts).
 *
 * The ledger's decisions (ledger.ts) build on these books: its class extends this one, so the
 * ledger stays one object and an order's path (frame, risk check, route) calls nothing more than
 * it did when both were one file.
 */
import type { Frame } from '../journal/reader.js';
import { BrokerState, OrderStatus, isFinalStatus } from '../model/enums.js';
import { Asset, BrokerStateUpdate, Instrument, MsgType, Order, Quote, Trade, type TradeEvent } from '../model/events.js';
import type { Logger } from '../util/log.js';
import { Books, markOf } from './books.js';
import { accountIdOf } from './order-view.js';
import type { Outbox } from './outbox.js';
import type { Limits } from './settings.js';

export interface LedgerOptions {
  ledgerUid: number;
  outbox: Outbox;
  limits: (strategy: string, accountId: string) => Limits;
  log: Logger;
  /** The journal clock. */
  now: () => bigint;
  /** Something visible changed (the state the master serves). */
  onChange?: () => void;
}

const RECENT_TRADES = 200;

export interface RecentTrade {
  trade: TradeEvent;
  strategyUid: number;
  time: bigint;
}

export class GatewayReports {
  readonly books = new Books();
  protected replaying = true;
  /** The last fills, newest last (for the API; formatted only when shown). */
  readonly recentTrades: RecentTrade[] = [];

  constructor(protected readonly opts: LedgerOptions) {}

  get live(): boolean {
    return !this.replaying;
  }

  // ---- gateways ---------------------------------------------------------------------------------

  protected gatewayFrame(f: Frame): void {
    switch (f.msgType) {
      case MsgType.Order:
        this.books.onOrder(f.decode(Order), f.genTime);
        break;
      case MsgType.Trade: {
        const t = f.decode(Trade);
        this.books.onTrade(t, f.genTime);
        const view = this.books.orders.get(t.order_id);
        this.recordTrade(t, view?.strategyUid ?? 0, f.genTime);
        if (this.live && view && view.strategyUid !== 0) {
          const p = this.books.strategy(view.strategyUid).position(accountIdOf(t.source, t.account), t.symbol);
          this.opts.outbox.publishPosition(view.strategyUid, t.source, t.account, t.exchange, t.symbol, p, this.mark(t.exchange, t.symbol), f.genTime, this.opts.now());
        }
        break;
      }
      case MsgType.Asset:
        this.books.onAsset(f.decode(Asset), f.genTime);
        break;
      case MsgType.BrokerState:
        this.brokerState(f);
        break;
      case MsgType.Instrument:
        this.books.onInstrument(f.decode(Instrument));
        break;
      case MsgType.SessionStart:
        this.sessionStarted(f.location.group, f.location.name);
        break;
      default:
        return;
    }
    if (this.live) this.opts.onChange?.();
  }

  protected marketFrame(f: Frame): void {
    switch (f.msgType) {
      case MsgType.Quote:
        this.books.onQuote(f.decode(Quote), f.genTime);
        return;
      case MsgType.Instrument:
        this.books.onInstrument(f.decode(Instrument));
        return;
      case MsgType.BrokerState:
        this.brokerState(f);
        return;
    }
  }

  private recordTrade(t: TradeEvent, strategyUid: number, time: bigint): void {
    this.recentTrades.push({ trade: t, strategyUid, time });
    if (this.recentTrades.length > RECENT_TRADES * 2) this.recentTrades.splice(0, this.recentTrades.length - RECENT_TRADES);
  }

  private brokerState(f: Frame): void {
    const b = f.decode(BrokerStateUpdate);
    // An MD's state is its source's; a TD's is its account's.
    const account = f.location.category === 'td' ? f.location.name : '';
    if (f.location.category === 'td') this.books.onBrokerState(b.source || f.location.group, account, b.state, b.message);
    if (this.live) this.opts.outbox.brokerState(b.source || f.location.group, account, b.state, b.message, f.genTime, this.opts.now());
  }

  /**
   * A new TD process started (its SessionStart): what the last one had open is Unknown until this
   * one reports it (it reconciles with the exchange, then writes the open orders and Ready). Told
   * by the TD's own journal, in order with its reports, not by its registration with the master:
   * the same process registers again after a master restart or a dropped control connection, and
   * a new one may register before or after the ledger hears of it.
   */
  private sessionStarted(source: string, account: string): void {
    const book = this.books.accounts.get(accountIdOf(source, account));
    if (!book) return;
    for (const o of book.open.values()) if (!isFinalStatus(o.status)) o.status = OrderStatus.Unknown;
    book.brokerState = BrokerState.Unknown;
  }

  private mark(exchange: string, symbol: string): bigint {
    return markOf(this.books.quote(exchange, symbol));
  }
}
