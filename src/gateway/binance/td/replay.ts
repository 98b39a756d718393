/**
 * What the TD knew before it (re)started, from the journals alone:
 *
 * - its own journal: every order's last Order frame, the Trade frames written (their trade ids and
 *   sums: a fill is never written twice), the balances last written;
 * - the ledger's orders to it (OrderInput, OrderAction): an OrderInput with no Order frame of ours
 *   was never sent (Pending is written before a request leaves), so it becomes Error "not sent
 *   (gateway restarted)"; a cancel asked for an order still live is sent again once the order is
 *   settled.
 * The ledger's frames are read from the live reader (`ctx.reader`), so the event loop goes on from
 * exactly where the replay ended: nothing is handled twice, nothing is skipped.
 */
import { JournalReader } from '../../../journal/reader.js';
import type { Location } from '../../../journal/location.js';
import { OrderStatus } from '../../../model/enums.js';
import { Asset, MsgType, Order, OrderAction, OrderInput, Trade, type OrderEvent, type OrderInputEvent, type TradeEvent } from '../../../model/events.js';
import type { Logger } from '../../../util/log.js';
import type { OrderTracker } from './tracker.js';

export interface ReplayResult {
  orders: number;
  trades: number;
  /** OrderInputs that were never sent: now Error. */
  unsent: number;
  /** asset -> free + locked, as last written. */
  assets: Map<string, bigint>;
}

export function replay(opts: { home: string; own: Location; ledger: JournalReader; tracker: OrderTracker; log: Logger; trigger: bigint }): ReplayResult {
  const { tracker } = opts;
  const orders = new Map<string, OrderEvent>();
  const trades: TradeEvent[] = [];
  const assets = new Map<string, bigint>();
  const keyOf = (orderId: bigint, symbol: string, exOrderId: string) => (orderId !== 0n ? `o${orderId}` : `#${symbol}:${exOrderId}`);

  const own = new JournalReader({ home: opts.home, log: opts.log });
  try {
    own.join(opts.own, 0);
    for (let f = own.next(); f; f = own.next()) {
      if (f.msgType === MsgType.Order) {
        const o = f.decode(Order);
        orders.set(keyOf(o.order_id, o.symbol, o.ex_order_id), o);
      } else if (f.msgType === MsgType.Trade) trades.push(f.decode(Trade));
      else if (f.msgType === MsgType.Asset) {
        const a = f.decode(Asset);
        assets.set(a.asset, a.free + a.locked);
      }
    }
  } finally {
    own.close();
  }
  for (const o of orders.values()) tracker.restore(o);
  for (const tr of trades) {
    const t = tr.order_id !== 0n ? tracker.get(tr.order_id) : [...tracker.all()].find((x) => x.orderId === 0n && x.order.symbol === tr.symbol && x.order.ex_order_id === tr.ex_order_id);
    if (t) tracker.restoreTrade(t, tr);
  }

  const inputs: OrderInputEvent[] = [];
  const cancels = new Map<bigint, bigint>();
  for (let f = opts.ledger.next(); f; f = opts.ledger.next()) {
    if (f.msgType === MsgType.OrderInput) inputs.push(f.decode(OrderInput));
    else if (f.msgType === MsgType.OrderAction) {
      const a = f.decode(OrderAction);
      cancels.set(a.order_id, a.order_action_id);
    }
  }
  let unsent = 0;
  for (const input of inputs) {
    if (input.order_id === 0n || tracker.get(input.order_id)) continue;
    const t = tracker.fromInput(input);
    tracker.setLocalStatus(t, OrderStatus.Error, 0, 'not sent (gateway restarted)', opts.trigger);
    opts.log.info(`order ${input.order_id}: Error: not sent (gateway restarted)`);
    unsent++;
  }
  for (const [orderId, actionId] of cancels) {
    const t = tracker.get(orderId);
    if (t && t.order.status !== OrderStatus.Error) t.cancelWanted = actionId;
  }
  return { orders: orders.size, trades: trades.length, unsent, assets };
}
