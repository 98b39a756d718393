/** The TD's waits, and KF_TD_TIMINGS (tests and drills shorten them). */
import { UserError } from '../../../util/errors.js';

/** Timings a test may shorten (environment, documented in the README): all in ms. */
export interface TdTimings {
  /** How long a report ahead of its fills, or a fill ahead of an earlier one, may wait before the order is queried. */
  gapMs: number;
  /** After an unknown outcome: first query after this long... */
  unknownCheckMs: number;
  /** ...and this many queries that do not find the order before it is Error. */
  unknownChecks: number;
  /** Reconnect backoff: from this... */
  backoffMinMs: number;
  /** ...to this. */
  backoffMaxMs: number;
  /** After LoginFailed (a bad key): retry this long after. */
  loginRetryMs: number;
  /** No answer to a request within this long: its outcome is unknown (Binance's backend gives up at 10 s). */
  requestTimeoutMs: number;
}

export const DEFAULT_TIMINGS: TdTimings = { gapMs: 1000, unknownCheckMs: 1000, unknownChecks: 3, backoffMinMs: 500, backoffMaxMs: 30_000, loginRetryMs: 300_000, requestTimeoutMs: 12_000 };

/** DEFAULT_TIMINGS with KF_TD_TIMINGS (JSON, e.g. {"loginRetryMs": 2000}) applied: for tests and drills. */
export function timingsFromEnv(env: string | undefined): TdTimings {
  if (env === undefined || env === '') return DEFAULT_TIMINGS;
  let given: unknown;
  try {
    given = JSON.parse(env);
  } catch {
    throw new UserError('KF_TD_TIMINGS is not JSON: give e.g. {"loginRetryMs": 2000}', 2);
  }
  const out = { ...DEFAULT_TIMINGS };
  for (const [k, v] of Object.entries(given as Record<string, unknown>)) {
    if (!Object.hasOwn(DEFAULT_TIMINGS, k)) throw new UserError(`KF_TD_TIMINGS: unknown field ${k.slice(0, 40)} (known: ${Object.keys(DEFAULT_TIMINGS).join(', ')})`, 2);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 3_600_000) throw new UserError(`KF_TD_TIMINGS: ${k} must be a whole number of ms from 1 to 3600000`, 2);
    out[k as keyof TdTimings] = v;
  }
  return out;
}
