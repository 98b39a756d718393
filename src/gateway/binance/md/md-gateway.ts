/**
 * The Binance market-data gateway process (`kfc md -s binance`): wires the pieces to the journal.
 *
 *   subscribers' journals --Subscribe--> SubscriptionTable --streams--> Feed (WebSockets)
 *   Feed --messages--> MarketData (mapping, books, snapshots) --> MdPublisher --> journal
 *   REST exchangeInfo (at start, then daily) --> Instrument events, symbols and tick sizes
 *
 * and keeps the gateway's BrokerState: DisConnected (no exchangeInfo yet, or a stream connection
 * down), Connected (up, but a book is resyncing or REST is banned), Idle (a subscribed symbol has
 * been silent for `idleMs`), Ready. Unreachable exchanges never stop the process: it registers,
 * says so once per run of failures, and keeps trying with backoff.
 */
import { plural } from '../../../util/plural.js';
import type { Location } from '../../../journal/location.js';
import type { ServiceContext, ServiceHooks } from '../../../runtime/service.js';
import { BrokerState, brokerStateName, marketDataNames } from '../../../model/enums.js';
import { MsgType, type SubscribeEvent } from '../../../model/events.js';
import { BinanceRest } from '../common/rest.js';
import type { MdEndpoints } from './endpoints.js';
import { Feed } from './feed.js';
import { mapExchangeInfo } from './instruments.js';
import { MarketData } from './market.js';
import { parseStreamName } from './mapping.js';
import { MdPublisher } from './publish.js';
import { Subscribers } from './subscribers.js';
import { checkRequest, SubscriptionTable } from './subscriptions.js';

export interface MdGatewayOptions {
  source: string;
  endpoints: MdEndpoints;
  /** A subscribed symbol silent this long makes the state Idle (default 60 s). */
  idleMs?: number;
  /** Streams per connection (default 1024, Binance's limit). */
  maxStreamsPerConnection?: number;
}

const DAY_MS = 86_400_000;
const BAD_SYMBOL = -1121;

export function binanceMdHooks(opts: MdGatewayOptions): ServiceHooks {
  let gateway: MdGateway | undefined;
  return {
    // It follows each subscriber's public journal for its SessionStart and its journal to this
    // gateway for (Un)Subscribe: the orders, fills and books also there are read in passing,
    // never worth a wake-up.
    wakeFor: { only: [MsgType.SessionStart, MsgType.Subscribe, MsgType.Unsubscribe] },
    start(ctx) {
      gateway = new MdGateway(ctx, opts);
      gateway.start();
    },
    registry(_ctx, change, p) {
      if (change === 'register') gateway?.subscribers.add(p);
      else gateway?.subscribers.remove(p);
    },
    stop() {
      gateway?.stop();
    },
  };
}

