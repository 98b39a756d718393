/**
 * The operations guide, end to end, with real PM2 (its own PM2_HOME in a temp dir, never the
 * user's) and a temp KF_HOME: run.sh start, pm2 jlist, kill -9 and PM2's restart, run.sh stop.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nowNs } from '../../src/journal/clock.js';
import { runFixture } from '../fixtures/child.js';
import { exec, masterEvents, PM2, pm2Env, ROOT } from '../fixtures/pm2.js';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { alive, waitFor } from '../helpers.js';

const RUN = join(ROOT, 'scripts', 'binance_test', 'run.sh');

describe('PM2 deployment (scripts/binance_test)', { timeout: 240_000 }, () => {
  it('run.sh start brings the stack up in order; kill -9 is restarted and re-registers; run.sh stop stops in order', async () => {
    const { env, jlist, registry } = await pm2Env();
    // td_binance trades my_account: an account on a simulated exchange (the real kfc account add).
    const { server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false });
    after(() => {
      server.closeAllConnections();
      server.close();
    });
    const secret = join(env.KF_HOME, 'secret');
    writeFileSync(secret, DEMO_ACCOUNT.hmacSecret!, { mode: 0o600 });
    const added = await exec(process.execPath, [join(ROOT, 'dist', 'cli', 'kfc.js'), 'account', '-s', 'binance', 'add', '-a', 'my_account', '--key', DEMO_ACCOUNT.apiKey, '--secret-file', secret, '--preset', `sim:${(server.address() as { port: number }).port}`], env);
    assert.equal(added.status, 0, added.stderr);

    const start = await exec(RUN, ['start'], env);
    assert.equal(start.status, 0, start.stderr);
    for (const app of ['master', 'ledger', 'md_binance', 'td_binance', 'strategy_demo']) assert.match(start.stdout, new RegExp(`run.sh: ${app} ready`));
    const apps = await jlist();
    assert.deepEqual(apps.map((a) => [a.name, a.pm2_env.status]).sort(), [
      ['ledger', 'online'],
      ['master', 'online'],
      ['md_binance', 'online'],
      ['strategy_demo', 'online'],
      ['td_binance', 'online'],
    ]);
    const registered = await registry();
    assert.equal(registered.length, 5);
    for (const a of apps) assert.ok(registered.some((r) => r.pid === a.pid), `${a.name} (pid ${a.pid}) registered`);

    // kill -9 the ledger: the master deregisters it at once, PM2 restarts it, it registers again.
    const ledger = apps.find((a) => a.name === 'ledger')!;
    const killedAt = nowNs();
    process.kill(ledger.pid, 'SIGKILL');
    const back = await waitFor('the ledger to be restarted by PM2 and registered again', async () =>
      (await registry()).find((r) => r.location === 'system/service/ledger/live' && r.pid !== ledger.pid),
    );
    assert.ok(alive(back.pid));

    // The master's journal so far (its restart below starts a fresh one: CLEAR_JOURNAL after a clean stop).
    const early = masterEvents(env.KF_HOME);

    // pm2 restart master (the guide's): the master alone; the others run on and register again,
    // even with an app stopped by hand before (it is not a stop of the stack).
    assert.equal((await exec(PM2, ['stop', 'strategy_demo'], env)).status, 0);
    await waitFor('the strategy deregistered', async () => !(await registry()).some((r) => r.location.startsWith('strategy/')));
    const before = new Map((await jlist()).map((a) => [a.name, a.pid]));
    const restarted = await exec(PM2, ['restart', 'master'], env);
    assert.equal(restarted.status, 0, restarted.stderr);
    const newMaster = await waitFor('a new master with everyone registered again', async () => {
      const rows = await registry().catch(() => []);
      const m = rows.find((r) => r.location === 'system/master/master/live');
      return m && m.pid !== before.get('master') && rows.length === 4 ? m : undefined;
    }, 60_000, 100);
    assert.ok(newMaster);
    for (const a of await jlist()) {
      if (a.name === 'strategy_demo') continue;
      assert.equal(a.pm2_env.status, 'online', `${a.name} is ${a.pm2_env.status}`);
      if (a.name !== 'master') assert.equal(a.pid, before.get(a.name), `${a.name} ran on (same pid)`);
    }
    assert.equal((await exec(PM2, ['start', 'strategy_demo'], env)).status, 0);
    await waitFor('the strategy registered again', async () => (await registry()).length === 5, 60_000, 100);

    const stop = await exec(RUN, ['stop'], env);
    assert.equal(stop.status, 0, stop.stderr);
    assert.match(stop.stdout, /^stopped$/m);
    const stopped = await jlist();
    for (const a of stopped) assert.equal(a.pm2_env.status, 'stopped', `${a.name} is ${a.pm2_env.status}`);
    for (const a of [...apps, { name: 'ledger (restarted)', pid: back.pid }]) assert.ok(!alive(a.pid), `${a.name} (pid ${a.pid}) exited`);
    // Only the killed ledger was ever restarted: nothing the stack wrote set PM2's watch off.
    for (const a of stopped) assert.equal(a.pm2_env.restart_time, a.name === 'ledger' || a.name === 'master' ? 1 : 0, `${a.name} restarts`);

    // The master's journal tells the story: the killed ledger left (as lost or dead: the socket's
    // close and the pid check race to notice) before its restart registered, then the ordered
    // stop: strategy, gateways, ledger. How fast it left is measured by bench:startup, not here.
    const events = masterEvents(env.KF_HOME);
    const ledgerEvents = early.filter((e) => e.location === 'system/service/ledger/live');
    assert.deepEqual(ledgerEvents.map((e) => e.kind), ['register', 'deregister', 'register']);
    const died = ledgerEvents[1]!;
    assert.match(died.reason, /^(connection lost|process died)$/);
    assert.ok(died.time > killedAt, 'deregistered after the kill');
    assert.ok(died.time - killedAt < 30_000_000_000n, `deregistered ${(died.time - killedAt) / 1_000_000n} ms after kill -9`);
    const finalStops = events.filter((e) => e.kind === 'deregister' && e.reason === 'stopped').map((e) => e.location);
    assert.equal(finalStops.length, 4);
    assert.equal(finalStops[0], 'strategy/default/demo_spot/live');
    assert.deepEqual(finalStops.slice(1, 3).sort(), ['md/binance/binance/live', 'td/binance/my_account/live']);
    assert.equal(finalStops[3], 'system/service/ledger/live');
  });

  it("a process that declares another app's pm_id is told to stop itself; PM2 stops only apps whose pid it records", async () => {
    const { env, jlist } = await pm2Env();
    const start = await exec(RUN, ['start', 'master', 'ledger'], env);
    assert.equal(start.status, 0, start.stderr);
    const ledger = (await jlist()).find((a) => a.name === 'ledger')!;
    // Not a PM2 app itself: it registers as a strategy (stopped first) claiming the ledger's pm_id.
    const intruder = runFixture('registrant.ts', ['--location=strategy/default/intruder/live', `--pm-id=${ledger.pm_id}`, '--on-stop=exit'], env);
    after(() => void (intruder.proc.exitCode === null && intruder.proc.kill('SIGKILL')));
    await intruder.line(/^registered$/);

    const stop = await exec(RUN, ['stop'], env);
    assert.equal(stop.status, 0, stop.stderr);
    await intruder.line(/^stop received$/);
    assert.deepEqual(await intruder.exited, { code: 0, signal: null }, 'the intruder was told to stop, not killed');
    const stops = masterEvents(env.KF_HOME).filter((e) => e.kind === 'deregister');
    assert.deepEqual(
      stops.map((e) => `${e.location}: ${e.reason}`),
      ['strategy/default/intruder/live: stopped', 'system/service/ledger/live: stopped'],
      'the ledger stopped in its own phase, after the strategies',
    );
    for (const a of await jlist()) {
      assert.equal(a.pm2_env.status, 'stopped', `${a.name} is ${a.pm2_env.status}`);
      assert.equal(a.pm2_env.restart_time, 0, `${a.name} restarts`);
    }
    const log = readFileSync(join(env.KF_HOME, 'log', 'master.log'), 'utf8');
    assert.match(log, new RegExp(`WARN \\(master\\): pid ${intruder.proc.pid} declared pm_id ${ledger.pm_id}, which is PM2 app ledger with pid ${ledger.pid}: not asking PM2 to stop it; telling the process to stop itself`));
  });
  it('td_binance with no such account: one line in its log, exit code 2, and PM2 does not restart it', async () => {
    const { env, jlist } = await pm2Env();
    const start = await exec(RUN, ['start', 'master'], env);
    assert.equal(start.status, 0, start.stderr);
    const td = await exec(PM2, ['start', 'td_binance.json'], env, join(ROOT, 'scripts', 'binance_test'));
    assert.equal(td.status, 0, td.stderr);
    await waitFor('td_binance to exit with code 2', async () => (await jlist()).find((a) => a.name === 'td_binance' && (a.pm2_env as { exit_code?: number }).exit_code === 2));
    // Proving that something does not happen takes a window: PM2 would restart it after 100 ms
    // (exp_backoff_restart_delay); watch 30 times that. (PM2 labels such an app "waiting restart"
    // but schedules nothing: stop_exit_codes.)
    const watchUntil = Date.now() + 3000;
    while (Date.now() < watchUntil) {
      const app = (await jlist()).find((a) => a.name === 'td_binance')!;
      assert.deepEqual([app.pm2_env.restart_time, app.pid], [0, 0], 'not restarted');
    }
    const err = await exec(PM2, ['logs', 'td_binance', '--err', '--nostream', '--lines', '5'], env);
    assert.match(err.stdout, /kfc: account binance_my_account not found; add it with kfc account -s binance add/);
    // run.sh start says why at once, instead of "not ready" after its 30 s.
    const t0 = Date.now();
    const again = await exec(RUN, ['start', 'td_binance'], env);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /^kfc: td_binance exited with code 2 \(a user error; PM2 does not restart it\): .*kfc: account binance_my_account not found/m);
    assert.ok(Date.now() - t0 < 20_000, `answered after ${Date.now() - t0} ms`);
    assert.equal((await exec(RUN, ['stop'], env)).status, 0);
  });
});
