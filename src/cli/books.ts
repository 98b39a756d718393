/** The ledger's books as terminal tables (kfc status --books). */

interface Books {
  updatedAt?: string;
  accounts?: { account: string; brokerState: string; balances: { asset: string; free: string; locked: string; reserved: string; available: string }[]; openOrders: number }[];
  strategies?: { strategy: string; openOrders: number; positions: { account: string; symbol: string; volume: string; avgPrice: string | null; realizedPnl: string; unrealizedPnl: string; markPrice: string }[] }[];
  orders?: { orderId: string; strategy: string; account: string; symbol: string; side: string; type: string; price: string; volume: string; traded: string; status: string }[];
  halts?: { scope: string; reason: string }[];
}

/** Trailing zeros off, for reading: "0.10000000" -> "0.1". */
export const trim = (x: string | null) => (x === null ? '-' : x.includes('.') ? x.replace(/\.?0+$/, '') : x);

export function table(rows: string[][], right: number[] = []): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function formatBooks(value: unknown): string {
  const b = value as Books;
  const out: string[] = [];
  const balances = [['account', 'state', 'asset', 'free', 'locked', 'reserved', 'available']];
  for (const a of b.accounts ?? []) for (const x of a.balances) balances.push([a.account, a.brokerState, x.asset, trim(x.free), trim(x.locked), trim(x.reserved), trim(x.available)]);
  out.push(balances.length > 1 ? table(balances, [3, 4, 5, 6]) : 'no account balances yet (no trading gateway has reported)');
  const positions = [['strategy', 'account', 'symbol', 'position', 'avg price', 'mark', 'realized', 'unrealized']];
  for (const s of b.strategies ?? []) for (const p of s.positions) positions.push([s.strategy, p.account, p.symbol, trim(p.volume), trim(p.avgPrice), trim(p.markPrice), trim(p.realizedPnl), trim(p.unrealizedPnl)]);
  out.push(positions.length > 1 ? table(positions, [3, 4, 5, 6, 7]) : 'no positions yet');
  const open = (b.orders ?? []).filter((o) => !['Filled', 'Cancelled', 'Error', 'PartialFilledNotActive'].includes(o.status));
  const orders = [['order', 'strategy', 'account', 'symbol', 'side', 'type', 'price', 'volume', 'traded', 'status']];
  for (const o of open) orders.push([o.orderId, o.strategy, o.account, o.symbol, o.side, o.type, trim(o.price), trim(o.volume), trim(o.traded), o.status]);
  out.push(orders.length > 1 ? table(orders, [6, 7, 8]) : 'no open orders');
  if (b.halts?.length) out.push(b.halts.map((h) => `HALTED: ${h.scope} (${h.reason})`).join('\n'));
  if (b.updatedAt) out.push(`(books as of ${b.updatedAt})`);
  return out.join('\n\n');
}
