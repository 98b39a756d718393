/**
 * One logger for every process: human-readable lines, written synchronously (nothing is lost when
 * a process exits or is killed right after), on stdout, where PM2 captures them, and the same lines
 * in $KF_HOME/log/<name>.log:
 *
 *     [2026-11-29 01:23:45.678] INFO (master): registered td/binance/my_account/live (pid 4242)
 *
 * Levels are the guide's: trace, debug, info, warning, error. A few lines of our own rather than
 * pino + pino-pretty: their strengths (asynchronous JSON) are not what is wanted here, and they
 * cost every process about 8 MB of memory (the goal is 60 MB per process).
 */
import { chmodSync, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Numeric levels (pino's numbers, so a recorded line's level compares the same way). */
export const LEVEL_VALUE: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warning: 40, error: 50 };
const LABEL: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR' };

export interface Logger {
  trace(msg: string): void;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  readonly level: LogLevel;
  isLevelEnabled(level: LogLevel): boolean;
}

/** Where lines go: a file descriptor (stdout, stderr, a log file) or memory (tests). */
export type LogSink = (line: string, level: number, msg: string) => void;

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local time as the lines show it: "2026-11-29 01:23:45.678". */
export function logTimestamp(d = new Date()): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * Writes a line to a descriptor synchronously. A full pipe (EAGAIN: PM2 or a terminal reading
 * slowly) is retried briefly, then the line is dropped rather than blocking a trading process; a
 * closed one (EPIPE: `kfc ... | head`) is ignored.
 */
export function fdSink(fd: number): LogSink {
  return (line) => {
    const buf = Buffer.from(line + '\n', 'utf8');
    for (let at = 0, tries = 0; at < buf.length && tries < 100; ) {
      try {
        at += writeSync(fd, buf, at, buf.length - at);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN') return;
        tries++;
        Atomics.wait(PAUSE, 0, 0, 1);
      }
    }
  };
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

export class LineLogger implements Logger {
  private readonly threshold: number;

  constructor(
    private readonly name: string,
    readonly level: LogLevel,
    private readonly sinks: LogSink[],
  ) {
    this.threshold = LEVEL_VALUE[level];
  }

  isLevelEnabled(level: LogLevel): boolean {
    return LEVEL_VALUE[level] >= this.threshold;
  }

  private write(value: number, msg: string): void {
    if (value < this.threshold) return;
    const line = `[${logTimestamp()}] ${LABEL[value]} (${this.name}): ${msg}`;
    for (const sink of this.sinks) sink(line, value, msg);
  }

  trace(msg: string): void {
    this.write(10, msg);
  }

  debug(msg: string): void {
    this.write(20, msg);
  }

  info(msg: string): void {
    this.write(30, msg);
  }

  warn(msg: string): void {
    this.write(40, msg);
  }

  error(msg: string): void {
    this.write(50, msg);
  }
}

export interface LoggerOptions {
  name: string;
  level?: LogLevel;
  /** Also write to <dir>/<name>.log. */
  dir?: string;
  /** Where the lines go on the terminal: 1 = stdout (default), 2 = stderr. */
  fd?: 1 | 2;
}

export function createLogger(opts: LoggerOptions): Logger {
  const sinks = [fdSink(opts.fd ?? 1)];
  if (opts.dir) {
    // Logs name orders and accounts: the user's alone (0700 directory, 0600 file, even one an
    // older version created with looser modes).
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const file = join(opts.dir, `${opts.name}.log`);
    const fd = openSync(file, 'a', 0o600);
    chmodSync(file, 0o600);
    sinks.push(fdSink(fd));
    process.once('exit', () => closeSync(fd));
  }
  return new LineLogger(opts.name, opts.level ?? 'info', sinks);
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
