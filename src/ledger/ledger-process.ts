/**
 * The ledger process (`kfc ledger`): registers like every process, follows the journals of every
 * trading gateway, market-data gateway and strategy (those registered before it and those that
 * register later) on its event loop, and stops in the services phase. Books per account and
 * strategy, pre-trade risk and state rebuild build on this loop.
 */
import { parseLocation, type Location } from '../journal/location.js';
import type { ServiceContext, ServiceHooks } from '../runtime/service.js';

/** Whose journals the ledger reads: gateways and strategies. */
function followed(location: string): Location | undefined {
  try {
    const l = parseLocation(location);
    return l.category === 'system' ? undefined : l;
  } catch {
    return undefined;
  }
}

export function ledgerHooks(): ServiceHooks {
  let frames = 0;
  const join = (ctx: ServiceContext, location: string) => {
    const l = followed(location);
    if (l) ctx.reader.join(l);
  };
  return {
    start(ctx) {
      ctx.loop.onFrame(() => {
        frames++;
      });
      for (const p of ctx.master.registry) join(ctx, p.location);
      ctx.log.info(`ledger: following ${ctx.reader.journals.length} journals${ctx.reader.journals.length ? `: ${ctx.reader.journals.map((l) => l.path).join(', ')}` : ''}`);
    },
    registry(ctx, change, p) {
      if (!followed(p.location)) return;
      // A process that left keeps its journal: its last frames are still read; it is followed
      // again (same cursor) when it comes back.
      if (change === 'register') join(ctx, p.location);
      ctx.log.info(`ledger: ${p.location} ${change === 'register' ? 'joined' : 'left'}`);
    },
    stop(ctx) {
      ctx.log.info(`ledger: final state written (${frames} frames read from ${ctx.reader.journals.length} journals)`);
    },
  };
}
