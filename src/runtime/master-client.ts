/**
 * A process's connection to the master: waits for the master when it is not up (one clear log
 * line, then a reminder every 10 s: never a crash loop), registers, follows registry changes and
 * stop orders, and reconnects and registers again if the master restarts.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { CONTROL_PATH, CONTROL_PROTOCOL, LineDecoder, encodeMessage, type ProcessInfo, type ToMaster, type ToProcess } from '../master/protocol.js';

export interface MasterClientOptions {
  host: string;
  port: number;
  log: Logger;
  registration: Extract<ToMaster, { type: 'register' }>;
  onStop: (reason: string) => void;
  onRegistry?: (change: 'register' | 'deregister', process: ProcessInfo) => void;
}

/** Opens the control channel (an HTTP Upgrade); rejects with the connection error. */
function openControl(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: CONTROL_PATH, headers: { Connection: 'Upgrade', Upgrade: CONTROL_PROTOCOL } });
    req.on('upgrade', (_res, socket) => resolve(socket));
    req.on('response', (res) => {
      res.resume();
      reject(new Error(`the process at ${host}:${port} is not a kfc master (HTTP ${res.statusCode})`));
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
        const socket = await openControl(this.opts.host, this.opts.port);
        await this.register(socket);
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

  private register(socket: Socket): Promise<void> {
    socket.setNoDelay(true);
    return new Promise((resolve, reject) => {
      let registered = false;
      const decoder = new LineDecoder<ToProcess>((msg) => {
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
      });
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
