/**
 * The master: the registry of live processes, their health, the ordered shutdown, and the HTTP API,
 * all on one port (127.0.0.1:9000 by default).
 *
 *   GET  /api/processes   the registry: location, pid, state, uptime, memory
 *   POST /api/shutdown    the ordered shutdown (what `kfc shutdown` and `run.sh stop` use)
 *   GET  /control         Upgrade: kfc-control, the processes' control channel (protocol.ts)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { nowNs } from '../journal/clock.js';
import { Locations, parseLocation, type Location } from '../journal/location.js';
import { JournalWriter } from '../journal/writer.js';
import { Deregister, MsgType, Register, SessionEnd, SessionStart } from '../model/events.js';
import type { Logger } from '../util/log.js';
import { UserError } from '../util/errors.js';
import { isRunning, rssBytes } from '../util/process.js';
import { CONTROL_PATH, CONTROL_PROTOCOL, LineDecoder, encodeMessage, type ProcessInfo, type ToMaster, type ToProcess } from './protocol.js';
import { Pm2Control } from './pm2-control.js';

export interface MasterOptions {
  home: string;
  host: string;
  port: number;
  log: Logger;
  /** How long each shutdown phase waits for its processes to stop (default 10 s). */
  phaseTimeoutMs?: number;
}

interface Entry {
  info: ProcessInfo;
  location: Location;
  socket: Socket;
}

/** Shutdown phases, in order: who stops first. The master itself stops last. */
export const SHUTDOWN_PHASES: { name: string; includes: (l: Location) => boolean }[] = [
  { name: 'strategies', includes: (l) => l.category === 'strategy' },
  { name: 'gateways', includes: (l) => l.category === 'md' || l.category === 'td' },
  { name: 'services', includes: (l) => l.category === 'system' },
];


export class Master {
  private readonly entries = new Map<string, Entry>();
  private readonly server: Server;
  private journal!: JournalWriter;
  private readonly log: Logger;
  private readonly location = Locations.master();
  private healthTimer: NodeJS.Timeout | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private readonly startedAt = Date.now();
  private resolveStopped!: () => void;
  /** Resolves when the shutdown has finished and the master may exit. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  private constructor(private readonly opts: MasterOptions) {
    this.log = opts.log;
    this.server = createServer((req, res) => this.handleHttp(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket) => this.handleUpgrade(req, socket));
  }

  /**
   * Listens, then opens the master's journal; rejects with a UserError if the port is taken (a
   * second master fails on the port, the clearest sign, before it touches the journal).
   */
  static async start(opts: MasterOptions): Promise<Master> {
    const master = new Master(opts);
    await master.listen();
    let journal: JournalWriter;
    try {
      journal = JournalWriter.open({ home: opts.home, location: Locations.master(), log: opts.log });
    } catch (err) {
      master.server.close();
      throw err;
    }
    master.journal = journal;
    const start = SessionStart.empty();
    start.pid = process.pid;
    start.start_time = nowNs();
    journal.write(MsgType.SessionStart, SessionStart, start);
    // Health: a process whose pid is gone is deregistered even if its socket lingers.
    master.healthTimer = setInterval(() => master.checkPids(), 250);
    master.healthTimer.unref();
    return master;
  }

