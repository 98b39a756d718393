/**
 * The Binance trading gateway (`kfc td -s binance -a <account>`): the account's connection to
 * Binance and its orders, wired to the journal.
 *
 *   start: replay (replay.ts) -> connect: time sync, exchangeInfo, key check (GET /account),
 *          WS API session with the user data stream (ws-api.ts), reconcile (reconcile.ts),
 *          balances and open orders written -> BrokerState Ready.
 *   live:  OrderInput / OrderAction from the ledger's journal -> tracked Pending, then sent once
 *          (order-entry.ts, over channels.ts); user data events and answers -> the tracker (tracker.ts), which writes
 *          Order and Trade frames; a lost session -> DisConnected, reconnect with backoff,
 *          reconcile, Ready.
 *   stop:  in-flight requests answered (bounded), open orders cancelled only with cancelOnStop,
 *          session closed.
 * A bad key is LoginFailed with Binance's message and a long backoff; a 418 ban stops trading
 * until it ends. Nothing here runs a process: gateway-process.ts plugs `binanceTdHooks` in.
 */
import { plural } from '../../../util/plural.js';

import { setTimeout as sleep } from 'node:timers/promises';
import { nowNs } from '../../../journal/clock.js';
import { Locations } from '../../../journal/location.js';
import { BrokerState, brokerStateName, isFinalStatus, OrderStatus } from '../../../model/enums.js';
import { BrokerStateUpdate, Instrument, MsgType, Order, OrderAction, OrderInput, Trade } from '../../../model/events.js';
import type { ServiceContext, ServiceHooks } from '../../../runtime/service.js';
import { credentialsOf, endpointsOf, type AccountRow } from '../../../config/account-config.js';
import { BinanceApiError, RateLimited, Unreachable } from '../common/errors.js';
import { BinanceRest } from '../common/rest.js';
import type { Credentials } from '../common/credentials.js';
import { Reads, restOrders, wsOrders, type OrderChannel } from './channels.js';
import { MappingError, parseAccountPosition, parseExecutionReport } from './mapping.js';
import { mapExchangeInfo } from '../md/instruments.js';
import { reconcileAll, writeAssets, type ReconcileDeps } from './reconcile.js';
import { replay } from './replay.js';
import { OrderTracker } from './tracker.js';
import { WsApiSession } from './ws-api.js';
import { OrderEntry } from './order-entry.js';
import { DEFAULT_TIMINGS, type TdTimings } from './timings.js';

