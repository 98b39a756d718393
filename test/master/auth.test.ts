/**
 * Who may stop the stack: the master token (file modes, 401 without it, 403 cross-site, success
 * with it), reads open on loopback only, and a master that cannot make its token does not start.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AccessGuard, ensureToken, isLoopback, readToken, tokenPath } from '../../src/master/auth.js';
import { kfcProcess, kfcRun, type KfcEnv } from '../fixtures/kfc.js';
import type { Child } from '../fixtures/child.js';
import { openControl } from '../fixtures/control.js';
import { freePort, tmpHome } from '../helpers.js';

async function env(): Promise<KfcEnv> {
  return { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
}

async function startMaster(e: KfcEnv): Promise<Child> {
  const master = kfcProcess(['master'], e);
  after(() => void (master.proc.exitCode === null && master.proc.kill('SIGKILL')));
  await master.line(/master listening on/);
  return master;
}

const mode = (path: string) => statSync(path).mode & 0o777;

async function health(e: KfcEnv): Promise<{ ok: boolean; shuttingDown: boolean }> {
  return (await (await fetch(`http://127.0.0.1:${e.KF_MASTER_PORT}/api/health`)).json()) as { ok: boolean; shuttingDown: boolean };
}

/** The control channel's answer to an upgrade with these headers: 101, or the refusal status. */
async function upgradeStatus(port: string, headers: Record<string, string>): Promise<number> {
  const { socket, status } = await openControl(port, headers);
  socket?.destroy();
  return status!;
}

describe('master token', { timeout: 120_000 }, () => {
  it('the master creates its token: a 0600 file in a 0700 directory under KF_HOME, kept across restarts', async () => {
    const e = await env();
    const master = await startMaster(e);
    const file = tokenPath(e.KF_HOME);
    assert.equal(file, join(e.KF_HOME, 'system', 'master', 'master', 'token'));
    assert.equal(mode(file), 0o600);
    assert.equal(mode(join(e.KF_HOME, 'system', 'master', 'master')), 0o700);
    const token = readFileSync(file, 'utf8').trim();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await master.exited;
    const again = await startMaster(e);
    assert.equal(readToken(e.KF_HOME), token, 'the same token after a restart');
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await again.exited;
  });

  it('a token directory or file others could read is tightened and the token replaced, with a warning', async () => {
    const e = await env();
    const dir = join(e.KF_HOME, 'system', 'master', 'master');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'token'), 'A'.repeat(43) + '\n', { mode: 0o644 });
    chmodSync(join(dir, 'token'), 0o644);
    const master = await startMaster(e);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, 'token')), 0o600);
    assert.notEqual(readToken(e.KF_HOME), 'A'.repeat(43));
    assert.ok(master.lines.some((l) => /WARN \(master\): .*token was readable by others or malformed: replaced it with a new token/.test(l)), master.lines.join('\n'));
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await master.exited;
  });

  it('a master that cannot create its token does not start: one line, non-zero, nothing listening', async () => {
    const e = await env();
    mkdirSync(tokenPath(e.KF_HOME), { recursive: true }); // a directory where the token file goes
    const r = await kfcRun(['master'], e);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^kfc: cannot create the master token .*\/system\/master\/master\/token \(not a regular file\): KF_HOME must be a directory this user can write, and .* a regular file; fix or remove it\n$/);
    await assert.rejects(fetch(`http://127.0.0.1:${e.KF_MASTER_PORT}/api/health`));
  });
});

