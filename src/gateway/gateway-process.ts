/**
 * MD and TD gateway processes (`kfc md -s SOURCE`, `kfc td -s SOURCE -a ACCOUNT`): they run the
 * shared lifecycle and stop in the gateways phase. The exchange adapters (src/gateway/binance/)
 * plug into these hooks; until a source has an adapter the gateway says so at start.
 */
import type { ServiceHooks } from '../runtime/service.js';
import type { MdGatewayOptions } from './binance/md/md-gateway.js';

export async function gatewayHooks(kind: 'md' | 'td', source: string, account?: string, md?: Omit<MdGatewayOptions, 'source'>): Promise<ServiceHooks> {
  if (kind === 'md' && source === 'binance' && md) {
    const { binanceMdHooks } = await import('./binance/md/md-gateway.js');
    return binanceMdHooks({ ...md, source });
  }
  const what = kind === 'md' ? `market-data gateway ${source}` : `trading gateway ${source}/${account}`;
  return {
    start(ctx) {
      ctx.log.warn(`${what}: this build has no ${source} exchange adapter yet; the process is registered and stops in order, but connects to no exchange`);
    },
    stop(ctx) {
      ctx.log.info(`${what}: exchange connections closed`);
    },
  };
}
