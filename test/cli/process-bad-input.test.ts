import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kfcRun } from '../fixtures/kfc.js';
import { freePort, tmpHome } from '../helpers.js';

/** One line on stderr, a non-zero exit, no stack trace. */
function assertOneLineError(r: { status: number | null; stderr: string }, re: RegExp, what: string): void {
  assert.notEqual(r.status, 0, `${what}: exit code`);
  assert.match(r.stderr, re, what);
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line, got ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

describe('kfc process commands: bad input', { timeout: 120_000 }, () => {
  it('unknown subcommand, unknown log level (flag or KF_LOG_LEVEL)', async () => {
    const env = { KF_HOME: tmpHome() };
    assertOneLineError(await kfcRun(['mastr'], env), /unknown command 'mastr'/, 'unknown subcommand');
    assertOneLineError(await kfcRun(['-l', 'verbose', 'master'], env), /argument 'verbose' is invalid\. Allowed choices are trace, debug, info, warning, error/, 'bad -l');
    assertOneLineError(await kfcRun(['ledger'], { ...env, KF_LOG_LEVEL: 'loud' }), /^kfc: unknown log level "loud" \(from -l or KF_LOG_LEVEL\): use one of trace, debug, info, warning, error/, 'bad KF_LOG_LEVEL');
  });

  it('missing -s, -a, -p', async () => {
    const env = { KF_HOME: tmpHome() };
    assertOneLineError(await kfcRun(['md'], env), /required option '-s, --source <source>' not specified/, 'md without -s');
    assertOneLineError(await kfcRun(['td', '-s', 'binance'], env), /required option '-a, --account <account>' not specified/, 'td without -a');
    assertOneLineError(await kfcRun(['strategy', '-s', 'demo'], env), /required option '-p, --path <file>' not specified/, 'strategy without -p');
    assertOneLineError(await kfcRun(['td', '-s', 'binance', '-a', 'bad/name'], env), /^kfc: bad location name "bad\/name"/, 'bad account name');
  });

  it('KF_HOME not writable', async () => {
    const home = tmpHome();
    const blocked = join(home, 'file');
    writeFileSync(blocked, 'a file where KF_HOME should be a directory');
    assertOneLineError(await kfcRun(['ledger'], { KF_HOME: blocked }), /^kfc: KF_HOME .*file is not writable \((ENOTDIR|EEXIST)\): set KF_HOME or -H to a directory this user can write/, 'KF_HOME is a file');
    assertOneLineError(await kfcRun(['-H', join(blocked, 'sub'), 'master']), /^kfc: KF_HOME .* is not writable/, '-H under a file');
  });

  it('master unreachable: status and shutdown say so', async () => {
    const port = String(await freePort());
    const env = { KF_HOME: tmpHome(), KF_MASTER_PORT: port };
    assertOneLineError(await kfcRun(['status'], env), new RegExp(`^kfc: cannot reach the master at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): is it running\\? Start it with: kfc master`), 'status');
    assertOneLineError(await kfcRun(['shutdown'], env), /^kfc: cannot reach the master/, 'shutdown');
    assertOneLineError(await kfcRun(['status'], { ...env, KF_MASTER_PORT: 'ninety' }), /^kfc: master port \(--port or KF_MASTER_PORT\) "ninety" is not a whole number from 1 to 65535/, 'bad port');
  });
});
