/**
 * The Binance trading gateway (`kfc td -s binance -a <account>`): the account's connection to
 * Binance and its orders, wired to the journal.
 *
 *   start: replay (replay.ts) -> connect: time sync, exchangeInfo, key check (GET /account),
 *          WS API session with the user data stream (ws-api.ts), reconcile (reconcile.ts),
 *          balances and open orders written -> BrokerState Ready.
 *   live:  OrderInput / OrderAction from the ledger's journal -> tracked Pending, then sent once
 *          (channels.ts); user data events and answers -> the tracker (tracker.ts), which writes
 *          Order and Trade frames; a lost session -> DisConnected, reconnect with backoff,
 *          reconcile, Ready.
 *   stop:  in-flight requests answered (bounded), open orders cancelled only with cancelOnStop,
 *          session closed.
 * A bad key is LoginFailed with Binance's message and a long backoff; a 418 ban stops trading
 * until it ends. Nothing here runs a process: gateway-process.ts plugs `binanceTdHooks` in.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { nowNs } from '../../../journal/clock.js';
import { Locations } from '../../../journal/location.js';
import { BrokerState, brokerStateName, isFinalStatus, OrderActionFlag, OrderStatus, orderStatusName } from '../../../model/enums.js';
import { BrokerStateUpdate, MsgType, Order, OrderAction, OrderActionError, OrderInput, Trade, type OrderActionEvent, type OrderInputEvent } from '../../../model/events.js';
import type { ServiceContext, ServiceHooks } from '../../../runtime/service.js';
import { credentialsOf, endpointsOf, type AccountRow } from '../../../config/account-config.js';
import { UserError } from '../../../util/errors.js';
import { BinanceApiError, RateLimited, UnknownOutcome, Unreachable } from '../common/errors.js';
import { BinanceRest } from '../common/rest.js';
import type { Credentials } from '../common/credentials.js';
import { Reads, restOrders, wsOrders, type OrderChannel } from './channels.js';
import { MappingError, orderParams, parseAccountPosition, parseExecutionReport, parseFullFills, parseOrder } from './mapping.js';
import { reconcileAll, settleByQuery, writeAssets, type ReconcileDeps } from './reconcile.js';
import { replay } from './replay.js';
import { OrderTracker, type TrackedOrder } from './tracker.js';
import { WsApiSession } from './ws-api.js';

/** Timings a test may shorten (environment, documented in the README): all in ms. */
export interface TdTimings {
  /** How long a report ahead of its fills, or a fill ahead of an earlier one, may wait before the order is queried. */
  gapMs: number;
  /** After an unknown outcome: first query after this long... */
  unknownCheckMs: number;
  /** ...and this many queries that do not find the order before it is Error. */
  unknownChecks: number;
  /** Reconnect backoff: from this... */
  backoffMinMs: number;
  /** ...to this. */
  backoffMaxMs: number;
  /** After LoginFailed (a bad key): retry this long after. */
  loginRetryMs: number;
  /** No answer to a request within this long: its outcome is unknown (Binance's backend gives up at 10 s). */
  requestTimeoutMs: number;
}

export const DEFAULT_TIMINGS: TdTimings = { gapMs: 1000, unknownCheckMs: 1000, unknownChecks: 3, backoffMinMs: 500, backoffMaxMs: 30_000, loginRetryMs: 300_000, requestTimeoutMs: 12_000 };

