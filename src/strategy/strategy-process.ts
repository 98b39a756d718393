/**
 * The strategy process (`kfc strategy -s NAME -p FILE`): the file was loaded (and compiled) before
 * registering; here it runs on the shared lifecycle:
 *
 *   replay its own journals (the order ids it used) -> preStart (accounts, subscriptions)
 *   -> wait for the ledger and its accounts' trading gateways, Ready, one log line each
 *   -> postStart -> market data, order reports, fills, book updates and timers, in time order
 *   -> stop: preStop -> cancel its open orders and wait for the answers (unless cancelOnStop is
 *      false) -> postStop.
 *
 * A callback that throws is logged with its name and the event, and the strategy goes on (or stops,
 * with `options.stopOnError`). Reports from before this session update what the strategy knows (its
 * open orders, balances, positions) without calling it back.
 */
import { plural } from '../util/plural.js';
import { nowNs } from '../journal/clock.js';
import { Locations } from '../journal/location.js';
import type { Frame } from '../journal/reader.js';
import { JournalReader } from '../journal/reader.js';
import { JournalWriter } from '../journal/writer.js';
import { BrokerState, brokerStateName, isFinalStatus } from '../model/enums.js';
import {
  Asset,
  Bar,
  BrokerStateUpdate,
  Depth,
  Instrument,
  MsgType,
  Order,
  OrderActionError,
  Position,
  Quote,
  SubscribeError,
  Ticker,
  Trade,
  Transaction,
} from '../model/events.js';
import type { ServiceContext, ServiceHooks } from '../runtime/service.js';
import { UserError } from '../util/errors.js';
import { CALLBACKS, type CallbackName, type Strategy } from './api.js';
import { StrategyRuntime } from './runtime.js';

