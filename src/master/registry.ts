/**
 * The registry of live processes: who may register (a live pid > 1 that holds its own connection,
 * one process per location), the Register/Deregister events in the master's journal, their health,
 * and the only place the master signals a process (kill).
 */
import type { Socket } from 'node:net';
import { nowNs } from '../journal/clock.js';
import { parseLocation, type Location } from '../journal/location.js';
import type { JournalWriter } from '../journal/writer.js';
import { Deregister, MsgType, Register } from '../model/events.js';
import type { Logger } from '../util/log.js';
import { isRunning, startTimeOf } from '../util/process.js';
import { verifyPeer } from './peer.js';
import { MAX_PROCESSES, encodeMessage, type ProcessInfo, type Registration, type ToProcess } from './protocol.js';

export interface Entry {
  info: ProcessInfo;
  location: Location;
  socket: Socket;
  /** The kernel confirmed that info.pid holds this connection (peer.ts); only then may we SIGKILL it. */
  verified: boolean;
  /** The kernel's start time of info.pid at registration: a reused pid is not this process. */
  startTime: string;
}

export class Registry {
  private readonly entries = new Map<string, Entry>();
  /** Why new registrations are refused (the master is shutting down), if they are. */
  private closed: string | undefined;
  /** Called after each deregistration (the ordered shutdown waits on it). */
  onDeregister: (() => void) | undefined;

  constructor(
    private readonly journal: JournalWriter,
    private readonly log: Logger,
  ) {}

  get processes(): ProcessInfo[] {
    return [...this.entries.values()].map((e) => e.info);
  }

  get size(): number {
    return this.entries.size;
  }

  members(include: (l: Location) => boolean): Entry[] {
    return [...this.entries.values()].filter((e) => include(e.location));
  }

  /** Whether `e` is still the registered process of its location. */
  holds(e: Entry): boolean {
    return this.entries.get(e.info.location) === e;
  }

  /** Refuses every registration from now on, saying `reason`. */
  close(reason: string): void {
    this.closed = reason;
  }

  send(socket: Socket, msg: ToProcess): void {
    if (!socket.destroyed) socket.write(encodeMessage(msg));
  }

  private refuse(socket: Socket, msg: Registration, reason: string): undefined {
    this.log.warn(`refused to register ${msg.location} (declared pid ${msg.pid}): ${reason}`);
    this.send(socket, { type: 'refused', reason });
    socket.end();
    return undefined;
  }

  /** Whether the process of `e` still runs: its pid is alive and was not reused by another process. */
  private alive(e: Entry): boolean {
    return isRunning(e.info.pid) && (e.startTime === '' || startTimeOf(e.info.pid) === e.startTime);
  }

  register(msg: Registration, socket: Socket): Entry | undefined {
    let location: Location;
    try {
      location = parseLocation(msg.location);
    } catch (err) {
      return this.refuse(socket, msg, (err as Error).message);
    }
    if (this.closed) return this.refuse(socket, msg, this.closed);
    // The schema allows only pids > 1; the kernel must confirm the rest (peer.ts).
    if (!isRunning(msg.pid)) return this.refuse(socket, msg, `pid ${msg.pid} is not a running process`);
    const peer = verifyPeer(socket, msg.pid);
    if (!peer.verified && peer.supported) return this.refuse(socket, msg, peer.reason);
    if (!peer.verified) this.log.warn(`cannot verify that pid ${msg.pid} is the process registering ${location.path} (${peer.reason}): registering it, but it will never be killed`);
    const existing = this.entries.get(location.path);
    if (existing && this.alive(existing)) {
      return this.refuse(socket, msg, `location ${location.path} is already registered by pid ${existing.info.pid}; stop that process first (one process per location)`);
    }
    if (existing) this.deregister(existing, 'replaced: its pid is gone');
    if (this.entries.size >= MAX_PROCESSES) return this.refuse(socket, msg, `the master already holds ${MAX_PROCESSES} processes, its limit`);
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
    const entry: Entry = { info, location, socket, verified: peer.verified, startTime: startTimeOf(msg.pid) };
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

  deregister(entry: Entry, reason: string): void {
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
    this.onDeregister?.();
  }

  broadcast(msg: ToProcess, except?: Entry): void {
    for (const e of this.entries.values()) if (e !== except) this.send(e.socket, msg);
  }

  checkPids(): void {
    for (const e of [...this.entries.values()]) if (!this.alive(e)) this.deregister(e, 'process died');
  }

  /**
   * SIGKILLs the process of `e`, which ignored its stop order: only a single pid > 1 (never a
   * group), only one the kernel confirmed at registration, and confirmed again now (it still holds
   * its connection, and its pid was not reused). Otherwise it says why it leaves the process be.
   */
  kill(e: Entry): boolean {
    const { pid, location } = e.info;
    const check = Number.isSafeInteger(pid) && pid > 1 && e.verified && this.alive(e) ? verifyPeer(e.socket, pid) : undefined;
    if (!check?.verified) {
      this.log.error(`not killing ${location} (pid ${pid}): ${check ? check.reason : 'the master could not verify that this pid is the registered process'}; stop it yourself`);
      return false;
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return true;
  }
}
