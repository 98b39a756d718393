/**
 * The control channel between the master and every process: newline-delimited JSON over a socket
 * obtained by an HTTP Upgrade (`GET /control`, `Upgrade: kfc-control`) on the master's port, so one
 * port serves the API, the dashboard and the control plane, and clients need no WebSocket library.
 *
 * process -> master: register, heartbeat
 * master -> process: registered (with the registry), refused, registry (a change), stop
 */
import { StringDecoder } from 'node:string_decoder';

export const CONTROL_PATH = '/control';
export const CONTROL_PROTOCOL = 'kfc-control';
export const DEFAULT_MASTER_PORT = 9000;
export const DEFAULT_MASTER_HOST = '127.0.0.1';

export interface ProcessInfo {
  location: string;
  uid: number;
  pid: number;
  /** PM2's id for the process when PM2 runs it (from its env), so the master can stop it in order. */
  pmId?: number;
  pmName?: string;
  journal: string;
  registeredAt: number;
  state: 'ready' | 'stopping';
}

export type ToMaster =
  | { type: 'register'; location: string; pid: number; pmId?: number; pmName?: string; journal: string }
  | { type: 'stopping' };

export type ToProcess =
  | { type: 'registered'; registry: ProcessInfo[] }
  | { type: 'refused'; reason: string }
  | { type: 'registry'; change: 'register' | 'deregister'; process: ProcessInfo }
  | { type: 'stop'; reason: string };

/** Splits a byte stream into JSON messages, one per line (UTF-8 safe across chunk boundaries). */
export class LineDecoder<T> {
  private partial = '';
  private readonly utf8 = new StringDecoder('utf8');

  constructor(private readonly onMessage: (message: T) => void) {}

  push(chunk: Buffer): void {
    this.partial += this.utf8.write(chunk);
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl);
      this.partial = this.partial.slice(nl + 1);
      if (line.trim() === '') continue;
      let message: T;
      try {
        message = JSON.parse(line) as T;
      } catch {
        continue; // not ours: a peer that is not kfc; ignore the line
      }
      this.onMessage(message);
    }
  }
}

export function encodeMessage(message: ToMaster | ToProcess): string {
  return JSON.stringify(message) + '\n';
}

export function masterAddress(opts: { host?: string; port?: number | string } = {}): { host: string; port: number } {
  const port = Number(opts.port ?? process.env.KF_MASTER_PORT ?? DEFAULT_MASTER_PORT);
  const host = opts.host ?? process.env.KF_MASTER_HOST ?? DEFAULT_MASTER_HOST;
  return { host, port };
}
