/**
 * Where the MD gateway connects, resolved in one place, first match wins:
 *
 *   1. the command line: `--preset production|testnet|sim[:port|:host:port]`, and `--rest-url`,
 *      `--stream-url` to replace either URL of the preset (what the user typed for this process);
 *   2. the accounts database: the source's account with `receive_md` (its URLs; the caller reads
 *      it only when no option was given, and passes it as `account`);
 *   3. the environment: KF_BINANCE_PRESET, KF_BINANCE_REST_URL, KF_BINANCE_STREAM_URL, likewise;
 *   4. real Binance (production).
 *
 * Command-line values win over the environment item by item (a preset from the environment with
 * a REST URL from the command line is fine).
 */
import { UserError } from '../../../util/errors.js';
import { preset as presetEndpoints } from '../common/endpoints.js';

export interface MdEndpoints {
  rest: string;
  stream: string;
  /** Where they came from, for the start-up log line. */
  from: string;
}

export interface MdEndpointInputs {
  /** From the accounts database (receive_md), when there is one. */
  account?: { rest: string; stream: string; name: string };
  preset?: string;
  restUrl?: string;
  streamUrl?: string;
  env?: NodeJS.ProcessEnv;
}

function check(what: string, url: string, schemes: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${what} "${url}" is not a URL (e.g. ${schemes[0]}//host:port)`, 2);
  }
  if (!schemes.includes(parsed.protocol)) throw new UserError(`${what} "${url}" must start with ${schemes.map((s) => `${s}//`).join(' or ')}`, 2);
  return url.replace(/\/+$/, '');
}

export function resolveMdEndpoints(i: MdEndpointInputs): MdEndpoints {
  const fromCommandLine = i.preset !== undefined || i.restUrl !== undefined || i.streamUrl !== undefined;
  if (i.account && !fromCommandLine) return { rest: check('REST URL', i.account.rest, ['https:', 'http:']), stream: check('stream URL', i.account.stream, ['wss:', 'ws:']), from: `account ${i.account.name} (receive_md)` };
  const env = i.env ?? process.env;
  const pick = (flag: string | undefined, name: string): [string, string] | undefined => {
    if (flag !== undefined) return [flag, 'command line'];
    const v = env[name];
    return v !== undefined && v !== '' ? [v, name] : undefined;
  };
  const [presetName, presetFrom] = pick(i.preset, 'KF_BINANCE_PRESET') ?? ['production', 'default'];
  const base = presetEndpoints(presetName);
  if (!base) throw new UserError(`unknown Binance preset "${presetName}" (from ${presetFrom === 'command line' ? '--preset' : presetFrom}): use production, testnet, sim, sim:<port> or sim:<host>:<port>`, 2);
  const rest = pick(i.restUrl, 'KF_BINANCE_REST_URL');
  const stream = pick(i.streamUrl, 'KF_BINANCE_STREAM_URL');
  const from = [`preset ${presetName} (${presetFrom})`, rest && `REST URL (${rest[1]})`, stream && `stream URL (${stream[1]})`].filter(Boolean).join(', ');
  return {
    rest: check(rest?.[1] === 'command line' ? '--rest-url' : 'REST URL', rest?.[0] ?? base.rest, ['https:', 'http:']),
    stream: check(stream?.[1] === 'command line' ? '--stream-url' : 'stream URL', stream?.[0] ?? base.stream, ['wss:', 'ws:']),
    from,
  };
}
