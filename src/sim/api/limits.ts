/**
 * Binance's rate limits, shared by the REST API and the WS API: REQUEST_WEIGHT per client address
 * per minute, and new ORDERS per account per 10 seconds. Counters of past windows are dropped as
 * windows turn, so the maps hold only the clients of the current window.
 */
import { ExchangeError } from '../engine/types.js';

/** A -1003 or -1015 refusal, with when the client may retry. */
export class RateLimitError extends ExchangeError {
  constructor(
    code: number,
    message: string,
    /** Epoch ms when the current window ends. */
    readonly retryAt: number,
  ) {
    super(code, message, 429);
  }
}

/** Counts per key in fixed windows of `windowMs`; older windows are forgotten. */
class WindowCounter {
  private window = -1;
  private readonly counts = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  add(key: string, n: number, now: number): number {
    const window = Math.floor(now / this.windowMs);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const count = (this.counts.get(key) ?? 0) + n;
    this.counts.set(key, count);
    return count;
  }

  /** Takes back `n` counted in the current window (none if the window turned since), never below 0. */
  subtract(key: string, n: number, now: number): number {
    const count = Math.max(0, this.get(key, now) - n);
    if (Math.floor(now / this.windowMs) === this.window && this.counts.has(key)) this.counts.set(key, count);
    return count;
  }

  get(key: string, now: number): number {
    return Math.floor(now / this.windowMs) === this.window ? (this.counts.get(key) ?? 0) : 0;
  }

  windowEnd(now: number): number {
    return (Math.floor(now / this.windowMs) + 1) * this.windowMs;
  }

  get size(): number {
    return this.counts.size;
  }
}

const ORDERS_PER_DAY = 160_000;

export interface LimitOptions {
  /** REQUEST_WEIGHT per minute per client address (Binance: 6000). */
  weightLimit?: number;
  /** New orders per account per 10 s (Binance: 100). */
  orderLimit?: number;
  now?: () => number;
}

export class RateLimits {
  readonly weightLimit: number;
  readonly orderLimit: number;
  private readonly weights = new WindowCounter(60_000);
  private readonly orders = new WindowCounter(10_000);
  private readonly ordersDaily = new WindowCounter(86_400_000);
  private readonly now: () => number;

  constructor(opts: LimitOptions = {}) {
    this.weightLimit = opts.weightLimit ?? 6000;
    this.orderLimit = opts.orderLimit ?? 100;
    this.now = opts.now ?? Date.now;
  }

  /** Adds `weight` for `client`; returns the minute's total, or throws -1003 past the limit. */
  spend(client: string, weight: number): number {
    const now = this.now();
    const used = this.weights.add(client, weight, now);
    if (used > this.weightLimit) {
      throw new RateLimitError(-1003, `Too much request weight used; current limit is ${this.weightLimit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`, this.weights.windowEnd(now));
    }
    return used;
  }

  /** Gives back `weight` a request spent (an order operation that succeeded weighs 0); returns the minute's total. */
  refund(client: string, weight: number): number {
    return this.weights.subtract(client, weight, this.now());
  }

  weightUsed(client: string): number {
    return this.weights.get(client, this.now());
  }

  /**
   * Counts the orders of a request that places `placesOrder` (true: one; a number: an order list's
   * orders). Returns the window's count and, past the limit, the -1015: thrown, unless the request
   * answers it itself (`overOrderLimit`, cancelReplace's CANCEL_ONLY).
   */
  countRequest(account: string, request: { placesOrder?: boolean | number; overOrderLimit?: true }): { count: number; refused?: RateLimitError } {
    try {
      return { count: this.countOrder(account, request.placesOrder === true ? 1 : Number(request.placesOrder)) };
    } catch (err) {
      if (!(err instanceof RateLimitError) || !request.overOrderLimit) throw err;
      return { count: this.ordersCounted(account), refused: err };
    }
  }

  /** Counts `n` new orders of `account` (an order list counts each order); returns the window's count, or throws -1015 past the limit. */
  countOrder(account: string, n = 1): number {
    const now = this.now();
    this.ordersDaily.add(account, n, now);
    const count = this.orders.add(account, n, now);
    if (count > this.orderLimit) throw new RateLimitError(-1015, `Too many new orders; current limit is ${this.orderLimit} orders per TEN_SECONDS.`, this.orders.windowEnd(now));
    return count;
  }

  ordersCounted(account: string): number {
    return this.orders.get(account, this.now());
  }

  /** GET rateLimit/order: the account's order counts per interval (the day's limit is Binance's usual 160000). */
  orderCounts(account: string): { rateLimitType: 'ORDERS'; interval: string; intervalNum: number; limit: number; count: number }[] {
    const now = this.now();
    return [
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.orderLimit, count: this.orders.get(account, now) },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: ORDERS_PER_DAY, count: this.ordersDaily.get(account, now) },
    ];
  }

  /** exchangeInfo's rateLimits. */
  describe(): unknown[] {
    return [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: this.weightLimit },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: this.orderLimit },
    ];
  }

  /** How many clients and accounts are counted now (memory tests). */
  get retained(): { clients: number; accounts: number } {
    return { clients: this.weights.size, accounts: this.orders.size };
  }
}
