/**
 * Who wants what: each subscriber's Subscribe/Unsubscribe events (read from its journal), merged
 * into the set of Binance streams the gateway needs. A stream is subscribed once however many
 * processes want it, and unsubscribed when the last one withdraws or leaves. Depth is published
 * with the most levels anyone asked for (a subscriber reads the first N it wants); bars in
 * progress are published if anyone asked for them. Pure: no I/O.
 */
import { BAR_INTERVALS, MarketData, type BarInterval } from '../../../model/enums.js';
import type { SubscribeEvent } from '../../../model/events.js';
import { streamName, type StreamKey } from './mapping.js';

export const DEFAULT_DEPTH_LEVELS = 10;
export const MAX_DEPTH_LEVELS = 20;
const ALL = MarketData.Quote | MarketData.Depth | MarketData.Transaction | MarketData.AggTrade | MarketData.Bar | MarketData.Ticker;
const SYMBOL_RE = /^[A-Z0-9]{1,20}$/;

interface Want {
  quote: boolean;
  /** 0: no depth; else the levels asked for. */
  depth: number;
  trade: boolean;
  aggTrade: boolean;
  ticker: boolean;
  /** interval -> bars in progress too */
  bars: Map<BarInterval, boolean>;
}

const noWant = (): Want => ({ quote: false, depth: 0, trade: false, aggTrade: false, ticker: false, bars: new Map() });
const isEmpty = (w: Want) => !w.quote && w.depth === 0 && !w.trade && !w.aggTrade && !w.ticker && w.bars.size === 0;

/** A checked request: what a Subscribe or Unsubscribe event asks, or why it cannot be served. */
export interface Request {
  symbol: string;
  data: number;
  depthLevels: number;
  interval?: BarInterval;
  partial: boolean;
}

/** Checks a Subscribe/Unsubscribe from another process (untrusted); returns the request or the problem. */
export function checkRequest(e: SubscribeEvent, source: string, unsubscribe: boolean): Request | string {
  if (e.source !== source) return `this gateway serves source ${source}, not "${e.source.slice(0, 16)}"`;
  const symbol = e.symbol.toUpperCase();
  if (!SYMBOL_RE.test(symbol)) return `"${e.symbol.slice(0, 32)}" is not a symbol (letters and digits, like BTCUSDT)`;
  if (e.data === 0 || (e.data & ~ALL) !== 0) return `data ${e.data} is not a set of MarketData bits (1..${ALL})`;
  let depthLevels = e.depth_levels;
  if (depthLevels > MAX_DEPTH_LEVELS) return `depth_levels ${depthLevels}: at most ${MAX_DEPTH_LEVELS}`;
  if (depthLevels === 0) depthLevels = DEFAULT_DEPTH_LEVELS;
  let interval: BarInterval | undefined;
  if ((e.data & MarketData.Bar) !== 0 && !(unsubscribe && e.bar_interval === '')) {
    if (!(BAR_INTERVALS as readonly string[]).includes(e.bar_interval)) return `bar_interval "${e.bar_interval.slice(0, 8)}" is not one of ${BAR_INTERVALS.join(' ')}`;
    interval = e.bar_interval as BarInterval;
  }
  return { symbol, data: e.data, depthLevels, partial: e.bar_partial, ...(interval ? { interval } : {}) };
}

export class SubscriptionTable {
  /** subscriber uid -> symbol -> what it wants */
  private readonly bySubscriber = new Map<number, Map<string, Want>>();

  subscribe(uid: number, r: Request): void {
    let symbols = this.bySubscriber.get(uid);
    if (!symbols) this.bySubscriber.set(uid, (symbols = new Map()));
    let w = symbols.get(r.symbol);
    if (!w) symbols.set(r.symbol, (w = noWant()));
    if (r.data & MarketData.Quote) w.quote = true;
    if (r.data & MarketData.Depth) w.depth = r.depthLevels;
    if (r.data & MarketData.Transaction) w.trade = true;
    if (r.data & MarketData.AggTrade) w.aggTrade = true;
    if (r.data & MarketData.Ticker) w.ticker = true;
    if (r.data & MarketData.Bar && r.interval) w.bars.set(r.interval, r.partial);
  }

  unsubscribe(uid: number, r: Request): void {
    const symbols = this.bySubscriber.get(uid);
    const w = symbols?.get(r.symbol);
    if (!symbols || !w) return;
    if (r.data & MarketData.Quote) w.quote = false;
    if (r.data & MarketData.Depth) w.depth = 0;
    if (r.data & MarketData.Transaction) w.trade = false;
    if (r.data & MarketData.AggTrade) w.aggTrade = false;
    if (r.data & MarketData.Ticker) w.ticker = false;
    if (r.data & MarketData.Bar) {
      if (r.interval) w.bars.delete(r.interval);
      else w.bars.clear();
    }
    if (isEmpty(w)) symbols.delete(r.symbol);
    if (symbols.size === 0) this.bySubscriber.delete(uid);
  }

  /** Forgets everything a subscriber asked for (it left, or started a new session). */
  drop(uid: number): void {
    this.bySubscriber.delete(uid);
  }

  /** Drops `symbol` for one subscriber (it cannot be served). */
  dropSymbol(uid: number, symbol: string): void {
    const symbols = this.bySubscriber.get(uid);
    symbols?.delete(symbol);
    if (symbols?.size === 0) this.bySubscriber.delete(uid);
  }

  get subscribers(): number[] {
    return [...this.bySubscriber.keys()];
  }

  /** Every stream someone wants, as StreamKeys by name. */
  streams(): Map<string, StreamKey> {
    const out = new Map<string, StreamKey>();
    const add = (k: StreamKey) => out.set(streamName(k), k);
    for (const symbols of this.bySubscriber.values()) {
      for (const [symbol, w] of symbols) {
        if (w.quote) add({ symbol, kind: 'bookTicker' });
        if (w.depth > 0) add({ symbol, kind: 'depth' });
        if (w.trade) add({ symbol, kind: 'trade' });
        if (w.aggTrade) add({ symbol, kind: 'aggTrade' });
        if (w.ticker) add({ symbol, kind: 'ticker' });
        for (const interval of w.bars.keys()) add({ symbol, kind: 'kline', interval });
      }
    }
    return out;
  }

  /** The most depth levels anyone wants for `symbol` (0: none). */
  depthLevels(symbol: string): number {
    let n = 0;
    for (const symbols of this.bySubscriber.values()) n = Math.max(n, symbols.get(symbol)?.depth ?? 0);
    return n;
  }

  /** Whether anyone wants bars of `symbol`/`interval` while in progress. */
  barPartial(symbol: string, interval: string): boolean {
    for (const symbols of this.bySubscriber.values()) if (symbols.get(symbol)?.bars.get(interval as BarInterval)) return true;
    return false;
  }

  /** Subscribers that want `key` (to tell them when it cannot be served). */
  requesters(key: StreamKey): number[] {
    const out: number[] = [];
    for (const [uid, symbols] of this.bySubscriber) {
      const w = symbols.get(key.symbol);
      if (!w) continue;
      const wants =
        key.kind === 'bookTicker' ? w.quote : key.kind === 'depth' ? w.depth > 0 : key.kind === 'trade' ? w.trade : key.kind === 'aggTrade' ? w.aggTrade : key.kind === 'ticker' ? w.ticker : w.bars.has(key.interval!);
      if (wants) out.push(uid);
    }
    return out;
  }
}
