/**
 * Options where users type them: after the command as well as before it, the command's own
 * winning; the sim's --host and --port its own; every number checked, one line and exit code 2.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tokenPath } from '../../src/master/auth.js';
import { kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { freePort, tmpHome } from '../helpers.js';

/** One line on stderr starting "kfc: ", exit code 2, no stack trace. */
function assertUsageError(r: { status: number | null; stderr: string }, re: RegExp, what: string): void {
  assert.equal(r.status, 2, `${what}: exit code (stderr: ${r.stderr})`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line, got ${r.stderr}`);
  assert.match(r.stderr, /^kfc: .*\n$/, what);
  assert.match(r.stderr.trimEnd(), re, what);
}

describe('kfc: options after the command', { timeout: 120_000 }, () => {
  it('master, ledger, status and shutdown take --port, --host, -H and -l after their name, over the environment and the global ones', async () => {
    const home = tmpHome();
    const port = String(await freePort());
    // The environment points elsewhere (another home, a port nobody listens on): only the options lead here.
    const env = { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()), KF_MASTER_HOST: '127.0.0.9' };
    const master = kfcProcess(['master', '--port', port, '--host', '127.0.0.1', '-H', home, '-l', 'info'], env);
    after(() => void (master.proc.exitCode === null && master.proc.kill('SIGKILL')));
    await master.line(new RegExp(`master listening on 127\\.0\\.0\\.1:${port} \\(KF_HOME ${home}\\)`));
    assert.ok(existsSync(tokenPath(home)), 'the master used -H given after its name');

    // The command's own -l wins over the global one: warning hides the ledger's info lines.
    const ledger = kfcProcess(['-l', 'info', '--port', env.KF_MASTER_PORT, 'ledger', '--port', port, '--host', '127.0.0.1', '-H', home, '-l', 'warning'], env);
    after(() => void (ledger.proc.exitCode === null && ledger.proc.kill('SIGKILL')));

    const status = await kfcRun(['status', '--port', port, '--host', '127.0.0.1', '-H', home, '--wait', 'system/service/ledger/live'], env);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`system/service/ledger/live\\s+${ledger.proc.pid}\\s+ready`));

    // shutdown needs the token from the master's KF_HOME: -H after the name must reach it.
    const down = await kfcRun(['shutdown', '--port', port, '--host', '127.0.0.1', '-H', home], env);
    assert.equal(down.status, 0, down.stderr);
    assert.equal(down.stdout, 'stopped\n');
    assert.equal((await ledger.exited).code, 0);
    assert.equal((await master.exited).code, 0);
    assert.deepEqual(ledger.lines.filter((l) => / INFO /.test(l)), [], 'the ledger ran at level warning');
    assert.ok(master.lines.some((l) => / INFO \(master\): registered system\/service\/ledger\/live/.test(l)));
  });

  it('journal takes -H, -l and -x after its name', async () => {
    const home = tmpHome();
    const r = await kfcRun(['journal', '-H', home, '-l', 'error', '-x'], { KF_HOME: tmpHome() });
    // No journals in that home: the error names it, which proves -H after the name was used.
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `kfc: no journals under ${join(home, 'journal')}; check -H/KF_HOME\n`);
  });

  it("kfc sim --host and --port bind the sim; the master's --host before the command does not", async () => {
    const port = String(await freePort());
    const sim = kfcProcess(['--host', '127.0.0.3', '--port', '1', 'sim', '--port', port, '--rate', '0'], { KF_HOME: tmpHome(), KF_MASTER_PORT: '9' });
    after(() => void (sim.proc.exitCode === null && sim.proc.kill('SIGKILL')));
    await sim.line(new RegExp(`simulated exchange on http://127\\.0\\.0\\.1:${port} `));
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/v3/ping`)).status, 200);
    sim.proc.kill('SIGINT');
    await sim.exited;

    const port2 = String(await freePort());
    const own = kfcProcess(['sim', '--host', '127.0.0.2', '--port', port2, '--rate', '0'], { KF_HOME: tmpHome(), KF_MASTER_PORT: '9' });
    after(() => void (own.proc.exitCode === null && own.proc.kill('SIGKILL')));
    await own.line(new RegExp(`simulated exchange on http://127\\.0\\.0\\.2:${port2} `));
    assert.equal((await fetch(`http://127.0.0.2:${port2}/api/v3/ping`)).status, 200);
    await assert.rejects(fetch(`http://127.0.0.1:${port2}/api/v3/ping`), 'not on 127.0.0.1');
    own.proc.kill('SIGINT');
    await own.exited;
  });
});

