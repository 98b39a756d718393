/**
 * The order lists an exchange remembers, by id and by each account's listClientOrderId: the open
 * ones, and per account a window of the finished ones (the oldest forgotten past `retention`),
 * with the queries (GET orderList, allOrderList, openOrderList) and the view answers show.
 * order-lists.ts runs the lists' rules on these records.
 */
import { clientKey } from './client-ids.js';
import { ExchangeError, type ContingencyType, type ListOrderStatus, type ListStatusType, type OrderListView, type SimOrder } from './types.js';
import { Window } from '../../util/window.js';

export interface OrderList {
  orderListId: number;
  contingencyType: ContingencyType;
  listClientOrderId: string;
  symbol: string;
  account: string;
  transactionTime: number;
  listStatusType: ListStatusType;
  listOrderStatus: ListOrderStatus;
  /** All its orders, in Binance's order (working first; an OCO pair below, then above). */
  orders: SimOrder[];
  /** OTO/OTOCO: the working order. */
  working?: SimOrder;
  /** OTO/OTOCO: the orders placed when the working one fills; an OCO's legs are its pair from the start. */
  pending: SimOrder[];
  /** The legs that cancel each other (OCO, and OTOCO's pending pair once placed). */
  pair: SimOrder[];
}

export type ListRef = { orderListId?: number; listClientOrderId?: string };


export class OrderListStore {
  /** The id the next registered list gets. */
  nextId = 0;
  private readonly lists = new Map<number, OrderList>();
  /** account + listClientOrderId -> the latest list with that id, and the open one. */
  private readonly byClientId = new Map<string, OrderList>();
  private readonly openByClientId = new Map<string, OrderList>();
  private readonly finished = new Map<string, Window<OrderList>>();

  constructor(private readonly retention: number) {}

  register(list: OrderList): void {
    this.nextId++;
    this.lists.set(list.orderListId, list);
    this.byClientId.set(clientKey(list.account, list.listClientOrderId), list);
    this.openByClientId.set(clientKey(list.account, list.listClientOrderId), list);
  }

  /** Whether the account has an open list with this listClientOrderId (a new one would be a duplicate). */
  isOpen(account: string, listClientOrderId: string): boolean {
    return this.openByClientId.has(clientKey(account, listClientOrderId));
  }

  /** A list that finished: no longer open, into its account's window (which may forget the oldest). */
  close(list: OrderList): void {
    const k = clientKey(list.account, list.listClientOrderId);
    if (this.openByClientId.get(k) === list) this.openByClientId.delete(k);
    let window = this.finished.get(list.account);
    if (!window) this.finished.set(list.account, (window = new Window(this.retention)));
    const evicted = window.push(list);
    if (evicted) {
      this.lists.delete(evicted.orderListId);
      const ek = clientKey(evicted.account, evicted.listClientOrderId);
      if (this.byClientId.get(ek) === evicted) this.byClientId.delete(ek);
    }
  }

  byId(orderListId: number): OrderList | undefined {
    return this.lists.get(orderListId);
  }

  find(account: string, ref: ListRef): OrderList | undefined {
    if (ref.orderListId !== undefined) {
      const list = this.lists.get(ref.orderListId);
      return list && list.account === account && (ref.listClientOrderId === undefined || list.listClientOrderId === ref.listClientOrderId) ? list : undefined;
    }
    return this.byClientId.get(clientKey(account, ref.listClientOrderId ?? ''));
  }

  get(account: string, ref: ListRef): OrderListView {
    const list = this.find(account, ref);
    if (!list) throw new ExchangeError(-2013, 'Order list does not exist.');
    return viewOf(list);
  }

  /** The account's lists still remembered (open and the finished window), oldest first. */
  all(account: string): OrderListView[] {
    return [...this.lists.values()].filter((l) => l.account === account).map(viewOf);
  }

  open(account: string): OrderListView[] {
    return [...this.openByClientId.values()].filter((l) => l.account === account).sort((a, b) => a.orderListId - b.orderListId).map(viewOf);
  }
}

/** A list as answers and events show it: copies of its orders, none of its rule-keeping. */
export function viewOf(list: OrderList): OrderListView {
  const { orderListId, contingencyType, listStatusType, listOrderStatus, listClientOrderId, transactionTime, symbol, account } = list;
  return { orderListId, contingencyType, listStatusType, listOrderStatus, listClientOrderId, transactionTime, symbol, account, orders: list.orders.map((o) => ({ ...o })) };
}
