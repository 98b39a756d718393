/**
 * bench:startup: how long the whole stack (master, ledger, md, td, strategy) takes to be up under
 * PM2 with run.sh (readiness), against the operations guide's way measured in the same run
 * (pm2 start each app, then a fixed `sleep 5`); how long run.sh stop takes until every process
 * has exited; and each process's idle memory. Own PM2_HOME and KF_HOME in temp dirs; the exchange
 * is `kfc sim` (sim.json, as npm start runs it) with the demo account my_account on it.
 * Ends with one line of JSON.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_ACCOUNT } from '../../src/sim/sim-server.js';
import { isRunning, rssBytes } from '../../src/util/process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, 'scripts', 'binance_test');
const RUN = join(DIR, 'run.sh');
const PM2 = join(ROOT, 'node_modules', '.bin', 'pm2');
const APPS = ['master', 'ledger', 'md_binance', 'td_binance', 'strategy_demo'];
const say = (line: string) => process.stderr.write(line + '\n');

const pm2Home = mkdtempSync(join(tmpdir(), 'kfts-bench-pm2-'));
const kfHome = mkdtempSync(join(tmpdir(), 'kfts-bench-home-'));
const simPort = 18000 + (process.pid % 1000);
const env = { ...process.env, PM2_HOME: pm2Home, KF_HOME: kfHome, KF_MASTER_PORT: String(19000 + (process.pid % 1000)), KF_SIM_PORT: String(simPort) };

function exec(file: string, args: string[], cwd = DIR): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { env, cwd, encoding: 'utf8', timeout: 180_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))),
  );
}

async function registered(): Promise<{ location: string; pid: number }[]> {
  try {
    return (await (await fetch(`http://127.0.0.1:${env.KF_MASTER_PORT}/api/processes`)).json()) as { location: string; pid: number }[];
  } catch {
    return [];
  }
}

/** Waits until every app is registered; after `timeoutMs`, fails naming the ones that are not. */
async function allRegistered(timeoutMs: number): Promise<void> {
  for (const until = Date.now() + timeoutMs; ; await sleep(5)) {
    const rows = await registered();
    if (rows.length >= APPS.length) return;
    if (Date.now() > until) throw new Error(`only ${rows.map((r) => r.location).join(', ') || 'none'} registered after ${timeoutMs / 1000} s; see ${pm2Home}/logs`);
  }
}

/** The exchange (sim.json) and the account the TD and the strategy trade on. */
async function startExchange(): Promise<void> {
  await exec(PM2, ['start', 'sim.json']);
  for (const until = Date.now() + 30_000; ; await sleep(50)) {
    if (await fetch(`http://127.0.0.1:${simPort}/api/v3/ping`).then((r) => r.ok, () => false)) break;
    if (Date.now() > until) throw new Error(`kfc sim did not answer on port ${simPort} within 30 s`);
  }
  const secretFile = join(kfHome, 'demo.secret');
  writeFileSync(secretFile, DEMO_ACCOUNT.hmacSecret!, { mode: 0o600 });
  await exec('node', [join(ROOT, 'dist', 'cli', 'kfc.js'), 'account', '-s', 'binance', 'add', '-a', 'my_account', '--key', DEMO_ACCOUNT.apiKey, '--secret-file', secretFile, '--preset', `sim:${simPort}`]);
}

/** The pids of the stack's apps under PM2. */
async function pids(): Promise<number[]> {
  const json = (await exec(PM2, ['jlist'])).split('\n').find((l) => l.startsWith('[')) ?? '[]'; // after PM2's banner, if any
  const list = JSON.parse(json) as { name: string; pid: number }[];
  return list.filter((a) => APPS.includes(a.name)).map((a) => a.pid).filter((p) => p > 0); // the stack's, not the exchange's
}

async function stopAndWait(): Promise<number> {
  const before = await pids();
  const t0 = performance.now();
  await exec(RUN, ['stop']);
  while (before.some(isRunning)) await sleep(5);
  return (performance.now() - t0) / 1000;
}

function privateKb(pid: number): number {
  const m = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

try {
  await exec(PM2, ['ping']); // the PM2 daemon is up before either run is timed
  await startExchange();

  say('guide: pm2 start <app>.json, then sleep 5, for each app');
  let t0 = performance.now();
  for (const [i, app] of APPS.entries()) {
    await exec(PM2, ['start', `${app}.json`]);
    if (i < APPS.length - 1) await sleep(5000);
  }
  await allRegistered(120_000);
  const guideStart = (performance.now() - t0) / 1000;
  say(`    all ${APPS.length} registered after ${guideStart.toFixed(2)} s`);
  await stopAndWait();
  await exec(PM2, ['delete', ...APPS]);

  say('kungfu-ts: run.sh start (each app once the previous is ready)');
  t0 = performance.now();
  await exec(RUN, ['start']);
  const start = (performance.now() - t0) / 1000;
  say(`    all ${(await registered()).length} ready after ${start.toFixed(2)} s (${(guideStart / start).toFixed(1)}x faster than the guide)`);

  // Idle: V8 gives back the memory of start-up (its memory reducer runs after ~8 s of quiet). The
  // demo strategy trades on meanwhile, so memory is read again a minute later: what settles, not
  // what start-up leaves, is what a process costs.
  await sleep(3000);
  const rows = await registered();
  const early = new Map(rows.map((r) => [r.location, (rssBytes(r.pid) ?? 0) / 1048576]));
  await sleep(12_000);
  const settled = new Map(rows.map((r) => [r.location, (rssBytes(r.pid) ?? 0) / 1048576]));
  await sleep(45_000);
  const mem = rows.map((r) => ({ location: r.location, rssMb: Math.max(settled.get(r.location)!, (rssBytes(r.pid) ?? 0) / 1048576), privateMb: privateKb(r.pid) / 1024 }));
  for (const m of mem) say(`    idle ${m.location.padEnd(32)} RSS ${m.rssMb.toFixed(1)} MB at most at 15 s and 60 s (private ${m.privateMb.toFixed(1)} MB at 60 s; ${early.get(m.location)!.toFixed(1)} MB 3 s after start)`);

  const stop = await stopAndWait();
  say(`run.sh stop: every process exited after ${stop.toFixed(2)} s`);
  const round = (x: number) => Number(x.toFixed(2));
  console.log(
    JSON.stringify({
      start_s: round(start),
      stop_s: round(stop),
      guide_start_s: round(guideStart),
      start_speedup: round(guideStart / start),
      max_idle_rss_mb: round(Math.max(...mem.map((m) => m.rssMb))),
      max_idle_private_mb: round(Math.max(...mem.map((m) => m.privateMb))),
      idle_rss_mb: Object.fromEntries(mem.map((m) => [m.location, round(m.rssMb)])),
    }),
  );
} finally {
  await exec(PM2, ['kill']).catch(() => undefined);
  rmSync(pm2Home, { recursive: true, force: true });
  rmSync(kfHome, { recursive: true, force: true });
}