describe('kfc: numbers are checked', { timeout: 120_000 }, () => {
  it('every numeric option and KF_MASTER_PORT: a bad value is one line and exit code 2, before anything starts', async () => {
    const env = { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [['master', '--phase-timeout', '10s'], /^kfc: --phase-timeout "10s" is not a whole number of milliseconds from 1 to 600000$/],
      [['master', '--phase-timeout', '0'], /^kfc: --phase-timeout "0" is not a whole number of milliseconds from 1 to 600000$/],
      [['master', '--phase-timeout', '1e3'], /^kfc: --phase-timeout "1e3" is not/],
      [['status', '--wait', 'system/service/ledger/live', '--timeout', 'abc'], /^kfc: --timeout "abc" is not a number of seconds from 0 to 86400$/],
      [['status', '--timeout', '-1'], /^kfc: --timeout "-1" is not a number of seconds/],
      [['shutdown', '--timeout', 'abc'], /^kfc: --timeout "abc" is not a number of seconds from 0 to 86400$/],
      [['shutdown', '--timeout', ''], /^kfc: --timeout "" is not a number of seconds/],
      [['status', '--port', '70000'], /^kfc: master port \(--port or KF_MASTER_PORT\) "70000" is not a whole number from 1 to 65535$/],
      [['--port', '0x10', 'status'], /^kfc: master port \(--port or KF_MASTER_PORT\) "0x10" is not a whole number/],
      [['ledger', '--port', ' 9000'], /^kfc: master port \(--port or KF_MASTER_PORT\) " 9000" is not a whole number/],
      [['status'], /^kfc: master port \(--port or KF_MASTER_PORT\) "ninety" is not a whole number from 1 to 65535$/, { KF_MASTER_PORT: 'ninety' }],
      [['journal', '-n', '0'], /^kfc: --limit "0" is not a whole number from 1 to /],
      [['journal', '-n', '2.5'], /^kfc: --limit "2.5" is not a whole number/],
      [['sim', '--port', '0'], /^kfc: --port "0" is not a whole number from 1 to 65535$/],
      [['sim', '--seed', '1.5'], /^kfc: --seed "1.5" is not a whole number/],
      [['sim', '--rate', '-1'], /^kfc: --rate "-1" is not a number from 0 to 1000$/],
      [['sim', '--rate', 'fast'], /^kfc: --rate "fast" is not a number from 0 to 1000$/],
    ];
    for (const [args, re, extra] of cases) assertUsageError(await kfcRun(args, { ...env, ...extra }), re, args.join(' '));
    // Nothing was started by any of them.
    await assert.rejects(fetch(`http://127.0.0.1:${env.KF_MASTER_PORT}/api/health`));
  });

  it('usage errors (unknown option, bad choice) also exit 2; --help exits 0', async () => {
    assertUsageError(await kfcRun(['status', '--bogus']), /unknown option '--bogus'/, 'unknown option');
    assertUsageError(await kfcRun(['-l', 'loud', 'journal']), /argument 'loud' is invalid/, 'bad choice');
    assertUsageError(await kfcRun(['ledger', '-l', 'loud']), /argument 'loud' is invalid/, 'bad choice after the command');
    const help = await kfcRun(['status', '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--port <port>/);
  });
});
