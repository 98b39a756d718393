/** Depth changes gathered over one update interval of a diff stream (<s>@depth, <s>@depth@100ms). */
import type { Decimal } from '../../model/decimal.js';
import type { EngineEvent } from '../engine/types.js';
import { amount } from './wire.js';

export class DepthWindow {
  first = 0;
  last = 0;
  /** Price -> the level's latest quantity; at most one entry per level changed in the interval. */
  readonly bids = new Map<Decimal, Decimal>();
  readonly asks = new Map<Decimal, Decimal>();

  add(ev: Extract<EngineEvent, { kind: 'book' }>): void {
    if (this.first === 0) this.first = ev.updateId;
    this.last = ev.updateId;
    (ev.side === 'BUY' ? this.bids : this.asks).set(ev.price, ev.qty);
  }

  take(): { U: number; u: number; b: string[][]; a: string[][] } | undefined {
    if (this.first === 0) return undefined;
    const levels = (m: Map<Decimal, Decimal>) => [...m].map(([p, q]) => [amount(p), amount(q)]);
    const diff = { U: this.first, u: this.last, b: levels(this.bids), a: levels(this.asks) };
    this.first = 0;
    this.bids.clear();
    this.asks.clear();
    return diff;
  }
}
