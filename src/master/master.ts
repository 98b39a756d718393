/**
 * The master: the registry of live processes, their health, the ordered shutdown, and the HTTP API,
 * all on one port (127.0.0.1:9000 by default).
 *
 *   GET  /api/processes   read     the registry: location, pid, state, uptime, memory
 *   GET  /api/health      read     { ok, shuttingDown }
 *   POST /api/shutdown    change   the ordered shutdown (what `kfc shutdown` and `run.sh stop` use)
 *   /api/books, /api/accounts, ..., POST /api/ledger/halt|resume: the ledger's (ledger-api.ts)
 *   GET  /control         change   Upgrade: kfc-control, the processes' control channel (control-channel.ts)
 *
 * Every endpoint passes AccessGuard (auth.ts): "change" needs the master token and no foreign
 * Origin; "read" is open on loopback. A registration is believed only for a live pid > 1 that holds
 * the connection (peer.ts), and the master signals no process but one it verified so.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { nowNs } from '../journal/clock.js';
import { Locations } from '../journal/location.js';
import type { JournalWriter } from '../journal/writer.js';
import { openOwnJournal } from '../runtime/own-journal.js';
import { MsgType, SessionEnd, SessionStart } from '../model/events.js';
import type { Logger } from '../util/log.js';
import { UserError } from '../util/errors.js';
import { rssBytes } from '../util/process.js';
import { AccessGuard, ensureToken, type Access } from './auth.js';
import type { ProcessInfo } from './protocol.js';
import { acceptControlConnection } from './control-channel.js';
import { Pm2Control } from './pm2-control.js';
import { Registry, type Entry } from './registry.js';
import { LedgerApi } from './ledger-api.js';
import { LedgerCommandKind } from '../model/enums.js';
import { isRunning } from '../util/process.js';
import { SHUTDOWN_PHASES } from '../runtime/phases.js';

export interface MasterOptions {
  home: string;
  host: string;
  port: number;
  log: Logger;
  /** How long each shutdown phase waits for its processes to stop (default 10 s). */
  phaseTimeoutMs?: number;
  /** How long a control connection may stay open without registering (default 10 s). */
  registrationTimeoutMs?: number;
}


export class Master {
  private readonly server: Server;
  private journal!: JournalWriter;
  private registry!: Registry;
  private readonly log: Logger;
  private readonly location = Locations.master();
  private healthTimer: NodeJS.Timeout | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private readonly startedAt = Date.now();
  private ledgerApi: LedgerApi | undefined;
  private resolveStopped!: () => void;
  /** Resolves when the shutdown has finished and the master may exit. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  private constructor(
    private readonly opts: MasterOptions,
    private readonly guard: AccessGuard,
  ) {
    this.log = opts.log;
    this.routes = this.makeRoutes();
    this.server = createServer((req, res) => this.handleHttp(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      acceptControlConnection(req, socket, head, { guard: this.guard, registry: this.registry, log: this.log, registrationTimeoutMs: this.opts.registrationTimeoutMs }),
    );
  }

  /**
   * Makes sure the token exists, listens, then opens the master's journal; rejects with a UserError
   * if the token cannot be made or the port is taken (a second master fails on the port, the
   * clearest sign, before it touches the journal). The token comes first: whoever can connect must
   * find it in place.
   */
  static async start(opts: MasterOptions): Promise<Master> {
    const token = ensureToken(opts.home, (why) => opts.log.warn(why));
    const master = new Master(opts, new AccessGuard(token, opts));
    await master.listen();
    let journal: JournalWriter;
    try {
      journal = openOwnJournal(opts.home, Locations.master(), opts.log);
    } catch (err) {
      master.server.close();
      throw err;
    }
    master.journal = journal;
    master.registry = new Registry(journal, opts.log);
    const start = SessionStart.empty();
    start.pid = process.pid;
    start.start_time = nowNs();
    journal.write(MsgType.SessionStart, SessionStart, start);
    // Health: a process whose pid is gone is deregistered even if its socket lingers.
    master.healthTimer = setInterval(() => master.registry.checkPids(), 250);
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
    return this.registry.processes;
  }

  // ---- HTTP API ------------------------------------------------------------------------------

  /** The HTTP API: each route names the access it needs; the guard decides before the handler runs. */
  private readonly routes: Record<string, { access: Access; handle: (res: ServerResponse, url: URL) => void }>;

