/**
 * A process's connection to the master: waits for the master when it is not up (one clear log
 * line, then a reminder every 10 s: never a crash loop), registers, follows registry changes and
 * stop orders, and reconnects and registers again if the master restarts.
 *
 * It proves it belongs to this stack with the master token from KF_HOME (auth.ts), read at every
 * connection attempt: a process started before the master finds it once the master is up. What
 * the master sends is checked like anything from another process (protocol.ts).
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { bearer, readToken, tokenPath } from '../master/auth.js';
import { CONTROL_PATH, CONTROL_PROTOCOL, LineDecoder, MAX_LINE_TO_PROCESS, encodeMessage, toProcess, type ProcessInfo, type Registration } from '../master/protocol.js';

export interface MasterClientOptions {
  host: string;
  port: number;
  /** KF_HOME, where the master token is. */
  home: string;
  log: Logger;
  registration: Registration;
  onStop: (reason: string) => void;
  onRegistry?: (change: 'register' | 'deregister', process: ProcessInfo) => void;
}

/** Opens the control channel (an HTTP Upgrade); rejects with the connection error. */
function openControl(host: string, port: number, home: string): Promise<{ socket: Socket; head: Buffer }> {
  const token = readToken(home);
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: CONTROL_PATH, headers: { Connection: 'Upgrade', Upgrade: CONTROL_PROTOCOL, ...bearer(token) } });
    req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
    req.on('response', (res) => {
      res.resume();
      if (res.statusCode === 401) reject(new Error(`the master refused ${token ? 'the token in' : 'this process: no token at'} ${tokenPath(home)}; is it running with this KF_HOME (-H)?`));
      else reject(new Error(`the process at ${host}:${port} is not a kfc master (HTTP ${res.statusCode})`));
    });
    req.on('error', reject);
    req.end();
  });
}

export class MasterClient {
  private socket: Socket | undefined;
  private closing = false;
  registry: ProcessInfo[] = [];

  constructor(private readonly opts: MasterClientOptions) {}

  /** Registered and connected now (the registry is current). */
  get connected(): boolean {
    return this.socket !== undefined;
  }

  get address(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  /** Connects (waiting for the master as long as it takes) and registers. */
  async connect(): Promise<void> {
    const { log } = this.opts;
    let lastReminder = 0;
    for (let attempt = 0; ; attempt++) {
      if (this.closing) throw new UserError('stopped while waiting for the master');
      try {
        const { socket, head } = await openControl(this.opts.host, this.opts.port, this.opts.home);
        await this.register(socket, head);
        if (attempt > 0) log.info(`master at ${this.address} is up: registered`);
        return;
      } catch (err) {
        if (err instanceof UserError) throw err;
        const now = Date.now();
        if (attempt === 0 || now - lastReminder >= 10_000) {
          log.info(`waiting for master at ${this.address} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); start it first: kfc master`);
          lastReminder = now;
        }
        await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 500));
      }
    }
  }

  private register(socket: Socket, head: Buffer): Promise<void> {
    socket.setNoDelay(true);
    return new Promise((resolve, reject) => {
      let registered = false;
      const decoder = new LineDecoder(toProcess, MAX_LINE_TO_PROCESS, (msg) => {
        switch (msg.type) {
          case 'registered':
            registered = true;
            this.socket = socket;
            this.registry = msg.registry;
            resolve();
            break;
          case 'refused':
            reject(new UserError(`the master refused to register ${this.opts.registration.location}: ${msg.reason}`, 2));
            break;
          case 'registry':
            if (msg.change === 'register') this.registry = [...this.registry.filter((p) => p.location !== msg.process.location), msg.process];
            else this.registry = this.registry.filter((p) => p.location !== msg.process.location);
            this.opts.onRegistry?.(msg.change, msg.process);
            break;
          case 'stop':
            this.opts.onStop(`the master ordered it (${msg.reason})`);
            break;
        }
      }, (reason) => {
        this.opts.log.warn(`dropped the connection to the master at ${this.address}: it sent ${reason}`);
        socket.destroy();
      });
      if (head.length > 0) decoder.push(head);
      socket.on('data', (chunk: Buffer) => decoder.push(chunk));
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        if (!registered) {
          reject(new Error('connection closed before registration'));
          return;
        }
        if (this.socket === socket) this.socket = undefined;
        if (!this.closing) void this.reconnect();
      });
      socket.write(encodeMessage(this.opts.registration));
    });
  }

  private async reconnect(): Promise<void> {
    this.opts.log.warn(`lost the master at ${this.address}; reconnecting (this process keeps running)`);
    try {
      await this.connect();
    } catch (err) {
      if (this.closing) return;
      this.opts.onStop((err as Error).message);
    }
  }

  /**
   * Tells the master this is a clean stop and closes; resolves once the master has the message
   * (the socket is closed), so the master logs "stopped", not "process died".
   */
  close(): Promise<void> {
    this.closing = true;
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end(encodeMessage({ type: 'stopping' }));
    });
  }
}
