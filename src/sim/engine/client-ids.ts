/** Client order ids: Binance's accepted form, and the ids the exchange makes up when none is sent. */
import { randomBytes } from 'node:crypto';

/** The pattern Binance's error text gives for `newClientOrderId`. */
export const CLIENT_ORDER_ID = /^[a-zA-Z0-9-_]{1,36}$/;

// A random prefix per process and a counter: unique, 22 characters like Binance's, and cheap
// (cancels make one each; drawing random bytes per id showed in the engine's profile).
const prefix = randomBytes(9).toString('base64url');
let counter = 0;

/** The key of an account's client id (of an order or an order list) in the maps by client id. */
export const clientKey = (account: string, clientId: string): string => `${account}\u0000${clientId}`;

/** A fresh id of 22 characters from CLIENT_ORDER_ID's alphabet. */
export function generateClientOrderId(): string {
  return prefix + (counter++).toString(36).padStart(10, '0');
}
