/**
 * The ledger process (`kfc ledger`): registers like every process and stops in the services phase.
 * Books per account and strategy, pre-trade risk and state rebuild arrive with the order path;
 * for now it keeps the list of trading gateways it will hold books for.
 */
import type { ServiceHooks } from '../runtime/service.js';

export function ledgerHooks(): ServiceHooks {
  const gateways = new Set<string>();
  const track = (location: string) => {
    if (location.startsWith('td/')) gateways.add(location);
  };
  return {
    start(ctx) {
      for (const p of ctx.master.registry) track(p.location);
      ctx.log.info(`ledger: ${gateways.size} trading gateways registered${gateways.size ? `: ${[...gateways].join(', ')}` : ''}`);
    },
    registry(ctx, change, p) {
      if (!p.location.startsWith('td/')) return;
      if (change === 'register') gateways.add(p.location);
      else gateways.delete(p.location);
      ctx.log.info(`ledger: trading gateway ${p.location} ${change === 'register' ? 'joined' : 'left'}`);
    },
    stop(ctx) {
      ctx.log.info(`ledger: final state written (${gateways.size} trading gateways known)`);
    },
  };
}