describe('master HTTP API: who may stop the stack', { timeout: 120_000 }, () => {
  it('POST /api/shutdown: 401 without the token or with a wrong one, 403 from another site, 202 with the token', async () => {
    const e = await env();
    const master = await startMaster(e);
    const token = readToken(e.KF_HOME)!;
    const url = `http://127.0.0.1:${e.KF_MASTER_PORT}/api/shutdown`;
    const post = (headers: Record<string, string>) => fetch(url, { method: 'POST', headers });

    const none = await post({});
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { error: string }).error, /needs the master token \(Authorization: Bearer <token>\)/);
    assert.equal((await post({ authorization: `Bearer ${'x'.repeat(43)}` })).status, 401);
    assert.equal((await post({ authorization: token })).status, 401, 'the token without the Bearer scheme');
    // A page elsewhere (a form post carries its Origin), even one that somehow had the token.
    const foreign = await post({ authorization: `Bearer ${token}`, origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.match(((await foreign.json()) as { error: string }).error, /another site \(Origin http:\/\/evil\.example\)/);
    assert.equal((await post({ authorization: `Bearer ${token}`, origin: 'null' })).status, 403);
    assert.equal((await post({ authorization: `Bearer ${token}`, origin: `http://127.0.0.1:${Number(e.KF_MASTER_PORT) + 1}` })).status, 403, 'another port is another site');
    assert.deepEqual(await health(e), { ok: true, shuttingDown: false }, 'none of them started a shutdown');
    assert.ok(master.lines.some((l) => /WARN \(master\): refused POST \/api\/shutdown from 127\.0\.0\.1: this needs the master token/.test(l)));

    // Reads stay open on loopback.
    assert.equal((await fetch(`http://127.0.0.1:${e.KF_MASTER_PORT}/api/processes`)).status, 200);

    // The master's own page may, with the token.
    const ok = await post({ authorization: `Bearer ${token}`, origin: `http://127.0.0.1:${e.KF_MASTER_PORT}` });
    assert.equal(ok.status, 202);
    assert.equal((await master.exited).code, 0);
  });

  it('the control channel needs the token too, and refuses other sites; a process with another KF_HOME waits and says why', async () => {
    const e = await env();
    const master = await startMaster(e);
    const token = readToken(e.KF_HOME)!;
    assert.equal(await upgradeStatus(e.KF_MASTER_PORT, {}), 401);
    assert.equal(await upgradeStatus(e.KF_MASTER_PORT, { authorization: `Bearer ${'y'.repeat(43)}` }), 401);
    assert.equal(await upgradeStatus(e.KF_MASTER_PORT, { authorization: `Bearer ${token}`, origin: 'http://evil.example' }), 403);
    assert.equal(await upgradeStatus(e.KF_MASTER_PORT, { authorization: `Bearer ${token}` }), 101);

    const elsewhere = { ...e, KF_HOME: tmpHome() };
    const ledger = kfcProcess(['ledger'], elsewhere);
    after(() => void (ledger.proc.exitCode === null && ledger.proc.kill('SIGKILL')));
    await ledger.line(new RegExp(`waiting for master at 127\\.0\\.0\\.1:${e.KF_MASTER_PORT} \\(the master refused this process: no token at .*/system/master/master/token; is it running with this KF_HOME \\(-H\\)\\?\\)`));
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await master.exited;
    ledger.proc.kill('SIGINT');
    assert.equal((await ledger.exited).code, 0);
  });

  it('kfc shutdown with the token of another KF_HOME: one line saying so, and the stack keeps running', async () => {
    const e = await env();
    const master = await startMaster(e);
    const other = tmpHome();
    ensureToken(other);
    const r = await kfcRun(['shutdown', '-H', other], e);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `kfc: the master at 127.0.0.1:${e.KF_MASTER_PORT} refused the token in ${tokenPath(other)}: it runs with another KF_HOME; use the same -H or KF_HOME as the master\n`);
    const noToken = await kfcRun(['shutdown', '-H', tmpHome()], e);
    assert.match(noToken.stderr, /^kfc: the master at .* needs its token for POST \/api\/shutdown, and there is none at .*: use the same -H or KF_HOME as the master\n$/);
    assert.deepEqual(await health(e), { ok: true, shuttingDown: false });
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await master.exited;
  });
});

describe('AccessGuard', () => {
  /** A real server on loopback that answers with the guard's verdict, as though bound to `bindHost`. */
  async function guarded(bindHost: string) {
    const token = 'T'.repeat(43);
    const server = createServer((req, res) => {
      const refusal = guard.check(req, req.method === 'GET' ? 'read' : 'change');
      res.writeHead(refusal?.status ?? 200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => server.close());
    const port = (server.address() as { port: number }).port;
    const guard = new AccessGuard(token, { host: bindHost, port });
    const status = async (method: string, headers: Record<string, string> = {}) => (await fetch(`http://127.0.0.1:${port}/`, { method, headers })).status;
    return { status, token, port };
  }

  it('reads need the token when the master listens beyond loopback; state changes need it everywhere', async () => {
    const open = await guarded('127.0.0.1');
    assert.equal(await open.status('GET'), 200);
    assert.equal(await open.status('POST'), 401);
    assert.equal(await open.status('POST', { authorization: `Bearer ${open.token}` }), 200);

    const wide = await guarded('0.0.0.0');
    assert.equal(await wide.status('GET'), 401);
    assert.equal(await wide.status('GET', { authorization: `Bearer ${wide.token}` }), 200);
    assert.equal(await wide.status('POST', { authorization: `Bearer ${wide.token}`, origin: `http://0.0.0.0:${wide.port}` }), 403, 'a wildcard address is no origin of ours');
    assert.equal(await wide.status('POST', { authorization: `Bearer ${wide.token}`, origin: `http://localhost:${wide.port}` }), 200);
  });

  it('loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '::ffff:10.0.0.1', '128.0.0.1']) assert.ok(!isLoopback(h), h);
  });
});
