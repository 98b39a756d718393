/**
 * The shutdown order, stated once: strategies stop first (they cancel their orders through the
 * gateways), then the gateways, then the services (the ledger); the master stops last. The master
 * follows it in an ordered shutdown (master.ts); each process follows it too when a signal reaches
 * every process at once (pm2-runtime on `docker stop`, PM2's `pm2 stop all`, Ctrl-C on a process
 * group): it waits for the earlier phases to leave the registry before it stops (service.ts).
 */
import type { Location } from '../journal/location.js';
import { parseLocation } from '../journal/location.js';

export const SHUTDOWN_PHASES: { name: string; includes: (l: Location) => boolean }[] = [
  { name: 'strategies', includes: (l) => l.category === 'strategy' },
  { name: 'gateways', includes: (l) => l.category === 'md' || l.category === 'td' },
  { name: 'services', includes: (l) => l.category === 'system' },
];

/** The phase a location stops in (its index in SHUTDOWN_PHASES); the master's is after them all. */
export function phaseOf(location: Location | string): number {
  let l: Location;
  try {
    l = typeof location === 'string' ? parseLocation(location) : location;
  } catch {
    return SHUTDOWN_PHASES.length;
  }
  if (l.category === 'system' && l.name === 'master') return SHUTDOWN_PHASES.length;
  const i = SHUTDOWN_PHASES.findIndex((p) => p.includes(l));
  return i < 0 ? SHUTDOWN_PHASES.length : i;
}
