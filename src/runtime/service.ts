/**
 * The lifecycle every kfc process shares (ledger, gateways, strategies):
 *
 *   wait for the master -> register -> open own journal (CLEAR_JOURNAL=1: emptied now, under its
 *   lock, never before the master accepted this process) -> SessionStart
 *   -> start hook -> event loop runs (frames of the journals the hooks joined, and timers)
 *   -> tell PM2 "ready" -> ... -> stop (SIGINT, SIGTERM, the master's order, an event-loop error)
 *   -> stop hook -> event loop stops -> SessionEnd (if the stop hook finished and the event loop
 *   did not fail) -> close journal -> deregister -> exit 0 (1 after a failure)
 *
 * What a process does in between lives in its hooks; this file is the only place that knows the
 * order above.
 */
import { nowNs } from '../journal/clock.js';
import { journalDir, type Location } from '../journal/location.js';
import { EventLoop } from '../journal/loop.js';
import { native } from '../journal/native.js';
import { JournalReader, type WaitMode } from '../journal/reader.js';
import { JournalWriter } from '../journal/writer.js';
import type { WakeFilter } from '../journal/wake.js';
import { MsgType, SessionEnd, SessionStart } from '../model/events.js';
import type { Logger } from '../util/log.js';
import { MasterClient } from './master-client.js';
import { openOwnJournal } from './own-journal.js';
import { phaseOf } from './phases.js';
import { masterRequest } from './master-http.js';
import type { ProcessInfo } from '../master/protocol.js';

/** On a signal, how long a process waits for the processes that stop before it (PM2's kill_timeout is 20 s). */
const SIGNAL_WAIT_MS = 12_000;
/** How often a running service returns its C heap's free pages to the system (trimMemory). */
const TRIM_INTERVAL_MS = 10_000;
/** How long a signalled process looks for the master's shutdown before it stops alone. */
const SHUTDOWN_SEEN_MS = 300;

export interface ServiceContext {
  readonly home: string;
  readonly location: Location;
  readonly log: Logger;
  readonly journal: JournalWriter;
  readonly master: MasterClient;
  /** Readers spin instead of sleeping (kfc -x). */
  readonly lowLatency: boolean;
  /** The journals this process follows (join them in the start hook)... */
  readonly reader: JournalReader;
  /** ...and the loop that delivers their frames and its timers, in time order. */
  readonly loop: EventLoop;
  /** Asks this process to stop (the same ordered stop as SIGINT). */
  requestStop(reason: string): void;
}

export interface ServiceHooks {
  /**
   * Which frames are worth waking this process for, if not all (wake.ts): it reads every frame of
   * its journals either way, in order, but sleeps through commits it has nothing to do with.
   */
  readonly wakeFor?: WakeFilter;
  /** After registration and journal open, before "ready". Throwing aborts the start. */
  start?(ctx: ServiceContext): Promise<void> | void;
  /** On the way out; gets `stopTimeoutMs` to finish (e.g. cancel in-flight orders). */
  stop?(ctx: ServiceContext, reason: string): Promise<void> | void;
  /** Another process registered or left. */
  registry?(ctx: ServiceContext, change: 'register' | 'deregister', process: ProcessInfo): void;
  /** After deregistering (the shutdown has moved on), before exiting: e.g. wait for a child process. */
  afterDeregister?(): Promise<void> | void;
}

export interface ServiceOptions {
  home: string;
  location: Location;
  log: Logger;
  master: { host: string; port: number };
  lowLatency?: boolean;
  stopTimeoutMs?: number;
  /**
   * How the event loop waits: 'block' for journal-driven processes (ledger, strategies: futex),
   * 'loop' for network-driven ones (gateways: the doorbell); -x makes it spin either way.
   */
  wait: Exclude<WaitMode, 'spin'>;
}

/**
 * Whether the master is in its ordered shutdown: asked for a moment (the signal that reached this
 * process may have reached the master a few ms later). Unreachable: no.
 */
