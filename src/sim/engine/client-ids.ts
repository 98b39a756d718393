/** Client order ids: Binance's accepted form, and the ids the exchange makes up when none is sent. */
import { randomBytes } from 'node:crypto';

/** The pattern Binance's error text gives for `newClientOrderId`. */
export const CLIENT_ORDER_ID = /^[a-zA-Z0-9-_]{1,36}$/;

/** A fresh id of 22 characters from CLIENT_ORDER_ID's alphabet, like the ones Binance generates. */
export function generateClientOrderId(): string {
  return randomBytes(17).toString('base64url').slice(0, 22);
}
