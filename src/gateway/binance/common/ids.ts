/**
 * Our order ids on Binance: `newClientOrderId` is "kf" + the journal's order id in base 36, so an
 * exchange order maps back to its journal order (and its owner, `orderId >> 32`) without a table.
 * Ids are [a-z0-9], at most 15 characters: within Binance's [A-Za-z0-9_-]{1,36}.
 */
const PREFIX = 'kf';
/** Order ids are u64 in the journal. */
const MAX_ORDER_ID = (1n << 64n) - 1n;

export function clientOrderIdOf(orderId: bigint): string {
  if (orderId <= 0n || orderId > MAX_ORDER_ID) throw new RangeError(`order id ${orderId} is out of range`);
  return PREFIX + orderId.toString(36);
}

/** The journal order id of one of our client order ids; undefined for any other id. */
export function orderIdOf(clientOrderId: string): bigint | undefined {
  if (!clientOrderId.startsWith(PREFIX) || !/^kf[0-9a-z]{1,13}$/.test(clientOrderId)) return undefined;
  let id = 0n;
  for (const ch of clientOrderId.slice(PREFIX.length)) id = id * 36n + BigInt(parseInt(ch, 36));
  return id > 0n && id <= MAX_ORDER_ID ? id : undefined;
}

/** The location uid of the process that owns an order (its strategy). */
export function ownerOf(orderId: bigint): number {
  return Number(orderId >> 32n) >>> 0;
}