async function masterShuttingDown(master: { host: string; port: number }, home: string): Promise<boolean> {
  const until = Date.now() + SHUTDOWN_SEEN_MS;
  for (;;) {
    try {
      const health = (await masterRequest({ host: master.host, port: master.port, home }, 'GET', '/api/health')) as { shuttingDown?: unknown };
      if (health.shuttingDown === true) return true;
    } catch {
      return false;
    }
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a process until it is stopped; resolves with its exit code. */
export async function runService(opts: ServiceOptions, hooks: ServiceHooks): Promise<number> {
  const { log, location, home } = opts;
  let stopRequested: ((reason: string) => void) | undefined;
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  const requestStop = (reason: string) => stopRequested?.(reason);
  // A signal that reached every process at once (pm2-runtime on docker stop, pm2 stop all: the
  // master is shutting down too) still stops them in the shutdown order: this process waits until
  // the earlier phases have left the registry (phases.ts). A stop of this process alone does not wait.
  let signalled = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    const reason = `signal ${signal}`;
    const mine = phaseOf(location);
    const earlier = () => (ctx && master.connected ? master.registry.filter((p) => p.pid !== process.pid && phaseOf(p.location) < mine) : []);
    if (signalled || earlier().length === 0) return requestStop(reason);
    signalled = true;
    if (!(await masterShuttingDown(opts.master, home))) return requestStop(reason);
    const names = earlier().map((p) => p.location);
    if (names.length === 0) return requestStop(reason);
    log.info(`${location.path}: ${signal} during the stack's shutdown: stopping once ${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} stopped (the shutdown order), within ${SIGNAL_WAIT_MS / 1000} s`);
    const until = Date.now() + SIGNAL_WAIT_MS;
    const check = setInterval(() => {
      if (earlier().length > 0 && Date.now() < until) return;
      clearInterval(check);
      requestStop(reason);
    }, 20);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let ctx: ServiceContext | undefined;
  const master = new MasterClient({
    ...opts.master,
    home,
    log,
    registration: {
      type: 'register',
      location: location.path,
      pid: process.pid,
      journal: journalDir(home, location),
      ...(process.env.pm_id !== undefined ? { pmId: Number(process.env.pm_id) } : {}),
      ...(process.env.name !== undefined && process.env.pm_id !== undefined ? { pmName: process.env.name } : {}),
    },
    onStop: requestStop,
    onRegistry: (change, p) => ctx && hooks.registry?.(ctx, change, p),
  });

  // Connecting can wait a long time (no master yet): a stop meanwhile just ends the wait.
  const connected = await Promise.race([master.connect().then(() => true), stopped.then(() => false)]);
  if (!connected) {
    await master.close();
    log.info(`${location.path} stopped before the master came up`);
    return 0;
  }

  let journal: JournalWriter;
  try {
    journal = openOwnJournal(home, location, log);
  } catch (err) {
    await master.close();
    throw err;
  }
  const lowLatency = opts.lowLatency ?? false;
  const reader = new JournalReader({ home, log, ...(hooks.wakeFor ? { wakeFor: hooks.wakeFor } : {}) });
  const loop = new EventLoop({ reader, mode: lowLatency ? 'spin' : opts.wait });
  ctx = { home, location, log, journal, master, lowLatency, reader, loop, requestStop };
  const session = SessionStart.empty();
  session.pid = process.pid;
  session.start_time = nowNs();
  journal.write(MsgType.SessionStart, SessionStart, session);

  try {
    await hooks.start?.(ctx);
  } catch (err) {
    reader.close();
    journal.close();
    await master.close();
    throw err;
  }
  let loopFailed = false;
  const looping = loop.run().catch((err: Error) => {
    loopFailed = true;
    log.error(`${location.path}: event loop failed: ${err.message}`);
    requestStop(`event loop failed: ${err.message}`);
  });
  process.send?.('ready');
  log.info(`${location.path} ready (pid ${process.pid}, master ${master.address})`);
  // V8's compiler threads leave megabytes free in their malloc arenas as code gets hot; give them
  // back now and then (native.ts trimMemory, well under a millisecond), or they stay resident.
  const trimming = setInterval(() => native().trimMemory(), TRIM_INTERVAL_MS).unref();

  const reason = await stopped;
  log.info(`${location.path} stopping: ${reason}`);
  let code = 0;
  if (hooks.stop) {
    const timeoutMs = opts.stopTimeoutMs ?? 8000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      const result = await Promise.race([Promise.resolve(hooks.stop(ctx, reason)), timedOut]);
      if (result === 'timeout') {
        log.error(`${location.path}: stop did not finish within ${timeoutMs} ms; exiting anyway`);
        code = 1;
      }
    } catch (err) {
      log.error(`${location.path}: error while stopping: ${(err as Error).message}`);
      code = 1;
    } finally {
      clearTimeout(timer);
    }
  }
  clearInterval(trimming);
  loop.stop();
  await looping;
  if (loopFailed) code = 1; // frames were left unhandled: the journal is what a restart recovers from
  reader.close();
  // SessionEnd marks a clean end. After a stop that failed (work left unanswered) the journal is
  // what the next start recovers from, as after a crash: without the marker CLEAR_JOURNAL keeps it.
  if (code === 0) {
    const end = SessionEnd.empty();
    end.pid = process.pid;
    end.end_time = nowNs();
    journal.write(MsgType.SessionEnd, SessionEnd, end);
  } else log.warn(`${location.path}: the stop failed, so this session is not marked as ended: the next start recovers from its journal (CLEAR_JOURNAL keeps it)`);
  journal.close();
  await master.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await hooks.afterDeregister?.();
  log.info(`${location.path} stopped`);
  return code;
}
