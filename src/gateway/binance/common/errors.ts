/**
 * How a Binance request can end, as the gateways must tell it apart (binance-spot.md, "Errors"):
 *
 * - BinanceApiError: Binance answered with {code, msg}: the request was refused (nothing happened),
 *   except the codes that say the outcome is unknown (-1006, -1007), which become UnknownOutcome.
 * - UnknownOutcome: a 5xx, a timeout, a connection lost after sending: the request may or may not
 *   have been executed. An order in this state is settled by the user stream or a query, never by
 *   sending it again.
 * - Unreachable: the request never left (refused connection, unknown host): nothing happened.
 * - RateLimited: 429 (back off for Retry-After) or 418 (banned until a time: send nothing).
 */
export class BinanceApiError extends Error {
  override name = 'BinanceApiError';
  constructor(
    readonly code: number,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class UnknownOutcome extends Error {
  override name = 'UnknownOutcome';
  constructor(
    message: string,
    readonly code = -1006,
  ) {
    super(message);
  }
}

export class Unreachable extends Error {
  override name = 'Unreachable';
}

export class RateLimited extends Error {
  override name = 'RateLimited';
  constructor(
    message: string,
    readonly status: 429 | 418,
    /** When requests may be sent again (ms since the epoch). */
    readonly until: number,
    readonly code: number,
  ) {
    super(message);
  }
}

/** Binance codes that mean "sent, outcome unknown" (errors.md: -1006 UNEXPECTED_RESP, -1007 TIMEOUT). */
export const UNKNOWN_OUTCOME_CODES: ReadonlySet<number> = new Set([-1006, -1007]);

/** -1021: the timestamp is outside recvWindow (clock skew): resync the clock and retry once. */
export const TIMESTAMP_OUTSIDE_RECV_WINDOW = -1021;