/** DEFAULT_TIMINGS with KF_TD_TIMINGS (JSON, e.g. {"loginRetryMs": 2000}) applied: for tests and drills. */
export function timingsFromEnv(env: string | undefined): TdTimings {
  if (env === undefined || env === '') return DEFAULT_TIMINGS;
  let given: unknown;
  try {
    given = JSON.parse(env);
  } catch {
    throw new UserError('KF_TD_TIMINGS is not JSON: give e.g. {"loginRetryMs": 2000}', 2);
  }
  const out = { ...DEFAULT_TIMINGS };
  for (const [k, v] of Object.entries(given as Record<string, unknown>)) {
    if (!Object.hasOwn(DEFAULT_TIMINGS, k)) throw new UserError(`KF_TD_TIMINGS: unknown field ${k.slice(0, 40)} (known: ${Object.keys(DEFAULT_TIMINGS).join(', ')})`, 2);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 3_600_000) throw new UserError(`KF_TD_TIMINGS: ${k} must be a whole number of ms from 1 to 3600000`, 2);
    out[k as keyof TdTimings] = v;
  }
  return out;
}

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
  private inflight = 0;
  private settling = new Set<TrackedOrder>();
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
      unsettled: (t, why) => this.unsettled(t, why),
    });
    this.channel = row.config.orderApi === 'rest' ? restOrders(this.rest) : wsOrders(() => this.session);
    this.deps = { reads: this.reads, tracker: this.tracker, journal: ctx.journal, log: ctx.log, source: this.source, account: this.account, assets: new Map() };
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
      if (f.msgType === MsgType.OrderInput) this.onOrderInput(f.decode(OrderInput), f.genTime);
      else if (f.msgType === MsgType.OrderAction) this.onOrderAction(f.decode(OrderAction), f.genTime);
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
        if (e.message !== this.lastError) this.ctx.log.error(`td ${this.what}: ${e.message}; retrying in ${Math.round(waitMs / 1000)} s`);
        else this.ctx.log.info(`td ${this.what}: still failing (${e.message}); retrying in ${Math.round(waitMs / 1000)} s`);
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
    const info = await this.reads.get<{ rateLimits?: { rateLimitType: string; interval: string; intervalNum: number; limit: number }[] }>('/api/v3/exchangeInfo', {}, false);
    for (const l of info.rateLimits ?? []) {
      if (l.rateLimitType === 'REQUEST_WEIGHT' && l.interval === 'MINUTE' && l.intervalNum === 1) this.rest.limits.weightPerMinute = l.limit;
      if (l.rateLimitType === 'ORDERS' && l.interval === 'SECOND' && l.intervalNum === 10) this.rest.limits.ordersPer10s = l.limit;
      if (l.rateLimitType === 'ORDERS' && l.interval === 'DAY') this.rest.limits.ordersPerDay = l.limit;
    }
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
    for (const t of this.tracker.live()) if (t.cancelWanted !== undefined && t.order.ex_order_id !== '') this.sendCancel(t, t.cancelWanted, nowNs());
    if (this.session !== session) throw new Unreachable('the WS API session closed during reconciliation');
    this.setState(BrokerState.Ready, '');
  }

  // ---- orders --------------------------------------------------------------------------------

  private onOrderInput(input: OrderInputEvent, trigger: bigint): void {
    if (input.order_id === 0n || this.tracker.get(input.order_id)) {
      this.ctx.log.warn(`td ${this.what}: OrderInput ${input.order_id} ignored: ${input.order_id === 0n ? 'order id 0' : 'this order id was seen before'}`);
      return;
    }
    const t = this.tracker.submit(input, trigger);
    const refuse = (code: number, msg: string) => {
      this.tracker.setLocalStatus(t, OrderStatus.Error, code, msg.slice(0, 127), trigger);
      this.ctx.log.warn(`td ${this.what}: order ${input.order_id}: ${msg}`);
    };
    if (input.account !== '' && input.account !== this.account) return refuse(0, `not sent: the order is for account ${input.account}, this gateway trades ${this.account}`);
    if (this.state !== BrokerState.Ready) return refuse(0, `not sent: ${this.what} is not ready (${brokerStateName(this.state)}${this.stateMessage ? `: ${this.stateMessage}` : ''})`);
    const refusal = this.rest.orderRefusal();
    if (refusal) return refuse(refusal.code, `not sent: ${refusal.message}`);
    let params: Record<string, string>;
    try {
      params = orderParams(input, t.clientOrderId);
    } catch (err) {
      return refuse(-1102, `not sent: ${(err as Error).message}`);
    }
    this.inflight++;
    this.channel.place(params).then(
      (answer) => this.onPlaced(t, answer),
      (err: Error) => this.onPlaceFailed(t, err),
    ).finally(() => this.inflight--);
  }

  private onPlaced(t: TrackedOrder, answer: unknown): void {
    const trigger = nowNs();
    try {
      const s = parseOrder(answer);
      const a = answer as { fills?: unknown; transactTime?: unknown };
      for (const fill of parseFullFills(a.fills, typeof a.transactTime === 'number' ? a.transactTime : Date.now())) this.tracker.applyFill(t, fill, trigger);
      this.tracker.applyState(t, s, trigger);
      this.tracker.catchUp(t, trigger);
    } catch (err) {
      this.ctx.log.warn(`td ${this.what}: order ${t.orderId}: answer not understood (${(err as Error).message}); settling it by query`);
      this.onPlaceFailed(t, new UnknownOutcome(`answer not understood: ${(err as Error).message}`));
      return;
    }
    if (t.cancelWanted !== undefined && !isFinalStatus(t.order.status)) this.sendCancel(t, t.cancelWanted, trigger);
  }

  private onPlaceFailed(t: TrackedOrder, err: Error): void {
    const trigger = nowNs();
    if (err instanceof UnknownOutcome) {
      if (this.tracker.setLocalStatus(t, OrderStatus.Unknown, err.code, err.message.slice(0, 127), trigger)) {
        this.ctx.log.warn(`td ${this.what}: order ${t.orderId}: ${err.message}; settling it by the user stream or a query, never by sending it again`);
        this.settleUnknown(t, 1);
      } else this.ctx.log.info(`td ${this.what}: order ${t.orderId}: ${err.message}; the user stream settled it already (${orderStatusName(t.order.status)})`);
      return;
    }
    const code = err instanceof BinanceApiError || err instanceof RateLimited ? err.code : 0;
    const msg = err instanceof Unreachable || err instanceof RateLimited ? `not sent: ${err.message}` : err.message;
    if (this.tracker.setLocalStatus(t, OrderStatus.Error, code, msg.slice(0, 127), trigger)) this.ctx.log.info(`td ${this.what}: order ${t.orderId}: Error ${code} ${msg}`);
    if (err instanceof RateLimited && err.status === 418) this.banned();
  }

  /** A 418: trading stops until the ban ends (the connection loop waits it out, then reconnects and reconciles). */
  private banned(): void {
    const s = this.session;
    this.session = undefined;
    s?.close();
    if (this.state === BrokerState.Ready) this.sessionEnded?.('banned by Binance (418)');
  }

  /** Queries an order whose request had an unknown outcome, until the exchange knows it or `unknownChecks` queries did not find it. */
  private settleUnknown(t: TrackedOrder, attempt: number): void {
    setTimeout(() => {
      if (this.stopping || isFinalStatus(t.order.status) || (t.order.status !== OrderStatus.Unknown && t.order.status !== OrderStatus.Pending)) return;
      const last = attempt >= this.timings.unknownChecks;
      settleByQuery(this.deps, t, 'after an unknown outcome', last ? 'not placed: the exchange has no such order after an unknown outcome' : undefined).then(
        (found) => {
          if (!found && !last) this.settleUnknown(t, attempt + 1);
        },
        (e: Error) => {
          this.ctx.log.warn(`td ${this.what}: order ${t.orderId}: query failed (${e.message}); trying again`);
          this.settleUnknown(t, attempt);
        },
      );
    }, this.timings.unknownCheckMs * attempt).unref();
  }

  /** A gap between what the exchange reports and the fills written: query after a grace period. */
  private unsettled(t: TrackedOrder, why: string): void {
    if (this.settling.has(t)) return;
    this.settling.add(t);
    setTimeout(() => {
      if (this.stopping || (t.ahead === undefined && t.early.size === 0)) return void this.settling.delete(t);
      this.ctx.log.info(`td ${this.what}: order ${t.orderId}: ${why}; querying it`);
      settleByQuery(this.deps, t, 'after a gap in the user stream', undefined)
        .catch((e: Error) => this.ctx.log.warn(`td ${this.what}: order ${t.orderId}: query failed (${e.message})`))
        .finally(() => this.settling.delete(t));
    }, this.timings.gapMs).unref();
  }

  private onOrderAction(action: OrderActionEvent, trigger: bigint): void {
    const t = this.tracker.get(action.order_id);
    const fail = (code: number, msg: string) => this.actionError(action.order_id, action.order_action_id, code, msg, trigger);
    if (action.action_flag !== OrderActionFlag.Cancel) return fail(-1100, `order action ${action.action_flag} is not supported (only Cancel)`);
    if (!t) return fail(-2011, `order ${action.order_id} is unknown to ${this.what}: not sent`);
    if (isFinalStatus(t.order.status)) return fail(-2011, `order ${action.order_id} is already ${orderStatusName(t.order.status)}`);
    if (t.order.status === OrderStatus.Pending || t.order.status === OrderStatus.Unknown) {
      t.cancelWanted = action.order_action_id; // sent once the exchange acknowledges the order
      return;
    }
    this.sendCancel(t, action.order_action_id, trigger);
  }

  private actionError(orderId: bigint, actionId: bigint, code: number, msg: string, trigger: bigint): void {
    const e = OrderActionError.empty();
    e.order_id = orderId;
    e.order_action_id = actionId;
    e.error_id = code;
    e.error_msg = msg.slice(0, 127);
    this.ctx.journal.write(MsgType.OrderActionError, OrderActionError, e, trigger);
    this.ctx.log.info(`td ${this.what}: cancel of order ${orderId}: ${code} ${msg}`);
  }

  private sendCancel(t: TrackedOrder, actionId: bigint, trigger: bigint): void {
    t.cancelWanted = undefined;
    if (this.state !== BrokerState.Ready && this.session === undefined && this.channel.name === 'ws') {
      return this.actionError(t.orderId, actionId, -1001, `not sent: ${this.what} is not ready (${brokerStateName(this.state)})`, trigger);
    }
    const refusal = this.rest.blocked;
    if (refusal) return this.actionError(t.orderId, actionId, -1003, `not sent: rate limited by Binance (${refusal.status}) until ${new Date(refusal.until).toISOString()}`, trigger);
    this.inflight++;
    this.channel
      .cancel(t.order.symbol, t.clientOrderId)
      .then(
        (answer) => {
          const now = nowNs();
          this.tracker.applyState(t, parseOrder(answer), now);
          this.tracker.catchUp(t, now);
        },
        (err: Error) => {
          if (err instanceof UnknownOutcome) {
            this.ctx.log.warn(`td ${this.what}: cancel of order ${t.orderId}: ${err.message}; the user stream or a query will tell`);
            this.unsettledNow(t);
            return;
          }
          const code = err instanceof BinanceApiError || err instanceof RateLimited ? err.code : 0;
          this.actionError(t.orderId, actionId, code, err instanceof BinanceApiError ? err.message : `not sent: ${err.message}`, nowNs());
          if (err instanceof RateLimited && err.status === 418) this.banned();
          if (code === -2011) this.unsettledNow(t); // our view may be stale: ask the exchange
        },
      )
      .finally(() => this.inflight--);
  }

  private unsettledNow(t: TrackedOrder): void {
    settleByQuery(this.deps, t, 'after a cancel', undefined).catch((e: Error) => this.ctx.log.warn(`td ${this.what}: order ${t.orderId}: query failed (${e.message})`));
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
        if (t.cancelWanted !== undefined && !isFinalStatus(t.order.status) && t.order.status !== OrderStatus.Pending && t.order.status !== OrderStatus.Unknown) this.sendCancel(t, t.cancelWanted, trigger);
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
      this.ctx.log.info(`td ${this.what}: cancelOnStop: cancelling ${live.length} open orders`);
      for (const t of live) this.sendCancel(t, 0n, nowNs());
    }
    for (let i = 0; i < 300 && this.inflight > 0; i++) await sleep(10);
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
