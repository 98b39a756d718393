/**
 * A market that moves: seeded synthetic participants trading through the same matching engine as
 * everyone else. Per symbol, a market maker re-quotes a ladder around a mid price that follows a
 * random walk, and a taker crosses the spread with market orders now and then. The sequence of
 * actions is a function of the seed alone (the engine's clock aside): `step()` is one round, and
 * the timer in `start()` only decides when rounds happen.
 */
import { fromInteger, mul, parseDecimal, roundToStep, type Decimal } from '../../model/decimal.js';
import type { MatchingEngine } from '../engine/engine.js';
import { ExchangeError, type EngineEvent } from '../engine/types.js';
import { getLogger, type Logger } from '../../util/log.js';

export interface SyntheticMarketOptions {
  engine: MatchingEngine;
  seed: number;
  /** Starting mid price per symbol (decimal text). */
  startPrices: Record<string, string>;
  /** Rounds per second (default 10). */
  rate?: number;
  /** Typical relative move of the mid per round (default 0.0005 = 5 bp). */
  volatility?: number;
  /** Price levels quoted per side (default 5). */
  levels?: number;
  /** Chance per round that the taker trades (default 0.3). */
  takerProbability?: number;
  onEvents: (events: EngineEvent[]) => void;
  /** Where a failed round is reported (default: the process's logger). */
  log?: Pick<Logger, 'error'>;
}

export const MARKET_MAKER = 'sim-market-maker';
export const TAKER = 'sim-taker';

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; the same seed gives the same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SyntheticMarket {
  private readonly random: () => number;
  private readonly mids = new Map<string, Decimal>();
  private readonly quotes = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;
  private round = 0;

  constructor(private readonly opts: SyntheticMarketOptions) {
    this.random = prng(opts.seed);
    const { engine } = opts;
    for (const spec of engine.symbols) {
      const start = opts.startPrices[spec.symbol];
      if (start === undefined) continue;
      this.mids.set(spec.symbol, parseDecimal(start));
      for (const account of [MARKET_MAKER, TAKER]) {
        engine.deposit(account, spec.baseAsset, fromInteger(1_000_000));
        engine.deposit(account, spec.quoteAsset, fromInteger(10_000_000_000));
      }
    }
  }

  get symbols(): string[] {
    return [...this.mids.keys()];
  }

  mid(symbol: string): Decimal | undefined {
    return this.mids.get(symbol);
  }

  start(): void {
    const rate = this.opts.rate ?? 10;
    this.timer = setInterval(() => this.step(), 1000 / rate);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round: each symbol's mid moves, the maker re-quotes, the taker may trade. */
  step(): void {
    this.round++;
    for (const [symbol, mid] of this.mids) {
      const events: EngineEvent[] = [];
      // A round runs in a timer: anything it throws would end the process. Report it, publish what
      // did happen, and go on with the next symbol and round.
      try {
        this.move(symbol, mid, events);
      } catch (err) {
        const log = this.opts.log ?? getLogger();
        log.error(`synthetic market: round ${this.round} of ${symbol} failed (${String((err as Error)?.message ?? err).split('\n')[0]}); the market goes on`);
      }
      this.opts.onEvents(events);
    }
  }

  /** One symbol's round: the mid walks, the maker re-quotes, the taker may trade. */
  private move(symbol: string, mid: Decimal, events: EngineEvent[]): void {
    const spec = this.opts.engine.spec(symbol);
    // Random walk in relative steps (an approximately normal move from three uniforms).
    const shock = (this.random() + this.random() + this.random() - 1.5) * 2 * (this.opts.volatility ?? 0.0005);
    const moved = roundToStep(mid + mul(mid, parseDecimal(shock.toFixed(8), 'half-even'), 'half-even'), spec.tickSize, 'half-even');
    const next = moved > spec.tickSize * 10n ? moved : mid;
    this.mids.set(symbol, next);
    this.requote(symbol, next, events);
    if (this.random() < (this.opts.takerProbability ?? 0.3)) this.take(symbol, events);
  }

  private size(symbol: string): Decimal {
    const spec = this.opts.engine.spec(symbol);
    const units = 1 + Math.floor(this.random() * 20); // 1..20 x the lot
    const lot = spec.minQty * 100n > 0n ? spec.minQty * 100n : spec.stepSize;
    return roundToStep(lot * BigInt(units), spec.stepSize, 'down');
  }

  private requote(symbol: string, mid: Decimal, events: EngineEvent[]): void {
    const engine = this.opts.engine;
    const spec = engine.spec(symbol);
    for (const orderId of this.quotes.get(symbol) ?? []) {
      try {
        events.push(...engine.cancelOrder(MARKET_MAKER, symbol, { orderId }).events);
      } catch (err) {
        if (!(err instanceof ExchangeError)) throw err; // filled meanwhile
      }
    }
    const ids: number[] = [];
    this.quotes.set(symbol, ids); // filled as quotes go out: a round that fails half way still cancels them next time
    const levels = this.opts.levels ?? 5;
    const step = roundToStep(mul(mid, parseDecimal('0.0002'), 'up'), spec.tickSize, 'up') || spec.tickSize;
    for (let i = 1; i <= levels; i++) {
      for (const side of ['BUY', 'SELL'] as const) {
        const price = side === 'BUY' ? mid - step * BigInt(i) : mid + step * BigInt(i);
        if (price <= 0n) continue;
        const r = engine.placeOrder({ account: MARKET_MAKER, symbol, side, type: 'LIMIT', timeInForce: 'GTC', quantity: this.size(symbol), price, clientOrderId: `mm-${this.round}-${side}-${i}` });
        events.push(...r.events);
        if (r.order.isWorking) ids.push(r.order.orderId);
      }
    }
  }

  private take(symbol: string, events: EngineEvent[]): void {
    const side = this.random() < 0.5 ? 'BUY' : 'SELL';
    try {
      const r = this.opts.engine.placeOrder({ account: TAKER, symbol, side, type: 'MARKET', quantity: this.size(symbol), clientOrderId: `tk-${this.round}` });
      events.push(...r.events);
    } catch (err) {
      if (!(err instanceof ExchangeError)) throw err;
    }
  }
}