  private makeRoutes(): Record<string, { access: Access; handle: (res: ServerResponse, url: URL) => void }> {
    const ledger = new LedgerApi(this.opts.home, this.opts.log, (res, status, body) => this.reply(res, status, body));
    this.ledgerApi = ledger;
    return {
      'GET /api/processes': { access: 'read', handle: (res) => this.reply(res, 200, this.registryRows()) },
      'GET /api/books': { access: 'read', handle: ledger.read('books') },
      'GET /api/accounts': { access: 'read', handle: ledger.read('accounts') },
      'GET /api/positions': { access: 'read', handle: ledger.read('positions') },
      'GET /api/orders': { access: 'read', handle: ledger.read('orders') },
      'GET /api/trades': { access: 'read', handle: ledger.read('trades') },
      'GET /api/pnl': { access: 'read', handle: ledger.read('pnl') },
      'GET /api/halts': { access: 'read', handle: ledger.read('halts') },
      'POST /api/ledger/halt': { access: 'change', handle: (res, url) => ledger.command(LedgerCommandKind.Halt, url, res) },
      'POST /api/ledger/resume': { access: 'change', handle: (res, url) => ledger.command(LedgerCommandKind.Resume, url, res) },
      'GET /api/health': { access: 'read', handle: (res) => this.reply(res, 200, { ok: true, shuttingDown: this.shutdownPromise !== undefined || this.leaving }) },
      'POST /api/shutdown': {
        access: 'change',
        handle: (res) => {
          // Connection: close, or the client's keep-alive connection would hold the server open for seconds.
          res.shouldKeepAlive = false;
          this.reply(res, 202, { shuttingDown: true, processes: this.processes.length });
          void this.shutdown('requested over HTTP');
        },
      },
    };
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private registryRows(): unknown[] {
    const now = Date.now();
    return [
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
  }

  private handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://master');
    const route = this.routes[`${req.method} ${url.pathname}`];
    if (!route) return this.reply(res, 404, { error: `no such endpoint: ${req.method} ${url.pathname}; try GET /api/processes` });
    const refusal = this.guard.check(req, route.access);
    if (refusal) {
      this.log.warn(`refused ${req.method} ${url.pathname} from ${req.socket.remoteAddress}: ${refusal.error}`);
      return this.reply(res, refusal.status, { error: refusal.error });
    }
    route.handle(res, url);
  }

  // ---- ordered shutdown ----------------------------------------------------------------------

  /** Stops strategies, then gateways, then services, then the master. Idempotent. */
  shutdown(reason: string): Promise<void> {
    this.registry.close(`the master at ${this.address} is shutting down`);
    this.shutdownPromise ??= this.runShutdown(reason);
    return this.shutdownPromise;
  }

  /** PM2 is stopping the master, and it is finding out whether alone or with the stack: meanwhile it says it is shutting down (a process signalled with it waits). */
  private leaving = false;

  markLeaving(): void {
    this.leaving = true;
  }

  /**
   * Stops the master alone (PM2 restarting or stopping just the master): the processes keep
   * running, their control connections drop, and they register again with the next master.
   */
  stopAlone(reason: string): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.registry.close(`the master at ${this.address} is restarting`);
      this.log.info(`master stopping alone (${reason}): ${this.registry.size} processes keep running and register again with the next master`);
      this.server.closeAllConnections();
      await this.closeDown();
      this.resolveStopped();
    })();
    return this.shutdownPromise;
  }

  private async runShutdown(reason: string): Promise<void> {
    this.log.info(`shutdown (${reason}): stopping ${this.registry.size} processes in order: ${SHUTDOWN_PHASES.map((p) => p.name).join(', ')}, then the master`);
    const timeout = this.opts.phaseTimeoutMs ?? 10_000;
    const pm2 = new Pm2Control(this.log);
    const stoppedByPm2: number[] = [];
    for (const [i, phase] of SHUTDOWN_PHASES.entries()) {
      const members = this.registry.members(phase.includes);
      if (members.length === 0) continue;
      this.log.info(`shutdown phase ${i + 1}/${SHUTDOWN_PHASES.length} (${phase.name}): ${members.map((e) => e.info.location).join(', ')}`);
      for (const e of members) {
        e.info.state = 'stopping';
        // Under PM2, PM2 must do the stopping, or it would restart a process that exits cleanly;
        // pm2.stop checks that the declared pm_id is this very process first.
        if (e.info.pmId !== undefined && e.verified && (await pm2.stop(e.info.pmId, e.info.pid))) {
          stoppedByPm2.push(e.info.pid);
          continue;
        }
        this.registry.send(e.socket, { type: 'stop', reason });
      }
      const left = await this.waitGone(members, timeout);
      if (left.length > 0) {
        this.log.error(`shutdown phase ${phase.name}: still running after ${timeout} ms: ${left.map((e) => `${e.info.location} (pid ${e.info.pid})`).join(', ')}; killing them`);
        for (const e of left) {
          this.registry.deregister(e, this.registry.kill(e) ? 'killed after the shutdown timeout' : 'did not stop; not killed (unverified pid)');
        }
      }
    }
    // A process leaves the registry a moment before it exits: PM2 must see every stop it was asked
    // for through to the exit before it is asked to stop the master (overlapping stops confuse it:
    // it restarted the exiting ledger).
    for (const until = Date.now() + 5000; stoppedByPm2.some((pid) => isRunning(pid)) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    await this.closeDown();
    // Under PM2, ask PM2 to stop us too: a clean exit of an app PM2 thinks is online gets restarted.
    await pm2.stopSelf();
    pm2.disconnect();
    this.resolveStopped();
  }

  /** The master's own end: its session ended in its journal, the journal and the HTTP server closed. */
  private async closeDown(): Promise<void> {
    clearInterval(this.healthTimer);
    const end = SessionEnd.empty();
    end.pid = process.pid;
    end.end_time = nowNs();
    this.journal.write(MsgType.SessionEnd, SessionEnd, end);
    this.journal.close();
    this.ledgerApi?.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.log.info('master stopped');
  }

  private waitGone(members: Entry[], timeoutMs: number): Promise<Entry[]> {
    const remaining = () => members.filter((e) => this.registry.holds(e));
    return new Promise((resolve) => {
      const check = () => {
        const left = remaining();
        if (left.length === 0) done(left);
      };
      const timer = setTimeout(() => done(remaining()), timeoutMs);
      const done = (left: Entry[]) => {
        clearTimeout(timer);
        this.registry.onDeregister = undefined;
        resolve(left);
      };
      this.registry.onDeregister = check;
      check();
    });
  }
}
