/**
 * The kill switch's state: which scopes are halted (everything, an account, a strategy). A halted
 * scope accepts cancels only. Built from the ledger's own TradingState frames (so a restart replays
 * it) and changed by LedgerCommand frames from the master.
 */
import { Scope, TradingState, scopeName } from '../model/enums.js';
import type { TradingStateEvent } from '../model/events.js';

export interface Halt {
  /** How a message names it: "everything", "account binance_a", "strategy demo". */
  scope: string;
  reason: string;
  cancelOpen: boolean;
}

const key = (kind: number, scope: string) => `${kind}:${scope}`;

export function describeScope(kind: number, scope: string): string {
  return kind === Scope.All ? 'everything' : `${scopeName(kind).toLowerCase()} ${scope}`;
}

export class Halts {
  private readonly halted = new Map<string, Halt>();

  apply(e: Pick<TradingStateEvent, 'scope_kind' | 'scope' | 'state' | 'reason' | 'cancel_open'>): void {
    const k = key(e.scope_kind, e.scope_kind === Scope.All ? '' : e.scope);
    if (e.state === TradingState.Halted) this.halted.set(k, { scope: describeScope(e.scope_kind, e.scope), reason: e.reason, cancelOpen: e.cancel_open });
    else this.halted.delete(k);
  }

  /** The halt that stops new orders of `strategy` on `accountId`, if any. */
  haltedFor(strategy: string, accountId: string): Halt | undefined {
    return this.halted.get(key(Scope.All, '')) ?? this.halted.get(key(Scope.Account, accountId)) ?? this.halted.get(key(Scope.Strategy, strategy));
  }

  isHalted(kind: number, scope: string): boolean {
    return this.halted.has(key(kind, kind === Scope.All ? '' : scope));
  }

  list(): Halt[] {
    return [...this.halted.values()];
  }
}
