/**
 * One request to the master's HTTP API, with the master token from KF_HOME when there is one
 * (reads need it only when the master listens beyond loopback; changes always do: master/auth.ts).
 * The CLI's commands (cli/master-api.ts) and the processes themselves (a signalled process asks
 * whether the stack is shutting down) use it.
 */
import { bearer, readToken, tokenPath } from '../master/auth.js';
import { UserError } from '../util/errors.js';

/** Where the master is, and the KF_HOME holding its token. */
export interface MasterAddress {
  host: string;
  port: number;
  home: string;
}

export async function masterRequest(master: MasterAddress, method: 'GET' | 'POST', path: string): Promise<unknown> {
  const { host, port, home } = master;
  const token = readToken(home);
  let res: Response;
  try {
    res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`, { method, headers: bearer(token) });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new UserError(`cannot reach the master at ${host}:${port} (${code}): is it running? Start it with: kfc master (or scripts/binance_test/run.sh start)`);
  }
  if (res.status === 401) {
    throw new UserError(
      token
        ? `the master at ${host}:${port} refused the token in ${tokenPath(home)}: it runs with another KF_HOME; use the same -H or KF_HOME as the master`
        : `the master at ${host}:${port} needs its token for ${method} ${path}, and there is none at ${tokenPath(home)}: use the same -H or KF_HOME as the master`,
    );
  }
  if (!res.ok && res.status !== 202) {
    const body = (await res.json().catch(() => ({}))) as { error?: unknown };
    throw new UserError(`the master at ${host}:${port} answered ${res.status} to ${method} ${path.split('?')[0]}${typeof body.error === 'string' ? `: ${body.error}` : ''}`);
  }
  return res.json();
}

