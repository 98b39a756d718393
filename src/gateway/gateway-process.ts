/**
 * MD and TD gateway processes (`kfc md -s SOURCE`, `kfc td -s SOURCE -a ACCOUNT`): they run the
 * shared lifecycle and stop in the gateways phase; the exchange adapters (src/gateway/binance/)
 * plug into these hooks. A TD's account is loaded here, before the process registers: a missing
 * or broken account is one line and exit code 2, not a process that comes up and fails.
 */
import type { ServiceHooks } from '../runtime/service.js';

export async function gatewayHooks(kind: 'md' | 'td', source: string, account?: string, home?: string): Promise<ServiceHooks> {
  if (kind === 'td' && source === 'binance') {
    const { readAccount } = await import('../config/account-reader.js');
    const { credentialsOf } = await import('../config/account-config.js');
    const row = await readAccount(home!, source, account!);
    credentialsOf(row.config); // a key file that cannot be read, or a key that is not Ed25519: now
    // ws would load the native bufferutil when it is installed (a dependency of dev tools): ~3 MB
    // of a gateway's 60 MB, for masking small frames that its JavaScript path masks as fast.
    process.env.WS_NO_BUFFER_UTIL ??= '1';
    const { binanceTdHooks, timingsFromEnv } = await import('./binance/td/td.js');
    return binanceTdHooks(row, timingsFromEnv(process.env.KF_TD_TIMINGS));
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