class MdGateway {
  readonly subscribers: Subscribers;
  private readonly publisher: MdPublisher;
  private readonly rest: BinanceRest;
  private readonly table = new SubscriptionTable();
  private readonly market: MarketData;
  private readonly feed: Feed;
  /** Listed symbols -> tick size in fixed-point units; undefined until exchangeInfo loads. */
  private ticks: Map<string, number> | undefined;
  private restProblem = 'loading exchangeInfo';
  private streamProblem = '';
  private published: { state: number; message: string } | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly opts: MdGatewayOptions,
  ) {
    const log = ctx.log;
    this.publisher = new MdPublisher(ctx.journal, opts.source);
    this.rest = new BinanceRest({ base: opts.endpoints.rest, log });
    this.market = new MarketData({
      rest: this.rest,
      publisher: this.publisher,
      log,
      tickUnits: (s) => this.ticks?.get(s),
      depthLevels: (s) => this.table.depthLevels(s),
      barPartial: (s, i) => this.table.barPartial(s, i),
      changed: () => this.evaluate(),
    });
    this.feed = new Feed({
      base: opts.endpoints.stream,
      log,
      ...(opts.maxStreamsPerConnection ? { maxStreamsPerConnection: opts.maxStreamsPerConnection } : {}),
      events: {
        fast: (buf, start, end, at) => this.market.fast(buf, start, end, at),
        data: (stream, data, at) => this.market.data(stream, data, at),
        up: (streams) => {
          this.streamProblem = '';
          this.market.restart(depthSymbols(streams), 'new connection');
          this.evaluate();
        },
        down: (streams, cause) => {
          this.streamProblem = cause;
          this.market.restart(depthSymbols(streams), `connection lost: ${cause}`);
          this.evaluate();
        },
        refused: (streams, code, msg) => this.refused(streams, code, msg),
        bad: (kind, message) => this.market.bad(kind, message),
      },
    });
    this.subscribers = new Subscribers(ctx.home, ctx.reader, ctx.location, log, {
      request: (who, e, unsubscribe) => this.request(who, e, unsubscribe),
      reset: (who) => {
        if (this.table.subscribers.includes(who.uid)) ctx.log.info(`subscriptions of ${who.path} dropped (it left or restarted)`);
        this.table.drop(who.uid);
        this.reconcile();
      },
    });
  }

  start(): void {
    const { ctx, opts } = this;
    ctx.log.info(`Binance market data: REST ${opts.endpoints.rest}, streams ${opts.endpoints.stream} (from ${opts.endpoints.from})`);
    this.evaluate();
    ctx.loop.onFrame((f) => void this.subscribers.frame(f));
    for (const p of ctx.master.registry) this.subscribers.add(p);
    void this.loadInstruments();
    this.timers.push(
      setInterval(() => {
        this.market.sample();
        this.evaluate();
      }, 1000),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.feed.close();
    this.market.close();
    this.publisher.brokerState(BrokerState.DisConnected, 'stopped');
    this.ctx.log.info('Binance market data: connections closed');
  }

  // ---- instruments ------------------------------------------------------------------------------

  private async loadInstruments(): Promise<void> {
    const log = this.ctx.log;
    let failing: string | undefined;
    for (let failures = 0; !this.stopped; failures++) {
      try {
        const { instruments, skipped } = mapExchangeInfo(await this.rest.call('GET', '/api/v3/exchangeInfo'));
        if (instruments.length === 0) throw new Error(`exchangeInfo lists no usable symbol${skipped[0] ? ` (${skipped[0].reason})` : ''}`);
        if (this.stopped) return;
        const ticks = new Map<string, number>();
        for (const i of instruments) {
          ticks.set(i.symbol, Number(i.tick_size));
          this.publisher.instrument(i);
        }
        if (skipped.length > 0) log.warn(`exchangeInfo: skipped ${skipped.length} malformed symbols, e.g. ${skipped[0]!.symbol}: ${skipped[0]!.reason}`);
        log.info(`exchangeInfo: ${instruments.length} instruments published${failing ? ` (after ${plural(failures, 'failed attempt')})` : ''}`);
        this.updateTicks(ticks);
        this.restProblem = '';
        this.reconcile();
        const refresh = setTimeout(() => void this.loadInstruments(), DAY_MS);
        refresh.unref();
        this.timers.push(refresh);
        return;
      } catch (err) {
        const why = (err as Error).message;
        const hint = /HTTP \d+|not JSON|no symbols list/.test(why) ? `: is ${this.opts.endpoints.rest} a Binance API?` : '';
        this.restProblem = `exchangeInfo: ${why}`.slice(0, 120);
        if (failing !== why.replace(/\d+ ms/, '')) {
          failing = why.replace(/\d+ ms/, '');
          log.warn(`cannot load exchangeInfo from ${this.opts.endpoints.rest} (${why})${hint}; retrying with backoff up to 60 s (said once until it works)`);
        } else log.debug(`exchangeInfo attempt ${failures + 1} failed: ${why}`);
        this.evaluate();
        await new Promise((r) => setTimeout(r, Math.min(60_000, 500 * 2 ** Math.min(failures, 7)) * (0.75 + Math.random() * 0.5)));
      }
    }
  }

  private updateTicks(ticks: Map<string, number>): void {
    const before = this.ticks;
    this.ticks = ticks;
    if (!before) return;
    for (const [symbol, sync] of this.market.books) {
      const tick = ticks.get(symbol);
      if (tick !== undefined && tick !== before.get(symbol) && tick !== sync.tickUnits) {
        sync.tickUnits = tick;
        sync.restart(`tick size changed to ${tick / 1e8}`);
      }
    }
  }

  // ---- subscriptions ----------------------------------------------------------------------------

  private request(who: Location, e: SubscribeEvent, unsubscribe: boolean): void {
    const log = this.ctx.log;
    const r = checkRequest(e, this.opts.source, unsubscribe);
    const what = `${unsubscribe ? 'unsubscribe' : 'subscribe'} ${marketDataNames(e.data).join('+') || e.data} ${e.symbol}`;
    if (typeof r === 'string') {
      log.warn(`${who.path}: ${what} refused: ${r}`);
      if (!unsubscribe) this.publisher.subscribeError(who.uid, e.symbol, e.data, -1, r);
      return;
    }
    log.info(`${who.path}: ${what}${r.interval ? ` ${r.interval}` : ''}`);
    if (unsubscribe) this.table.unsubscribe(who.uid, r);
    else this.table.subscribe(who.uid, r);
    this.reconcile();
  }

  /** Makes the feed, the books and the state match the table (once the symbols are known). */
  private reconcile(): void {
    const ticks = this.ticks;
    if (!ticks || this.stopped) return;
    let wanted = this.table.streams();
    // Symbols Binance does not list: tell their requesters, forget them.
    const unlisted = new Set([...wanted.values()].map((k) => k.symbol).filter((s) => !ticks.has(s)));
    for (const symbol of unlisted) {
      for (const [, key] of wanted) {
        if (key.symbol !== symbol) continue;
        for (const uid of this.table.requesters(key)) {
          this.table.dropSymbol(uid, symbol);
          this.publisher.subscribeError(uid, symbol, 0, BAD_SYMBOL, `Invalid symbol: ${symbol} is not listed on Binance`);
          this.ctx.log.warn(`subscription to ${symbol} refused: Binance does not list ${symbol} (told the subscriber, uid ${uid.toString(16)})`);
        }
      }
    }
    if (unlisted.size > 0) wanted = this.table.streams();
    const depth = new Set([...wanted.values()].filter((k) => k.kind === 'depth').map((k) => k.symbol));
    for (const symbol of depth) {
      this.market.track(symbol);
      this.market.setLevels(symbol, this.table.depthLevels(symbol));
    }
    for (const symbol of [...this.market.books.keys()]) if (!depth.has(symbol)) this.market.untrack(symbol);
    this.feed.set(new Set(wanted.keys()));
    this.evaluate();
  }

  private refused(streams: readonly string[], code: number, msg: string): void {
    for (const s of streams) {
      const key = parseStreamName(s);
      if (!key) continue;
      for (const uid of this.table.requesters(key)) {
        this.publisher.subscribeError(uid, key.symbol, 0, code, `Binance refused ${s}: ${msg}`);
        this.table.dropSymbol(uid, key.symbol);
      }
    }
    this.reconcile();
  }

  // ---- state --------------------------------------------------------------------------------------

  private evaluate(): void {
    if (this.stopped) return;
    const [state, message] = this.currentState();
    const m = message.slice(0, 120);
    if (this.published?.state === state && this.published.message === m) return;
    this.published = { state, message: m };
    this.publisher.brokerState(state, m);
    const line = `state ${brokerStateName(state)}${m ? `: ${m}` : ''}`;
    if (state === BrokerState.DisConnected || state === BrokerState.Idle) this.ctx.log.warn(line);
    else this.ctx.log.info(line);
  }

  private currentState(): [BrokerState, string] {
    if (!this.ticks) return [BrokerState.DisConnected, this.restProblem];
    if (this.feed.connectionCount > 0 && !this.feed.connected) return [BrokerState.DisConnected, `market streams: ${this.streamProblem || 'connecting'}`];
    if (this.market.banUntil > Date.now()) return [BrokerState.Connected, `REST banned by Binance until ${new Date(this.market.banUntil).toISOString()} (418): books cannot resync`];
    const resyncing = [...this.market.books.values()].filter((b) => b.state !== 'live').map((b) => b.symbol);
    if (resyncing.length > 0) return [BrokerState.Connected, `resyncing books: ${resyncing.join(' ')}`];
    const idleMs = this.opts.idleMs ?? 60_000;
    const now = Date.now();
    const symbols = new Set([...this.table.streams().values()].map((k) => k.symbol));
    const idle = [...symbols].filter((s) => this.market.silentFor(s, now) > idleMs);
    if (idle.length > 0) return [BrokerState.Idle, `no market data for over ${Math.round(idleMs / 1000)} s: ${idle.join(' ')}`];
    return [BrokerState.Ready, ''];
  }
}

function depthSymbols(streams: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of streams) {
    const k = parseStreamName(s);
    if (k?.kind === 'depth') out.push(k.symbol);
  }
  return out;
}