  private listen(): Promise<void> {
    const { host, port } = this.opts;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          reject(new UserError(`port ${port} in use on ${host}: another master (or another program) is listening there; stop it, or choose another port with --port or KF_MASTER_PORT`));
        } else if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
          reject(new UserError(`cannot listen on ${host}:${port} (${err.code}); choose another address or port (--host, --port)`));
        } else reject(err);
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  get address(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  get processes(): ProcessInfo[] {
    return [...this.entries.values()].map((e) => e.info);
  }

  // ---- control channel -----------------------------------------------------------------------

  private handleUpgrade(req: IncomingMessage, socket: Socket): void {
    if (req.url !== CONTROL_PATH || req.headers.upgrade?.toLowerCase() !== CONTROL_PROTOCOL) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${CONTROL_PROTOCOL}\r\nConnection: Upgrade\r\n\r\n`);
    socket.setNoDelay(true);
    let entry: Entry | undefined;
    const decoder = new LineDecoder<ToMaster>((msg) => {
      if (msg.type === 'register' && entry === undefined) entry = this.register(msg, socket);
      else if (msg.type === 'stopping' && entry) entry.info.state = 'stopping';
    });
    // (An upgraded HTTP socket may not change its encoding: decode each chunk instead.)
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('error', () => socket.destroy());
    // HTTP sockets allow half-open connections: answer the process's end with ours, so it can exit.
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      if (entry && this.entries.get(entry.info.location) === entry) this.deregister(entry, entry.info.state === 'stopping' ? 'stopped' : 'connection lost');
    });
  }

  private send(socket: Socket, msg: ToProcess): void {
    if (!socket.destroyed) socket.write(encodeMessage(msg));
  }

  private register(msg: Extract<ToMaster, { type: 'register' }>, socket: Socket): Entry | undefined {
    let location: Location;
    try {
      location = parseLocation(msg.location);
    } catch (err) {
      this.send(socket, { type: 'refused', reason: (err as Error).message });
      socket.end();
      return undefined;
    }
    if (this.shutdownPromise) {
      this.send(socket, { type: 'refused', reason: `the master at ${this.address} is shutting down` });
      socket.end();
      return undefined;
    }
    const existing = this.entries.get(location.path);
    if (existing && isRunning(existing.info.pid)) {
      const reason = `location ${location.path} is already registered by pid ${existing.info.pid}; stop that process first (one process per location)`;
      this.log.warn(`refused pid ${msg.pid}: ${reason}`);
      this.send(socket, { type: 'refused', reason });
      socket.end();
      return undefined;
    }
    if (existing) this.deregister(existing, 'replaced: its pid is gone');
    const info: ProcessInfo = {
      location: location.path,
      uid: location.uid,
      pid: msg.pid,
      journal: msg.journal,
      registeredAt: Date.now(),
      state: 'ready',
      ...(msg.pmId !== undefined ? { pmId: msg.pmId } : {}),
      ...(msg.pmName !== undefined ? { pmName: msg.pmName } : {}),
    };
    const entry: Entry = { info, location, socket };
    this.entries.set(location.path, entry);
    const ev = Register.empty();
    ev.location_uid = location.uid;
    ev.pid = msg.pid;
    ev.checkin_time = nowNs();
    ev.location = location.path;
    this.journal.write(MsgType.Register, Register, ev);
    this.log.info(`registered ${location.path} (pid ${msg.pid}${info.pmName ? `, pm2 ${info.pmName}` : ''})`);
    this.send(socket, { type: 'registered', registry: this.processes });
    this.broadcast({ type: 'registry', change: 'register', process: info }, entry);
    return entry;
  }

  private deregister(entry: Entry, reason: string): void {
    if (this.entries.get(entry.info.location) !== entry) return;
    this.entries.delete(entry.info.location);
    entry.socket.destroy();
    const ev = Deregister.empty();
    ev.location_uid = entry.location.uid;
    ev.pid = entry.info.pid;
    ev.checkout_time = nowNs();
    ev.location = entry.info.location;
    ev.reason = reason;
    this.journal.write(MsgType.Deregister, Deregister, ev);
    const line = `deregistered ${entry.info.location} (pid ${entry.info.pid}): ${reason}`;
    if (reason === 'stopped') this.log.info(line);
    else this.log.warn(line);
    this.broadcast({ type: 'registry', change: 'deregister', process: entry.info }, entry);
    this.phaseWaiter?.();
  }

  private broadcast(msg: ToProcess, except?: Entry): void {
    for (const e of this.entries.values()) if (e !== except) this.send(e.socket, msg);
  }

  private checkPids(): void {
    for (const e of [...this.entries.values()]) if (!isRunning(e.info.pid)) this.deregister(e, 'process died');
  }

  // ---- HTTP API ------------------------------------------------------------------------------

  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://master');
    if (req.method === 'GET' && url.pathname === '/api/processes') {
      const now = Date.now();
      const list = [
        {
          location: this.location.path,
          uid: this.location.uid,
          pid: process.pid,
          state: this.shutdownPromise ? 'stopping' : 'ready',
          registeredAt: this.startedAt,
          journal: this.journal.dir,
          ...(process.env.pm_id !== undefined && process.env.name ? { pmName: process.env.name } : {}),
        },
        ...this.processes,
      ].map((p) => ({ ...p, uptimeMs: now - p.registeredAt, rssBytes: rssBytes(p.pid) ?? null }));
      return json(200, list);
    }
    if (req.method === 'POST' && url.pathname === '/api/shutdown') {
      json(202, { shuttingDown: true, processes: this.processes.length });
      void this.shutdown('requested over HTTP');
      return;
    }
    if (url.pathname === '/api/health') return json(200, { ok: true, shuttingDown: this.shutdownPromise !== undefined });
    json(404, { error: `no such endpoint: ${req.method} ${url.pathname}; try GET /api/processes` });
  }

  // ---- ordered shutdown ----------------------------------------------------------------------

  private phaseWaiter: (() => void) | undefined;

  /** Stops strategies, then gateways, then services, then the master. Idempotent. */
  shutdown(reason: string): Promise<void> {
    this.shutdownPromise ??= this.runShutdown(reason);
    return this.shutdownPromise;
  }

  private async runShutdown(reason: string): Promise<void> {
    this.log.info(`shutdown (${reason}): stopping ${this.entries.size} processes in order: ${SHUTDOWN_PHASES.map((p) => p.name).join(', ')}, then the master`);
    const timeout = this.opts.phaseTimeoutMs ?? 10_000;
    const pm2 = new Pm2Control(this.log);
    for (const [i, phase] of SHUTDOWN_PHASES.entries()) {
      const members = [...this.entries.values()].filter((e) => phase.includes(e.location));
      if (members.length === 0) continue;
      this.log.info(`shutdown phase ${i + 1}/${SHUTDOWN_PHASES.length} (${phase.name}): ${members.map((e) => e.info.location).join(', ')}`);
      for (const e of members) {
        e.info.state = 'stopping';
        // Under PM2, PM2 must do the stopping, or it would restart a process that exits cleanly.
        if (e.info.pmId !== undefined && (await pm2.stop(e.info.pmId))) continue;
        this.send(e.socket, { type: 'stop', reason });
      }
      const left = await this.waitGone(members, timeout);
      if (left.length > 0) {
        this.log.error(`shutdown phase ${phase.name}: still running after ${timeout} ms: ${left.map((e) => `${e.info.location} (pid ${e.info.pid})`).join(', ')}; killing them`);
        for (const e of left) {
          try {
            process.kill(e.info.pid, 'SIGKILL');
          } catch {
            // already gone
          }
          this.deregister(e, 'killed after the shutdown timeout');
        }
      }
    }
    clearInterval(this.healthTimer);
    const end = SessionEnd.empty();
    end.pid = process.pid;
    end.end_time = nowNs();
    this.journal.write(MsgType.SessionEnd, SessionEnd, end);
    this.journal.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.log.info('master stopped');
    // Under PM2, ask PM2 to stop us too: a clean exit of an app PM2 thinks is online gets restarted.
    await pm2.stopSelf();
    pm2.disconnect();
    this.resolveStopped();
  }

  private waitGone(members: Entry[], timeoutMs: number): Promise<Entry[]> {
    const remaining = () => members.filter((e) => this.entries.get(e.info.location) === e);
    return new Promise((resolve) => {
      const check = () => {
        const left = remaining();
        if (left.length === 0) done(left);
      };
      const timer = setTimeout(() => done(remaining()), timeoutMs);
      const done = (left: Entry[]) => {
        clearTimeout(timer);
        this.phaseWaiter = undefined;
        resolve(left);
      };
      this.phaseWaiter = check;
      check();
    });
  }
}
