/**
 * Talking to a running master over its HTTP API (kfc status, kfc shutdown, run.sh). Every request
 * carries the master token from KF_HOME when there is one: reads need it only when the master
 * listens beyond loopback, a shutdown always does (src/master/auth.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { masterRequest } from '../runtime/master-http.js';
import { UserError } from '../util/errors.js';
import { isRunning } from '../util/process.js';
import type { MasterEndpoint } from './options.js';

export { masterRequest };

export interface ProcessRow {
  location: string;
  pid: number;
  state: string;
  uptimeMs: number;
  rssBytes: number | null;
  pmName?: string;
}

export function processes(master: MasterEndpoint): Promise<ProcessRow[]> {
  return masterRequest(master, 'GET', '/api/processes') as Promise<ProcessRow[]>;
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export function formatStatusTable(rows: ProcessRow[]): string {
  const table = [['location', 'pid', 'state', 'uptime', 'memory', 'pm2 name']];
  for (const r of rows) {
    table.push([r.location, String(r.pid), r.state, formatUptime(r.uptimeMs), r.rssBytes === null ? '-' : `${(r.rssBytes / 1048576).toFixed(1)} MB`, r.pmName ?? '-']);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Waits until every location in `wanted` is registered and ready. */
export async function waitForProcesses(master: MasterEndpoint, wanted: string[], timeoutMs: number): Promise<ProcessRow[]> {
  const deadline = Date.now() + timeoutMs;
  const full = (l: string) => (l.split('/').length === 3 ? `${l}/live` : l);
  const targets = wanted.map(full);
  for (;;) {
    let rows: ProcessRow[] | undefined;
    try {
      rows = await processes(master);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    const missing = targets.filter((t) => !rows?.some((r) => r.location === t && r.state === 'ready'));
    if (rows && missing.length === 0) return rows;
    if (Date.now() > deadline) throw new UserError(`not ready after ${timeoutMs / 1000} s: ${missing.join(', ')}; see its log (pm2 logs, or $KF_HOME/log/)`);
    await sleep(50);
  }
}

/** Asks the master for the ordered shutdown and waits until the master process has exited. */
export async function shutdownMaster(master: MasterEndpoint, timeoutMs: number): Promise<void> {
  const rows = await processes(master);
  // (A pid from another process: only a single live pid > 1 is worth waiting for.)
  const reported = rows.find((r) => r.location === 'system/master/master/live')?.pid;
  const masterPid = Number.isSafeInteger(reported) && reported! > 1 ? reported : undefined;
  await masterRequest(master, 'POST', '/api/shutdown');
  const deadline = Date.now() + timeoutMs;
  while (masterPid !== undefined && isRunning(masterPid)) {
    if (Date.now() > deadline) throw new UserError(`the master (pid ${masterPid}) is still running ${timeoutMs / 1000} s after the shutdown request; see its log`);
    await sleep(20);
  }
}

/** The ledger's books as the master serves them (GET /api/books). */
export function books(master: MasterEndpoint): Promise<unknown> {
  return masterRequest(master, 'GET', '/api/books');
}

/** Halts or resumes a scope through the master; returns a line saying what was asked. */
export async function ledgerCommand(master: MasterEndpoint, verb: 'halt' | 'resume', what: { scope: string; name: string; cancel: boolean; reason?: string | undefined }): Promise<string> {
  const q = new URLSearchParams({ scope: what.scope, ...(what.name ? { name: what.name } : {}), cancel: String(what.cancel), ...(what.reason ? { reason: what.reason } : {}) });
  await masterRequest(master, 'POST', `/api/ledger/${verb}?${q}`);
  const target = what.scope === 'all' ? 'everything' : `${what.scope} ${what.name}`;
  return verb === 'halt' ? `halt of ${target} sent to the ledger${what.cancel ? ' (its open orders will be cancelled)' : ''}` : `resume of ${target} sent to the ledger`;
}
