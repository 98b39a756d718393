/**
 * One logger for every process: pino, printed as human-readable lines (pino-pretty, synchronous so
 * nothing is lost when a process exits) on stdout, where PM2 captures them, and the same lines in
 * $KF_HOME/log/<name>.log. Levels are the guide's: trace, debug, info, warning, error.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Logger = Pick<PinoLogger, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'level' | 'isLevelEnabled'>;

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

function pinoLevel(level: LogLevel): string {
  return level === 'warning' ? 'warn' : level;
}

export interface LoggerOptions {
  name: string;
  level?: LogLevel;
  /** Also write to <dir>/<name>.log. */
  dir?: string;
  /** Where the human-readable lines go: 1 = stdout (default), 2 = stderr. */
  fd?: 1 | 2;
}

function prettyStream(destination: number | string) {
  return pretty({
    sync: true,
    destination,
    colorize: false,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname',
    messageKey: 'msg',
    singleLine: true,
    mkdir: true,
    append: true,
  });
}

export function createLogger(opts: LoggerOptions): Logger {
  const level = pinoLevel(opts.level ?? 'info');
  const streams: { stream: NodeJS.WritableStream; level: string }[] = [{ stream: prettyStream(opts.fd ?? 1), level }];
  if (opts.dir) {
    // Logs name orders and accounts: the user's alone (0700 directory, 0600 file, even one an
    // older version created with looser modes).
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const file = join(opts.dir, `${opts.name}.log`);
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    streams.push({ stream: prettyStream(file), level });
  }
  return pino({ name: opts.name, level, base: undefined }, pino.multistream(streams as never));
}

let processLogger: Logger | undefined;

/** The process-wide logger; the CLI sets it at start, library code falls back to stderr at info. */
export function getLogger(): Logger {
  processLogger ??= createLogger({ name: 'kfc', fd: 2 });
  return processLogger;
}

export function setLogger(logger: Logger): void {
  processLogger = logger;
}
