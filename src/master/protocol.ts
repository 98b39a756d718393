/**
 * The control channel between the master and every process: newline-delimited JSON over a socket
 * obtained by an HTTP Upgrade (`GET /control`, `Upgrade: kfc-control`, with the master's token as
 * `Authorization: Bearer ...`, see auth.ts) on the master's port, so one port serves the API, the
 * dashboard and the control plane, and clients need no WebSocket library.
 *
 * process -> master: register, stopping
 * master -> process: registered (with the registry), refused, registry (a change), stop
 *
 * Both ends treat the other as untrusted: every message is checked against its schema below, and a
 * line longer than the side's cap, a line that is not JSON or a message that fails its schema ends
 * the connection with a log line.
 */
import { StringDecoder } from 'node:string_decoder';
import { array, byType, integer, literal, object, oneOf, optional, SchemaError, text, type Infer, type Schema } from '../util/schema.js';

export const CONTROL_PATH = '/control';
export const CONTROL_PROTOCOL = 'kfc-control';
export const DEFAULT_MASTER_PORT = 9000;
export const DEFAULT_MASTER_HOST = '127.0.0.1';

/** Linux's largest possible pid (PID_MAX_LIMIT on 64-bit). Pids 0, 1 and negatives never name a process we may signal. */
export const PID_MAX = 4_194_304;

/** The longest line each side accepts: a registration is under 2 KB; a registry of 1024 processes under 2 MB. */
export const MAX_LINE_TO_MASTER = 16 * 1024;
export const MAX_LINE_TO_PROCESS = 2 * 1024 * 1024;
export const MAX_PROCESSES = 1024;

const pid = integer(2, PID_MAX);
const location = text(200, /^[A-Za-z0-9_.\/-]+$/);
const pmId = optional(integer(0, 1_000_000));
const pmName = optional(text(128));
const journal = text(1024);
const reason = text(2000);

const processInfo = object({
  location,
  uid: integer(0, 0xffffffff),
  pid,
  /** PM2's id for the process when PM2 runs it (from its env), so the master can stop it in order. */
  pmId,
  pmName,
  journal,
  registeredAt: integer(0, Number.MAX_SAFE_INTEGER),
  state: oneOf('ready', 'stopping'),
});

export const toMaster = byType({
  register: object({ type: literal('register'), location, pid, pmId, pmName, journal }),
  stopping: object({ type: literal('stopping') }),
});

export const toProcess = byType({
  registered: object({ type: literal('registered'), registry: array(processInfo, MAX_PROCESSES) }),
  refused: object({ type: literal('refused'), reason }),
  registry: object({ type: literal('registry'), change: oneOf('register', 'deregister'), process: processInfo }),
  stop: object({ type: literal('stop'), reason }),
});

export type ProcessInfo = Infer<typeof processInfo>;
export type ToMaster = Infer<typeof toMaster>;
export type ToProcess = Infer<typeof toProcess>;
export type Registration = Extract<ToMaster, { type: 'register' }>;

/**
 * Splits a byte stream into messages, one JSON line each (UTF-8 safe across chunk boundaries), and
 * checks each against `schema`. The first bad line (too long, not JSON, wrong shape) calls
 * `onError` once and everything after it is ignored: the caller drops the connection.
 */
export class LineDecoder<T> {
  private partial = '';
  private failed = false;
  private readonly utf8 = new StringDecoder('utf8');

  constructor(
    private readonly schema: Schema<T>,
    private readonly maxLineLength: number,
    private readonly onMessage: (message: T) => void,
    private readonly onError: (reason: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.partial += this.utf8.write(chunk);
    let nl: number;
    while (!this.failed && (nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl);
      this.partial = this.partial.slice(nl + 1);
      if (line.length > this.maxLineLength) return this.fail(`a line longer than ${this.maxLineLength} characters`);
      if (line.trim() === '') continue;
      let message: T;
      try {
        message = this.schema.parse(JSON.parse(line));
      } catch (err) {
        return this.fail(err instanceof SchemaError ? `bad message: ${err.message}` : 'a line that is not JSON');
      }
      this.onMessage(message);
    }
    // A line still without its newline: past the cap it can only be an attack or a foreign peer.
    if (!this.failed && this.partial.length > this.maxLineLength) this.fail(`a line longer than ${this.maxLineLength} characters`);
  }

  private fail(reason: string): void {
    this.failed = true;
    this.partial = '';
    this.onError(reason);
  }
}

export function encodeMessage(message: ToMaster | ToProcess): string {
  return JSON.stringify(message) + '\n';
}
