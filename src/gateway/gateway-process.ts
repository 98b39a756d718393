/**
 * MD and TD gateway processes (`kfc md -s SOURCE`, `kfc td -s SOURCE -a ACCOUNT`): they run the
 * shared lifecycle and stop in the gateways phase; the exchange adapters (src/gateway/binance/)
 * plug into these hooks. What a gateway needs from the accounts database is read here, before the
 * process registers: a missing or broken account is one line and exit code 2, not a process that
 * comes up and fails.
 */
import type { ServiceHooks } from '../runtime/service.js';

export interface MdCommandOptions {
  preset?: string;
  restUrl?: string;
  streamUrl?: string;
  idleMs: number;
}

/** The market-data gateway of `source`; where it connects is resolved by resolveMdEndpoints. */
export async function mdHooks(home: string, source: string, opts: MdCommandOptions): Promise<ServiceHooks> {
  if (source !== 'binance') return noAdapter(`market-data gateway ${source}`, source);
  const { resolveMdEndpoints } = await import('./binance/md/endpoints.js');
  const fromCommandLine = opts.preset !== undefined || opts.restUrl !== undefined || opts.streamUrl !== undefined;
  let account: { rest: string; stream: string; name: string } | undefined;
  if (!fromCommandLine) {
    const { readMarketDataAccount } = await import('../config/account-reader.js');
    const { endpointsOf } = await import('../config/account-config.js');
    const row = await readMarketDataAccount(home, source);
    if (row) account = { ...endpointsOf(row.config), name: row.accountId };
  }
  // Checked before registering: a bad URL is a one-line error, not a process that retries forever.
  const endpoints = resolveMdEndpoints({ preset: opts.preset, restUrl: opts.restUrl, streamUrl: opts.streamUrl, account });
  const { binanceMdHooks } = await import('./binance/md/md-gateway.js');
  return binanceMdHooks({ source, endpoints, idleMs: opts.idleMs });
}

/** The trading gateway of one account. */
export async function tdHooks(home: string, source: string, account: string): Promise<ServiceHooks> {
  if (source !== 'binance') return noAdapter(`trading gateway ${source}/${account}`, source);
  const { readAccount } = await import('../config/account-reader.js');
  const { credentialsOf } = await import('../config/account-config.js');
  const row = await readAccount(home, source, account);
  credentialsOf(row.config); // a key file that cannot be read, or a key that is not Ed25519: now
  // ws would load the native bufferutil when it is installed (a dependency of dev tools): ~3 MB
  // of a gateway's 60 MB, for masking small frames that its JavaScript path masks as fast.
  process.env.WS_NO_BUFFER_UTIL ??= '1';
  const { binanceTdHooks, timingsFromEnv } = await import('./binance/td/td.js');
  return binanceTdHooks(row, timingsFromEnv(process.env.KF_TD_TIMINGS));
}

function noAdapter(what: string, source: string): ServiceHooks {
  return {
    start(ctx) {
      ctx.log.warn(`${what}: this build has no ${source} exchange adapter; the process is registered and stops in order, but connects to no exchange`);
    },
    stop(ctx) {
      ctx.log.info(`${what}: exchange connections closed`);
    },
  };
}
