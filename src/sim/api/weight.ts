/** Request weights that depend on the parameters, with the rule in words (for the README's table). */
import type { Params } from './params.js';

export type WeightRule = ((p: Params) => number) & { doc?: string };

/** A weight rule and the sentence that states it. */
export function weightRule(doc: string, rule: (p: Params) => number): WeightRule {
  return Object.assign(rule, { doc });
}

/** A weight as the README shows it: the number, or its rule's sentence; an order operation's is 0 unless it fails. */
export function weightText(weight: number | WeightRule, freeOnSuccess = false): string {
  const text = typeof weight === 'number' ? String(weight) : (weight.doc ?? 'by parameters');
  return freeOnSuccess ? `0; ${text} if it fails` : text;
}
