/**
 * bench:tick_to_order's reading of the order path back from the journals: for each order of a
 * strategy, the frame of every hop, linked by trigger_time = the gen_time of the frame that caused
 * it (as `kfc journal --latency` reads hops), and the wire proxy's stamp of its last byte.
 */
import { readFileSync } from 'node:fs';
import { clockAnchorNs } from '../../src/journal/clock.js';
import { Locations, type Location } from '../../src/journal/location.js';
import { JournalReader, type Frame } from '../../src/journal/reader.js';
import { clientOrderIdOf } from '../../src/gateway/binance/common/ids.js';
import { OrderStatus } from '../../src/model/enums.js';
import { Depth, MsgType, Order, OrderInput } from '../../src/model/events.js';
import type { Logger } from '../../src/util/log.js';

/** Every frame of `type` in the journal (location, dest) from `from` on. */
export function framesOf(home: string, log: Logger, location: Location, dest: number, from: bigint, type: number, each: (f: Frame) => void): void {
  const r = new JournalReader({ home, log });
  r.join(location, dest, from);
  for (let f = r.next(); f; f = r.next()) if (f.msgType === type) each(f);
  r.close();
}

/** When the replay server handed each diff's frame to its socket, by update id (journal clock). */
export function replayWrites(file: string): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [u, mono] = line.split(' ');
    if (mono) out.set(Number(u), BigInt(mono) + clockAnchorNs());
  }
  return out;
}

export const HOPS = ['md', 'strat', 'ledger', 'td', 'wire'] as const;
export type Hop = (typeof HOPS)[number];

export interface PathSamples {
  /** The MD's receipt of the frame -> the order's last byte written (us). */
  e2e: number[];
  /** The replay server's write of the frame -> the order's last byte written (us). */
  exchangeToWire: number[];
  hops: Record<Hop, number[]>;
  /** Orders whose path could not be read whole (refused, or a frame or stamp missing). */
  broken: number;
  orders: number;
}

/**
 * Each order of strategy `strategy` on account `acct` since `from`, but the first `warmup`: its hops
 * in us. `wire`: clientOrderId -> last byte written; `sent`: diff update id -> the replay's write.
 */
export function stackPaths(opts: { home: string; log: Logger; strategy: string; acct: string; from: bigint; warmup: number; wire: Map<string, bigint>; sent: Map<number, bigint> }): PathSamples {
  const { home, log, from } = opts;
  const depth = new Map<bigint, { trigger: bigint; updateId: number }>();
  const offset = Depth.offsets.update_id;
  framesOf(home, log, Locations.md('binance'), 0, from, MsgType.Depth, (f) => depth.set(f.genTime, { trigger: f.triggerTime, updateId: Number(f.view.getBigInt64(f.offset + offset, true)) }));
  const byOrder = (location: Location, dest: number, type: number, keep: (f: Frame) => bigint | undefined) => {
    const out = new Map<bigint, { gen: bigint; trigger: bigint }>();
    framesOf(home, log, location, dest, from, type, (f) => {
      const id = keep(f);
      if (id !== undefined) out.set(id, { gen: f.genTime, trigger: f.triggerTime });
    });
    return out;
  };
  const inputId = (f: Frame) => f.decode(OrderInput).order_id;
  const strat = byOrder(Locations.strategy(opts.strategy), Locations.ledger().uid, MsgType.OrderInput, inputId);
  const routed = byOrder(Locations.ledger(), Locations.td('binance', opts.acct).uid, MsgType.OrderInput, inputId);
  const pending = byOrder(Locations.td('binance', opts.acct), 0, MsgType.Order, (f) => {
    const o = f.decode(Order);
    return o.status === OrderStatus.Pending ? o.order_id : undefined;
  });
  const out: PathSamples = { e2e: [], exchangeToWire: [], hops: { md: [], strat: [], ledger: [], td: [], wire: [] }, broken: 0, orders: 0 };
  const us = (a: bigint, b: bigint) => Number(a - b) / 1000;
  const ids = [...strat.keys()].sort((a, b) => (a < b ? -1 : 1)).slice(opts.warmup);
  for (const id of ids) {
    out.orders++;
    const s = strat.get(id)!;
    const d = depth.get(s.trigger);
    const l = routed.get(id);
    const p = pending.get(id);
    const w = opts.wire.get(clientOrderIdOf(id));
    // Each link: a frame's trigger_time is its cause's gen_time.
    if (!d || !l || l.trigger !== s.gen || !p || p.trigger !== l.gen || w === undefined) {
      out.broken++;
      continue;
    }
    out.hops.md.push(us(s.trigger, d.trigger));
    out.hops.strat.push(us(s.gen, s.trigger));
    out.hops.ledger.push(us(l.gen, l.trigger));
    out.hops.td.push(us(p.gen, p.trigger));
    out.hops.wire.push(us(w, p.gen));
    out.e2e.push(us(w, d.trigger));
    const written = opts.sent.get(d.updateId);
    if (written !== undefined) out.exchangeToWire.push(us(w, written));
  }
  return out;
}
