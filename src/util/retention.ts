/**
 * The bounded windows of finished orders that long-running processes keep: the TD its last 2000
 * (late duplicate reports find their trade ids), a strategy its last 2000 (a late report cannot
 * reopen one), the ledger ten minutes of them (late fills). KF_RETENTION_SCALE shrinks them all
 * for tests and drills: the soak (reliability/soak.ts) keeps a tenth, so that every window is full
 * within its warm-up and any memory growth after it is growth without bound.
 */
import { UserError } from './errors.js';

/** KF_RETENTION_SCALE: a number above 0 and at most 1; 1 when not set. */
export function retentionScale(env: string | undefined = process.env.KF_RETENTION_SCALE): number {
  if (env === undefined || env === '') return 1;
  const scale = Number(env);
  if (!(scale > 0 && scale <= 1)) throw new UserError(`KF_RETENTION_SCALE "${env.slice(0, 40)}": give a number above 0 and at most 1 (0.1 keeps a tenth of the finished orders), or leave it unset`, 2);
  return scale;
}

/** `size` (a count, or seconds) of a window, scaled; at least 1. */
export function kept(size: number, scale = retentionScale()): number {
  return Math.max(1, Math.round(size * scale));
}
