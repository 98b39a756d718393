/**
 * A strategy that cannot start says why in one line ("kfc: ..." on stderr, no stack trace) and
 * exits non-zero: its path missing, a file that is not a strategy, a syntax error (the file, line
 * and message), a file that throws while loading, a preStart that throws. The file errors come
 * before registering (no master needed); a preStart that throws under PM2 (the guide's app file)
 * is restarted with backoff, not in a loop.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kfcProcess, kfcRun, type RunResult } from '../fixtures/kfc.js';
import { exec, masterEvents, PM2, pm2Env, ROOT } from '../fixtures/pm2.js';
import { freePort, tmpHome, waitFor } from '../helpers.js';
import { fixture } from './stack.js';

/** The whole of stderr is `line`, the exit code `code`. */
function failsWith(r: RunResult, code: number, line: string): void {
  assert.equal(r.stderr, `kfc: ${line}\n`);
  assert.equal(r.status, code, r.stderr);
}

/** An environment whose master is not running: file errors must not wait for it. */
async function noMaster() {
  return { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
}

describe('kfc strategy: a strategy that cannot start', { timeout: 180_000 }, () => {
  it('strategy path missing: the absolute path and what to check', async () => {
    const env = await noMaster();
    const missing = join(env.KF_HOME, 'strategies', 'mm.ts');
    failsWith(await kfcRun(['strategy', '-s', 'mm', '-p', missing], env), 1, `strategy file ${missing} not found: check the -p path`);
  });

  it('a file that is not a strategy: what it exports instead, and what to export', async () => {
    const env = await noMaster();
    const file = fixture('not-a-strategy.ts');
    failsWith(
      await kfcRun(['strategy', '-s', 'x', '-p', file], env),
      1,
      `strategy file ${file} is not a strategy: it exports no known callback (it exports answer, helper, onQuote); export functions such as preStart, onQuote, onOrder (or pre_start, on_quote), or a default object of them`,
    );
  });

  it('a syntax error, in TypeScript or JavaScript: the file, line, column and message', async () => {
    const env = await noMaster();
    const ts = join(env.KF_HOME, 'broken.ts');
    writeFileSync(ts, "import type { Context } from 'nowhere';\nexport const preStart = (ctx: Context => {};\n");
    failsWith(await kfcRun(['strategy', '-s', 'x', '-p', ts], env), 1, `strategy file ${ts} failed to compile: ${ts}:2:39: Expected ")" but found "=>"`);
    // JavaScript is imported as it is; Node's SyntaxError has no location, so the loader finds it.
    const js = join(env.KF_HOME, 'broken.mjs');
    writeFileSync(js, 'export function preStart() {}\n\nexport function onQuote(ctx {}\n');
    failsWith(await kfcRun(['strategy', '-s', 'x', '-p', js], env), 1, `strategy file ${js} failed to load: ${js}:3:29: Expected ")" but found "{"`);
  });

  it('a file that throws while loading: its error', async () => {
    const env = await noMaster();
    const file = join(env.KF_HOME, 'throws.ts');
    writeFileSync(file, "export function onQuote() {}\nthrow new Error('no limits.json next to the strategy');\n");
    failsWith(await kfcRun(['strategy', '-s', 'x', '-p', file], env), 1, `strategy file ${file} failed to load: no limits.json next to the strategy`);
  });

  it('preStart throws: the error in one line, exit code 1, after registering and deregistering cleanly', async (t) => {
    const env = await noMaster();
    const master = kfcProcess(['master'], env);
    t.after(() => void master.proc.kill('SIGKILL'));
    await master.line(/master listening/);
    failsWith(await kfcRun(['strategy', '-s', 'closed', '-p', fixture('throws-in-prestart.ts')], env), 1, 'strategy closed: preStart threw: no market today: the exchange is closed');
    const events = masterEvents(env.KF_HOME).filter((e) => e.location === 'strategy/default/closed/live');
    assert.deepEqual(events.map((e) => [e.kind, e.reason]), [['register', ''], ['deregister', 'stopped']]);
  });

  it('preStart throws under PM2 (strategy_demo.json): restarted with a growing delay, each run exiting 1 with the error', async (t) => {
    const { env, jlist } = await pm2Env();
    const master = kfcProcess(['master'], env);
    t.after(() => void master.proc.kill('SIGKILL'));
    await master.line(/master listening/);
    // The guide's app file for the demo, running the failing strategy instead (no watch: nothing changes).
    const demo = JSON.parse(readFileSync(join(ROOT, 'scripts', 'binance_test', 'strategy_demo.json'), 'utf8')) as { apps: Record<string, unknown>[] };
    const { watch: _w, ignore_watch: _i, ...fields } = demo.apps[0]!;
    assert.equal(fields.exp_backoff_restart_delay, 100, 'the demo app restarts with backoff from 100 ms');
    const appFile = join(env.KF_HOME, 'closed.json');
    const app = { ...fields, name: 'closed', cwd: env.KF_HOME, script: join(ROOT, 'dist', 'cli', 'kfc.js'), args: `-l info strategy -s closed -p ${fixture('throws-in-prestart.ts')}` };
    writeFileSync(appFile, JSON.stringify({ apps: [app] }));
    const started = await exec(PM2, ['start', appFile], env);
    assert.notEqual(started.stdout, '', started.stderr);

    const RUNS = 7;
    const location = 'strategy/default/closed/live';
    const runs = () => masterEvents(env.KF_HOME).filter((e) => e.location === location);
    await waitFor(`${RUNS} runs of the failing strategy`, () => runs().filter((e) => e.kind === 'deregister').length >= RUNS, 120_000, 100);
    const [proc] = (await jlist()).filter((a) => a.name === 'closed');
    assert.equal(proc!.pm2_env.exit_code, 1, 'each run exits with code 1');
    assert.ok(proc!.pm2_env.restart_time >= RUNS - 1, `restarted ${proc!.pm2_env.restart_time} times`);

    // PM2's delays grow by half each time (100, 150, 225, ... ms); each restart came at least that
    // long after the run before it left: never a tight loop.
    const pm2Log = readFileSync(join(env.PM2_HOME, 'pm2.log'), 'utf8');
    const delays = [...pm2Log.matchAll(/App \[closed:\d+\] will restart in (\d+)ms/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays.slice(0, RUNS - 1), [100, 150, 225, 337, 505, 757]);
    const events = runs();
    for (let k = 0; k < RUNS - 1; k++) {
      const left = events.filter((e) => e.kind === 'deregister')[k]!;
      const next = events.filter((e) => e.kind === 'register')[k + 1]!;
      const gapMs = Number(next.time - left.time) / 1e6;
      assert.ok(gapMs >= delays[k]!, `run ${k + 2} registered ${gapMs.toFixed(0)} ms after run ${k + 1} left; PM2's delay was ${delays[k]} ms`);
    }
    // Each run said why, in one line, with no stack trace.
    const errLog = readFileSync((proc!.pm2_env as { pm_err_log_path?: string }).pm_err_log_path!, 'utf8');
    const lines = errLog.split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= RUNS, errLog);
    for (const l of lines) assert.equal(l, 'kfc: strategy closed: preStart threw: no market today: the exchange is closed');
    await exec(PM2, ['delete', 'closed'], env);
  });
});
