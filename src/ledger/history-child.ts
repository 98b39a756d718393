/**
 * The ledger's side of the history writer (history-writer.ts): starts it as a child process,
 * starts it again if it dies (after a pause), and stops it on the ledger's stop. Imports nothing
 * of SQLite: that is the point of the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../util/log.js';

const RESTART_MS = 5000;
const STOP_MS = 3000;

export class HistoryChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restart: NodeJS.Timeout | undefined;

  constructor(
    private readonly home: string,
    private readonly log: Logger,
  ) {}

  start(): void {
    // Run from source (tests under tsx), the child needs the same loader.
    const url = new URL(`./history-writer${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
    const args = [...(url.pathname.endsWith('.ts') ? ['--import', 'tsx'] : []), fileURLToPath(url), this.home, this.log.level];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      this.log.warn(`ledger: the history writer exited (${signal ?? `code ${code}`}); starting it again in ${RESTART_MS / 1000} s (the journals keep everything meanwhile)`);
      this.restart = setTimeout(() => this.start(), RESTART_MS);
      this.restart.unref();
    });
  }

  /**
   * Asks the writer to write what is left and exit; resolves once it has (killed after a few
   * seconds). The ledger deregisters meanwhile and waits for it only before exiting: the writer
   * needs nothing more from the ledger, but a process that exits leaving its child running is one
   * PM2 restarts.
   */
  stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restart);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
    return exited.finally(() => clearTimeout(timer));
  }
}
