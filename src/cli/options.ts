/**
 * Options every kfc command shares, which of them each kind of command takes, and the one way to
 * read a number a user typed.
 *
 * Users type options after the command (`kfc status --port 9100`) as often as before it (`kfc
 * --port 9100 master`, the guide's dev_run.py style): each command that uses an option accepts it
 * in both places, and the command's own wins.
 */
import { Command, Option } from 'commander';
import { resolveHome } from '../journal/location.js';
import { DEFAULT_MASTER_HOST, DEFAULT_MASTER_PORT } from '../master/protocol.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../util/log.js';
import { UserError } from './errors.js';

export interface NumberRule {
  /** How the user knows this value, e.g. `--timeout` or `master port (--port or KF_MASTER_PORT)`. */
  what: string;
  min: number;
  max: number;
  /** Whole numbers only (default); false allows a decimal fraction. */
  integer?: boolean;
  /** e.g. "milliseconds", said in the error. */
  unit?: string;
}

/**
 * `text` as a number within the rule, or a UserError (exit code 2) naming the option, the value and
 * what it should be. Only plain decimal numerals: "10s", "1e3", "0x10", "" and " 5" are refused,
 * where Number() would give NaN or a surprise.
 */
export function parseNumber(text: string, rule: NumberRule): number {
  const integer = rule.integer ?? true;
  const value = (integer ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/).test(text) ? Number(text) : NaN;
  if (!(value >= rule.min && value <= rule.max)) {
    const kind = `${integer ? 'a whole number' : 'a number'}${rule.unit ? ` of ${rule.unit}` : ''}`;
    throw new UserError(`${rule.what} "${text}" is not ${kind} from ${rule.min} to ${rule.max}`, 2);
  }
  return value;
}

/** Adds an option that takes a number, validated by `rule`. */
export function addNumberOption(cmd: Command, flags: string, description: string, rule: Omit<NumberRule, 'what'>, defaultValue?: number): Command {
  const option = new Option(flags, description);
  option.argParser((text: string) => parseNumber(text, { ...rule, what: option.long ?? flags }));
  if (defaultValue !== undefined) option.default(defaultValue);
  return cmd.addOption(option);
}

export const PORT = { min: 1, max: 65535 };
/** Node's timers fire at once past 2^31-1 ms; keep every wait well inside. */
export const SECONDS = { min: 0, max: 86_400, integer: false, unit: 'seconds' };

/** The options shared by the program and its commands, by what they are for. */
export const SHARED = {
  home: () => new Option('-H, --home <dir>', 'KF_HOME, the root of all runtime files (env KF_HOME; default ~/.config/kungfu/app/runtime)'),
  logLevel: () => new Option('-l, --log-level <level>', 'log level (env KF_LOG_LEVEL; default info)').choices([...LOG_LEVELS]),
  lowLatency: () => new Option('-x, --low-latency', 'readers spin instead of sleeping: lowest latency, one busy core per process'),
  port: () => new Option('--port <port>', `master port (env KF_MASTER_PORT; default ${DEFAULT_MASTER_PORT})`),
  host: () => new Option('--host <address>', `master address (env KF_MASTER_HOST; default ${DEFAULT_MASTER_HOST})`),
} as const;

export type SharedName = keyof typeof SHARED;

/** Adds these shared options to `cmd` (a command accepts only those it uses, so its help stays true). */
export function withShared(cmd: Command, names: SharedName[]): Command {
  for (const name of names) cmd.addOption(SHARED[name]());
  return cmd;
}

/** The shared options each kind of command uses (and so accepts after its name, too). */
export const FOR_PROCESS = ['home', 'logLevel', 'lowLatency', 'port', 'host'] as const;
export const FOR_MASTER = ['home', 'logLevel', 'port', 'host'] as const;
export const FOR_MASTER_CLIENT = ['home', 'port', 'host'] as const;

export interface SharedValues {
  home?: string;
  logLevel?: string;
  lowLatency?: boolean;
  port?: string;
  host?: string;
}

/** The shared options as given to `cmd` or, failing that, to the commands before it (`kfc -H x ledger halt`). */
export function sharedValues(cmd: Command): SharedValues {
  const chain: SharedValues[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.push(c.opts<SharedValues>());
  const pick = <K extends keyof SharedValues>(k: K) => chain.find((o) => o[k] !== undefined)?.[k];
  return { home: pick('home'), logLevel: pick('logLevel'), lowLatency: pick('lowLatency'), port: pick('port'), host: pick('host') };
}

export interface Globals {
  home: string;
  level: LogLevel;
  lowLatency: boolean;
}

/** The global options as `cmd` has them: KF_HOME resolved, the log level checked, -x. */
export function globals(cmd: Command): Globals {
  const g = sharedValues(cmd);
  const level = g.logLevel ?? process.env.KF_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) throw new UserError(`unknown log level "${level}" (from -l or KF_LOG_LEVEL): use one of ${LOG_LEVELS.join(', ')}`);
  return { home: resolveHome(g.home), level, lowLatency: g.lowLatency ?? false };
}

export interface MasterEndpoint {
  host: string;
  port: number;
  /** KF_HOME, where the master token is. */
  home: string;
}

/** Where the master is (--host/--port, else KF_MASTER_HOST/KF_MASTER_PORT, else 127.0.0.1:9000) and which KF_HOME it uses. */
export function masterEndpoint(values: Pick<SharedValues, 'host' | 'port' | 'home'> = {}): MasterEndpoint {
  const portText = values.port ?? (process.env.KF_MASTER_PORT || undefined);
  const port = portText === undefined ? DEFAULT_MASTER_PORT : parseNumber(portText, { what: 'master port (--port or KF_MASTER_PORT)', ...PORT });
  const host = values.host ?? (process.env.KF_MASTER_HOST || DEFAULT_MASTER_HOST);
  return { host, port, home: resolveHome(values.home) };
}