/** "in 300 s", "in 450 ms": a wait as a log line says it. */
const retryIn = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`);

export { DEFAULT_TIMINGS, timingsFromEnv, type TdTimings } from './timings.js';

/** Binance codes that mean the key cannot be used: LoginFailed, not a network problem. */
const LOGIN_CODES = new Set([-2014, -2015, -1022, -2008]);

export class BinanceTd {
  private readonly source: string;
  private readonly account: string;
  private readonly rest: BinanceRest;
  private readonly reads: Reads;
  private readonly credentials: Credentials;
  private readonly tracker: OrderTracker;
  private readonly channel: OrderChannel;
  private readonly deps: ReconcileDeps;
  private session: WsApiSession | undefined;
  private state: number = BrokerState.Unknown;
  private stateMessage = '';
  private stopping = false;
  private readonly stopController = new AbortController();
  private readonly entry: OrderEntry;
  private sessionEnded: ((reason: string) => void) | undefined;
  private lastError = '';

  constructor(
    private readonly ctx: ServiceContext,
    private readonly row: AccountRow,
    private readonly timings: TdTimings = DEFAULT_TIMINGS,
  ) {
    this.source = row.source;
    this.account = row.account;
    const endpoints = endpointsOf(row.config);
    this.credentials = credentialsOf(row.config);
    this.rest = new BinanceRest({ base: endpoints.rest, credentials: this.credentials, log: ctx.log, timeoutMs: timings.requestTimeoutMs, ...(row.config.recvWindow !== undefined ? { recvWindow: row.config.recvWindow } : {}) });
    this.reads = new Reads(this.rest, ctx.log);
    this.tracker = new OrderTracker(this.source, this.account, {
      order: (o, trigger) => ctx.journal.write(MsgType.Order, Order, o, trigger),
      trade: (t, trigger) => ctx.journal.write(MsgType.Trade, Trade, t, trigger),
      unsettled: (t, why) => this.entry.unsettled(t, why),
    });
    this.channel = row.config.orderApi === 'rest' ? restOrders(this.rest) : wsOrders(() => this.session);
    this.deps = { reads: this.reads, tracker: this.tracker, journal: ctx.journal, log: ctx.log, source: this.source, account: this.account, assets: new Map() };
    this.entry = new OrderEntry({
      what: `${this.source}/${this.account}`,
      account: this.account,
      log: ctx.log,
      journal: ctx.journal,
      tracker: this.tracker,
      rest: this.rest,
      channel: this.channel,
      deps: this.deps,
      timings,
      state: () => ({ state: this.state, message: this.stateMessage }),
      sessionOpen: () => this.session !== undefined,
      stopping: () => this.stopping,
      banned: () => this.banned(),
    });
  }

  private get what(): string {
    return `${this.source}/${this.account}`;
  }

  /** Replays the journals, then connects (the first attempt is awaited, at most `firstAttemptMs`). */
  async start(firstAttemptMs = 15_000): Promise<void> {
    const { ctx } = this;
    const me = Locations.td(this.source, this.account);
    ctx.reader.join(Locations.ledger(), me.uid);
    const r = replay({ home: ctx.home, own: me, ledger: ctx.reader, tracker: this.tracker, log: ctx.log, trigger: nowNs() });
    for (const [asset, total] of r.assets) this.deps.assets.set(asset, total);
    ctx.log.info(`td ${this.what}: journal replayed: ${r.orders} orders (${this.tracker.live().length} live), ${r.trades} trades${r.unsent ? `, ${r.unsent} orders never sent` : ''}; orders over ${this.channel.name === 'ws' ? 'the WS API' : 'REST'}; ${this.credentials.keyType} key`);
    ctx.loop.onFrame((f) => {
      if (f.msgType === MsgType.OrderInput) this.entry.onOrderInput(f.decode(OrderInput), f.genTime);
      else if (f.msgType === MsgType.OrderAction) this.entry.onOrderAction(f.decode(OrderAction), f.genTime);
    });
    this.setState(BrokerState.Idle, 'connecting');
    const first = new Promise<void>((resolve) => void this.run(resolve));
    await Promise.race([first, sleep(firstAttemptMs, undefined, { signal: this.stopController.signal }).catch(() => {})]);
  }

  private setState(state: number, message: string): void {
    if (state === this.state && message === this.stateMessage) return;
    this.state = state;
    this.stateMessage = message;
    const b = BrokerStateUpdate.empty();
    b.update_time = nowNs();
    b.source = this.source;
    b.account = this.account;
    b.state = state;
    b.message = message;
    this.ctx.journal.write(MsgType.BrokerState, BrokerStateUpdate, b);
    this.ctx.log.info(`td ${this.what}: ${brokerStateName(state)}${message ? ` (${message})` : ''}`);
  }

  /** Connects, and reconnects after every loss, until stop. `attempted` is called after the first attempt. */
  private async run(attempted: () => void): Promise<void> {
    let backoff = this.timings.backoffMinMs;
    while (!this.stopping) {
      let waitMs: number;
      try {
        await this.connect();
        attempted();
        this.lastError = '';
        backoff = this.timings.backoffMinMs;
        const reason = await new Promise<string>((resolve) => (this.sessionEnded = resolve));
        if (this.stopping) break;
        const ban = this.rest.blocked;
        if (ban?.status === 418) {
          this.setState(BrokerState.DisConnected, `banned by Binance (418) until ${new Date(ban.until).toISOString()}: trading stopped`);
          waitMs = Math.max(0, ban.until - Date.now()) + 100;
        } else {
          this.setState(BrokerState.DisConnected, `user data stream lost (${reason}); reconnecting`);
          this.ctx.log.warn(`td ${this.what}: user data stream lost (${reason}); reconnecting`);
          waitMs = this.timings.backoffMinMs;
        }
      } catch (err) {
        this.session?.close();
        this.session = undefined;
        if (this.stopping) break;
        const e = err as Error;
        const ban = this.rest.blocked;
        if (err instanceof BinanceApiError && LOGIN_CODES.has(err.code)) {
          waitMs = this.timings.loginRetryMs;
          this.setState(BrokerState.LoginFailed, `${err.code} ${err.message}`.slice(0, 127));
        } else if (ban?.status === 418) {
          waitMs = Math.max(1000, ban.until - Date.now());
          this.setState(BrokerState.DisConnected, `banned by Binance (418) until ${new Date(ban.until).toISOString()}: trading stopped`.slice(0, 127));
        } else {
          waitMs = Math.min(this.timings.backoffMaxMs, backoff) * (0.75 + Math.random() * 0.5);
          backoff = Math.min(this.timings.backoffMaxMs, backoff * 2);
          this.setState(BrokerState.DisConnected, e.message.slice(0, 127));
        }
        if (e.message !== this.lastError) this.ctx.log.error(`td ${this.what}: ${e.message}; retrying in ${retryIn(waitMs)}`);
        else this.ctx.log.info(`td ${this.what}: still failing (${e.message}); retrying in ${retryIn(waitMs)}`);
        this.lastError = e.message;
        attempted();
      }
      await sleep(waitMs, undefined, { signal: this.stopController.signal }).catch(() => {});
    }
  }

  /** One connection: time, exchange info, key check, session and stream, reconciliation, Ready. */
  private async connect(): Promise<void> {
    const ban = this.rest.blocked;
    if (ban?.status === 418) throw new RateLimited(`banned by Binance until ${new Date(ban.until).toISOString()}`, 418, ban.until, -1003);
    await this.rest.syncTime();
    this.setState(BrokerState.Connected, `clock offset ${this.rest.offsetMs} ms`);
    const info = await this.reads.get<{ rateLimits?: { rateLimitType: string; interval: string; intervalNum: number; limit: number }[] } | undefined>('/api/v3/exchangeInfo', {}, false);
    for (const l of info?.rateLimits ?? []) {
      if (l.rateLimitType === 'REQUEST_WEIGHT' && l.interval === 'MINUTE' && l.intervalNum === 1) this.rest.limits.weightPerMinute = l.limit;
      if (l.rateLimitType === 'ORDERS' && l.interval === 'SECOND' && l.intervalNum === 10) this.rest.limits.ordersPer10s = l.limit;
      if (l.rateLimitType === 'ORDERS' && l.interval === 'DAY') this.rest.limits.ordersPerDay = l.limit;
    }
    this.publishInstruments(info);
    const account = await this.rest.call<{ canTrade?: boolean }>('GET', '/api/v3/account', { omitZeroBalances: 'true' }, { signed: true });
    if (account.canTrade === false) throw new BinanceApiError(-2015, 'the API key may not trade (canTrade is false)', 200);
    this.setState(BrokerState.LoggedIn, `${this.credentials.keyType} key accepted`);
    const session = new WsApiSession({
      url: endpointsOf(this.row.config).wsApi,
      credentials: this.credentials,
      rest: this.rest,
      log: this.ctx.log,
      timeoutMs: this.timings.requestTimeoutMs,
      ...(this.row.config.recvWindow !== undefined ? { recvWindow: this.row.config.recvWindow } : {}),
      onEvent: (e) => this.onUserEvent(e),
      onClose: (reason) => {
        if (this.session !== session) return;
        this.session = undefined;
        this.sessionEnded?.(reason);
      },
    });
    this.session = session;
    await session.start();
    // Subscribed first: what happens during reconciliation arrives on the stream as well.
    await reconcileAll(this.deps, 'while disconnected');
    for (const t of this.tracker.live()) if (t.cancelWanted !== undefined && t.order.ex_order_id !== '') this.entry.sendCancel(t, t.cancelWanted, nowNs());
    if (this.session !== session) throw new Unreachable('the WS API session closed during reconciliation');
    this.setState(BrokerState.Ready, '');
  }

  /**
   * The symbols' filters, for the ledger's pre-trade checks (tick, lot, notional, max orders) of
   * this account's orders: every symbol at each connection (the exchange may change a filter while
   * the TD is away; the ledger keeps the latest).
   */
  private publishInstruments(info: unknown): void {
    let mapped;
    try {
      mapped = mapExchangeInfo(info);
    } catch (err) {
      throw new Unreachable(`exchangeInfo: ${(err as Error).message}`);
    }
    for (const i of mapped.instruments) this.ctx.journal.write(MsgType.Instrument, Instrument, i);
    const skipped = mapped.skipped.length ? `; skipped ${mapped.skipped.length} (${mapped.skipped[0]!.symbol}: ${mapped.skipped[0]!.reason})` : '';
    this.ctx.log.info(`td ${this.what}: ${mapped.instruments.length} instruments published${skipped}`);
  }

  /** A 418: trading stops until the ban ends (the connection loop waits it out, then reconnects and reconciles). */
  private banned(): void {
    const s = this.session;
    this.session = undefined;
    s?.close();
    if (this.state === BrokerState.Ready) this.sessionEnded?.('banned by Binance (418)');
  }

  // ---- user data stream ----------------------------------------------------------------------

  private onUserEvent(e: Record<string, unknown>): void {
    const trigger = nowNs();
    try {
      if (e.e === 'executionReport') {
        const r = parseExecutionReport(e);
        const t = this.tracker.find(r) ?? this.tracker.adopt(r);
        if (r.fill) this.tracker.applyFill(t, r.fill, trigger);
        this.tracker.applyState(t, r, trigger);
        this.tracker.catchUp(t, trigger);
        if (t.cancelWanted !== undefined && !isFinalStatus(t.order.status) && t.order.status !== OrderStatus.Pending && t.order.status !== OrderStatus.Unknown) this.entry.sendCancel(t, t.cancelWanted, trigger);
      } else if (e.e === 'outboundAccountPosition') {
        const time = typeof e.E === 'number' ? BigInt(e.E) * 1_000_000n : trigger;
        writeAssets(this.deps, parseAccountPosition(e), time, trigger);
      } else if (e.e === 'eventStreamTerminated') {
        this.session?.close();
        const s = this.session;
        this.session = undefined;
        if (s) this.sessionEnded?.('the exchange ended the user data stream');
      }
    } catch (err) {
      if (!(err instanceof MappingError)) throw err;
      this.ctx.log.warn(`td ${this.what}: ${String(e.e).slice(0, 40)} event ignored: ${err.message}`);
    }
  }

  // ---- stop ----------------------------------------------------------------------------------

  async stop(): Promise<void> {
    if (this.row.config.cancelOnStop && this.state === BrokerState.Ready) {
      const live = this.tracker.live().filter((t) => t.order.ex_order_id !== '' && t.order.status !== OrderStatus.Pending && t.order.status !== OrderStatus.Unknown);
      this.ctx.log.info(`td ${this.what}: cancelOnStop: cancelling ${plural(live.length, 'open order')}`);
      for (const t of live) this.entry.sendCancel(t, 0n, nowNs());
    }
    for (let i = 0; i < 300 && this.entry.inflight > 0; i++) await sleep(10);
    this.entry.abandonDeferred();
    this.stopping = true;
    this.stopController.abort();
    const s = this.session;
    this.session = undefined;
    s?.close();
    this.sessionEnded?.('stopping');
    this.setState(BrokerState.DisConnected, 'gateway stopped');
  }
}

/** The hooks of `kfc td -s binance -a <account>` (the account is loaded before the process registers). */
export function binanceTdHooks(row: AccountRow, timings: TdTimings = DEFAULT_TIMINGS): ServiceHooks {
  let td: BinanceTd | undefined;
  return {
    async start(ctx) {
      td = new BinanceTd(ctx, row, timings);
      await td.start();
    },
    async stop() {
      await td?.stop();
    },
  };
}
