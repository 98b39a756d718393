/** What the REST and WS API handlers share: the exchange's state, its limits, and where order events go. */
import type { MatchingEngine } from '../engine/engine.js';
import type { Tape } from '../engine/tape.js';
import type { EngineEvent } from '../engine/types.js';
import type { Accounts } from './accounts.js';
import type { RateLimits } from './limits.js';
import { Params } from './params.js';

export interface SimContext {
  engine: MatchingEngine;
  tape: Tape;
  limits: RateLimits;
  accounts: Accounts;
  now: () => number;
  /** Receives what each order operation changed (the market and user data streams). */
  publish: (events: EngineEvent[]) => void;
}

/** The request's symbol, known to the engine (-1121 otherwise). */
export function symbolOf(ctx: SimContext, p: Params): string {
  const s = p.required('symbol');
  ctx.engine.spec(s);
  return s;
}

export { Params };