/** The strategy's callback `name`, under its camelCase or Kungfu's snake_case name. */
function callbackOf(strategy: Strategy, name: CallbackName): ((...args: unknown[]) => unknown) | undefined {
  const s = strategy as unknown as Record<string, unknown>;
  const fn = s[name] ?? s[CALLBACKS[name]];
  return typeof fn === 'function' ? (fn as (...args: unknown[]) => unknown).bind(strategy) : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a callback was handling, for its error line: " on BTCUSDT order 42", " on binance/acct". */
function describe(event: unknown): string {
  if (typeof event !== 'object' || event === null) return '';
  const e = event as Record<string, unknown>;
  const book = e.symbol === undefined && typeof e.source === 'string' && typeof e.account === 'string' ? `${e.source}/${e.account}` : undefined;
  const parts = [e.symbol, e.order_id !== undefined ? `order ${String(e.order_id)}` : undefined, book].filter((x) => x !== undefined && x !== '');
  return parts.length ? ` on ${parts.join(' ')}` : '';
}

export function strategyHooks(name: string, strategy: Strategy): ServiceHooks {
  let rt: StrategyRuntime | undefined;
  let sessionStart = 0n;
  /** Reading the journals' history at start: state only, no waiting lines for past states. */
  let replaying = true;
  let ready = false;
  let postStarted = false;
  /** Broker states of its accounts' TDs, by "source/account". */
  const brokers = new Map<string, { state: number; message: string }>();
  const waitingSaid = new Set<string>();
  /** One-off timers that came due before the strategy was running: they run right after postStart. */
  const lateTimers: (() => void)[] = [];
  const options = strategy.options ?? {};
  const toMd = new Map<string, JournalWriter>();
  /** Stopping: the orders whose cancels have not been answered yet (a final report or a refusal). */
  const unanswered = new Set<bigint>();
  let allAnswered: (() => void) | undefined;
  const answered = (orderId: bigint) => {
    if (unanswered.delete(orderId) && unanswered.size === 0) allAnswered?.();
  };

  const call = (ctx: ServiceContext, cb: CallbackName, event?: unknown) => {
    const fn = callbackOf(strategy, cb);
    if (!fn || !rt) return;
    rt.guard(cb, event, () => (event === undefined ? fn(rt) : fn(rt, event)));
    void ctx;
  };

  /**
   * Whether the ledger and every added account's TD are registered, and the TDs Ready. What it
   * waits for is said once per process and reason: not registered, registered but not Ready yet
   * (Idle, Connected, LoggedIn: one line for all), or failing (DisConnected, LoginFailed: with the
   * gateway's message).
   */
  const checkReady = (ctx: ServiceContext) => {
    if (!rt || postStarted) return;
    const registered = new Set(ctx.master.registry.map((p) => p.location));
    let waiting = false;
    const wait = (what: string, kind: string, line: string) => {
      waiting = true;
      if (waitingSaid.has(`${what} ${kind}`)) return;
      waitingSaid.add(`${what} ${kind}`);
      ctx.log.info(`strategy ${name}: waiting for ${what}: ${line}`);
    };
    const ledger = Locations.ledger().path;
    if (!registered.has(ledger)) wait(ledger, 'unregistered', 'not registered (is it running? kfc ledger)');
    for (const { source, account } of rt.added.values()) {
      const td = Locations.td(source, account).path;
      const broker = brokers.get(`${source}/${account}`) ?? { state: BrokerState.Unknown, message: '' };
      const state = brokerStateName(broker.state);
      if (!registered.has(td)) wait(td, 'unregistered', `not registered (is its TD running? kfc td -s ${source} -a ${account})`);
      else if (broker.state === BrokerState.DisConnected || broker.state === BrokerState.LoginFailed) wait(td, state, `${state}${broker.message ? ` (${broker.message})` : ''}`);
      else if (broker.state !== BrokerState.Ready) wait(td, 'starting', `registered, not Ready yet${broker.state === BrokerState.Unknown ? '' : ` (${state})`}`);
    }
    if (waiting) return;
    ready = true;
    postStarted = true;
    ctx.log.info(`strategy ${name}: ${rt.added.size ? 'its accounts are Ready' : 'no account added'}; running`);
    call(ctx, 'postStart');
    for (const run of lateTimers.splice(0)) run();
  };

  const onFrame = (ctx: ServiceContext, f: Frame) => {
    const r = rt!;
    const live = f.genTime >= sessionStart;
    const category = f.location.category;
    switch (f.msgType) {
      case MsgType.Quote: {
        const q = f.decode(Quote);
        r.market.quotes.set(q.symbol, q);
        if (live && ready) call(ctx, 'onQuote', q);
        return;
      }
      case MsgType.Depth: {
        const d = f.decode(Depth);
        r.market.depths.set(d.symbol, d);
        if (live && ready) call(ctx, 'onDepth', d);
        return;
      }
      case MsgType.Transaction:
        if (live && ready) call(ctx, 'onTransaction', f.decode(Transaction));
        return;
      case MsgType.Bar:
        if (live && ready) call(ctx, 'onBar', f.decode(Bar));
        return;
      case MsgType.Ticker:
        if (live && ready) call(ctx, 'onTicker', f.decode(Ticker));
        return;
      case MsgType.Instrument:
        r.market.onInstrument(f.decode(Instrument));
        return;
      case MsgType.SubscribeError: {
        const e = f.decode(SubscribeError);
        if (e.requester !== r.uid || !live) return;
        ctx.log.error(`strategy ${name}: ${f.location.path} cannot serve ${e.symbol}: ${e.error_msg}`);
        call(ctx, 'onSubscribeError', e);
        return;
      }
      case MsgType.Order: {
        const o = f.decode(Order);
        if (!r.owns(o.order_id)) return;
        if (r.accounts.onOrder(o) && live && ready) call(ctx, 'onOrder', o);
        if (isFinalStatus(o.status)) answered(o.order_id);
        return;
      }
      case MsgType.Trade: {
        const t = f.decode(Trade);
        if (r.owns(t.order_id) && live && ready) call(ctx, 'onTrade', t);
        return;
      }
      case MsgType.OrderActionError: {
        const e = f.decode(OrderActionError);
        if (!r.owns(e.order_id) || !live) return;
        ctx.log.warn(`strategy ${name}: cancel of order ${e.order_id} refused: ${e.error_msg}`);
        if (ready) call(ctx, 'onOrderActionError', e);
        answered(e.order_id);
        return;
      }
      case MsgType.Asset: {
        const a = f.decode(Asset);
        if (!r.added.has(`${a.source}/${a.account}`)) return;
        const book = r.accounts.onAsset(a);
        if (live && ready) call(ctx, 'onBookUpdate', book);
        return;
      }
      case MsgType.Position: {
        const p = f.decode(Position);
        if (p.strategy_uid !== r.uid) return;
        const book = r.accounts.onPosition(p);
        if (live && ready) call(ctx, 'onBookUpdate', book);
        return;
      }
      case MsgType.BrokerState: {
        if (category !== 'td' && category !== 'md') return;
        const b = f.decode(BrokerStateUpdate);
        if (category === 'td') brokers.set(`${f.location.group}/${f.location.name}`, { state: b.state, message: b.message });
        if (live && ready) call(ctx, 'onBrokerState', b);
        if (!postStarted && !replaying) checkReady(ctx);
        return;
      }
    }
  };

  return {
    async start(ctx) {
      const { home, log, location } = ctx;
      const toLedger = JournalWriter.open({ home, location, dest: Locations.ledger().uid, log });
      rt = new StrategyRuntime({
        name,
        location,
        log,
        loop: ctx.loop,
        reader: ctx.reader,
        toLedger,
        toMd: (source) => {
          let w = toMd.get(source);
          if (!w) toMd.set(source, (w = JournalWriter.open({ home, location, dest: Locations.md(source).uid, log })));
          return w;
        },
      });
      rt.guard = (cb, event, fn) => {
        // Timers wait for the strategy to be running, as market data does: an interval skips its
        // turns until then, a one-off timer runs right after postStart.
        if (!ready && cb === 'interval') return;
        if (!ready && cb === 'timer') return void lateTimers.push(() => rt!.guard(cb, event, fn));
        try {
          const result = fn();
          if (result instanceof Promise) result.catch((err: unknown) => failed(cb, event, err));
        } catch (err) {
          failed(cb, event, err);
        }
      };
      const failed = (cb: string, event: unknown, err: unknown) => {
        log.error(`strategy ${name}: ${cb} threw${describe(event)}: ${messageOf(err)}`);
        if (options.stopOnError) ctx.requestStop(`${cb} threw (stopOnError)`);
      };

      // The ids this strategy used before (its journals to the ledger): they never repeat.
      const own = new JournalReader({ home, log });
      own.join(location, Locations.ledger().uid);
      for (let f = own.next(); f; f = own.next()) rt.replayOwn(f);
      own.close();

      sessionStart = nowNs();
      ctx.reader.join(Locations.ledger());
      ctx.loop.onFrame((f) => onFrame(ctx, f));
      const pre = callbackOf(strategy, 'preStart');
      if (pre) {
        try {
          await pre(rt);
        } catch (err) {
          throw new UserError(`strategy ${name}: preStart threw: ${messageOf(err)}`);
        }
      }
      // What the journals hold so far (the TDs' reports on its orders, balances): state only.
      for (let f = ctx.reader.next(); f; f = ctx.reader.next()) onFrame(ctx, f);
      replaying = false;
      const live = rt.liveOrders();
      if (live.length) log.info(`strategy ${name}: ${plural(live.length, 'order')} still open from before: ${live.map((o) => String(o.order_id)).join(', ')}`);
      checkReady(ctx);
    },

    registry(ctx) {
      checkReady(ctx);
    },

    async stop(ctx) {
      if (!rt) return;
      const pre = callbackOf(strategy, 'preStop');
      if (pre) await Promise.resolve(rt.guard('preStop', undefined, () => pre(rt))).catch(() => undefined);
      if (options.cancelOnStop !== false && rt.openOrderCount() > 0) {
        // Every open order, sent ones not yet confirmed too; the loop goes on delivering the answers.
        const open = rt.liveOrders();
        const done = new Promise<'answered'>((resolve) => (allAnswered = () => resolve('answered')));
        for (const o of open) unanswered.add(o.order_id);
        for (const o of open) rt.cancelOrder(o.order_id);
        ctx.log.info(`strategy ${name}: stopping: cancelling ${plural(open.length, 'open order')}`);
        const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref());
        if ((await Promise.race([done, timer])) === 'timeout') ctx.log.warn(`strategy ${name}: ${unanswered.size} of ${open.length} cancels not answered after 5 s: orders ${[...unanswered].join(', ')} may still be open; stopping anyway`);
        else ctx.log.info(`strategy ${name}: every cancel answered; ${plural(rt.openOrderCount(), 'order')} open`);
      }
      const post = callbackOf(strategy, 'postStop');
      if (post) rt.guard('postStop', undefined, () => post(rt));
      for (const w of toMd.values()) w.close();
    },
  };
}
