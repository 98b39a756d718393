/**
 * Stopping PM2-managed processes through PM2 itself. A process that exits cleanly while PM2 thinks
 * it is online is restarted by PM2 (and PM2 reports a SIGKILL death as exit code 0, so
 * `stop_exit_codes: [0]` cannot tell the two apart). So during the ordered shutdown the master
 * asks PM2 to stop each process: PM2 marks it stopping, sends SIGINT (the process stops cleanly
 * and exits 0), and leaves it stopped.
 *
 * Used only when the master itself runs under PM2 (so a PM2 daemon is known to exist: connecting
 * to PM2 otherwise would start a daemon).
 */
import type { Logger } from '../util/log.js';

type Pm2 = typeof import('pm2');

export class Pm2Control {
  private api: Promise<Pm2 | undefined> | undefined;

  constructor(private readonly log: Logger) {}

  static underPm2(): boolean {
    return process.env.pm_id !== undefined;
  }

  private connect(): Promise<Pm2 | undefined> {
    this.api ??= (async () => {
      if (!Pm2Control.underPm2()) return undefined;
      try {
        const pm2 = ((await import('pm2')) as { default?: Pm2 }).default ?? ((await import('pm2')) as Pm2);
        await new Promise<void>((resolve, reject) => pm2.connect((err) => (err ? reject(err) : resolve())));
        return pm2;
      } catch (err) {
        this.log.warn(`cannot reach the PM2 daemon (${(err as Error).message}); processes will be told to stop directly and PM2 may restart them`);
        return undefined;
      }
    })();
    return this.api;
  }

  /** PM2's own record of app `pmId`: its name and pid; undefined when PM2 has no such app. */
  private async appOf(pm2: Pm2, pmId: number): Promise<{ name: string; pid: number } | undefined> {
    const list = await new Promise<import('pm2').ProcessDescription[]>((resolve, reject) => pm2.list((err, l) => (err ? reject(err) : resolve(l ?? []))));
    const app = list.find((p) => p.pm_id === pmId);
    return app ? { name: app.name ?? `#${pmId}`, pid: app.pid ?? 0 } : undefined;
  }

  /**
   * Asks PM2 to stop app `pmId`, which the process with (verified) pid `pid` declared as its own;
   * false when PM2 cannot be used or its record of that app is another process (then the caller
   * tells the process to stop itself): a registrant must not make the master stop someone else.
   */
  async stop(pmId: number, pid: number): Promise<boolean> {
    const pm2 = await this.connect();
    if (!pm2) return false;
    let app: { name: string; pid: number } | undefined;
    try {
      app = await this.appOf(pm2, pmId);
    } catch (err) {
      this.log.warn(`cannot read PM2's list to check pm_id ${pmId} of pid ${pid} (${(err as Error).message}); telling the process to stop itself`);
      return false;
    }
    if (app?.pid !== pid) {
      const whose = app ? `PM2 app ${app.name} with pid ${app.pid}` : 'no PM2 app';
      this.log.warn(`pid ${pid} declared pm_id ${pmId}, which is ${whose}: not asking PM2 to stop it; telling the process to stop itself`);
      return false;
    }
    pm2.stop(pmId, (err: Error | null) => {
      if (err) this.log.warn(`PM2 could not stop process ${pmId}: ${err.message}`);
    });
    return true;
  }

  /**
   * Whether PM2 is stopping other apps of this stack besides this one (pm2 stop|restart all,
   * pm2-runtime on docker stop), rather than this one alone (pm2 restart master). Looks twice, a moment apart:
   * PM2 signals the apps of a group one or two at a time.
   */
  async stoppingOthers(): Promise<boolean> {
    const pm2 = await this.connect();
    if (!pm2) return false;
    const self = Number(process.env.pm_id);
    // Apps of this stack only (the same KF_HOME), being stopped now: one stopped earlier by hand, or
    // another stack's app on the same daemon, says nothing about this stop.
    const ours = (p: import('pm2').ProcessDescription) => (p.pm2_env as { KF_HOME?: string } | undefined)?.KF_HOME === process.env.KF_HOME;
    for (let look = 0; look < 2; look++) {
      if (look > 0) await new Promise((r) => setTimeout(r, 250));
      try {
        const list = await new Promise<import('pm2').ProcessDescription[]>((resolve, reject) => pm2.list((err, l) => (err ? reject(err) : resolve(l ?? []))));
        if (list.some((p) => p.pm_id !== self && ours(p) && p.pm2_env?.status === 'stopping')) return true;
      } catch {
        return false;
      }
    }
    return false;
  }

  /**
   * Under PM2, asks PM2 to stop this process and resolves when PM2's stop arrives (SIGINT, or the
   * 'shutdown' message with shutdown_with_message) or after `graceMs`; elsewhere resolves at once.
   */
  async stopSelf(graceMs = 5000): Promise<void> {
    const pm2 = await this.connect();
    const pmId = Number(process.env.pm_id);
    if (!pm2 || !Number.isInteger(pmId)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      const onSignal = () => {
        clearTimeout(timer);
        resolve();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const onMessage = (m: unknown) => {
        if (m !== 'shutdown') return;
        process.off('message', onMessage);
        onSignal();
      };
      process.on('message', onMessage);
      pm2.stop(pmId, () => {});
    });
  }

  disconnect(): void {
    void this.api?.then((pm2) => pm2?.disconnect());
  }
}
