/**
 * The secrets audit: the whole stack under a real PM2, every process at -l trace, trading an account
 * whose HMAC secret is known; then the secret must be nowhere but in the accounts database (0600):
 * not in a log, a journal page, PM2's logs or dump, a CLI answer or error, a process's argv, or an
 * answer of the master's HTTP API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { accountsDbPath } from '../../src/config/accounts.js';
import { startSimServer } from '../../src/sim/sim-server.js';
import { kfcRun } from '../fixtures/kfc.js';
import { exec, PM2, pm2Env, ROOT } from '../fixtures/pm2.js';
import { waitFor } from '../helpers.js';

const SECRET = 'kfts-AUDIT-secret-7f3a9c2e1b';
const KEY = 'kfts-audit-key';
const APPS = [
  ['master', 'system/master/master/live'],
  ['ledger', 'system/service/ledger/live'],
  ['md_binance', 'md/binance/binance/live'],
  ['td_binance', 'td/binance/my_account/live'],
  ['strategy_demo', 'strategy/default/demo_spot/live'],
] as const;

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('secrets audit', { timeout: 240_000 }, () => {
  it('the secret is in the accounts database only: not in logs, journals, PM2, CLI output, argv or the API', async () => {
    const { env } = await pm2Env();
    const { server } = await startSimServer({
      host: '127.0.0.1',
      port: 0,
      market: { seed: 5, rate: 10, levels: 10 },
      accounts: [{ name: 'audit', apiKey: KEY, hmacSecret: SECRET, makerCommission: 10, takerCommission: 10 }],
      deposits: { audit: { USDT: '100000', BTC: '1' } },
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });
    const simPort = (server.address() as { port: number }).port;
    const outputs: string[] = [];
    const kfc = async (args: string[]) => {
      const r = await kfcRun(args, env);
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    // The secret from a file outside KF_HOME, removed once read.
    const secretDir = mkdtempSync(join(tmpdir(), 'kfts-secret-'));
    writeFileSync(join(secretDir, 'secret'), SECRET, { mode: 0o600 });
    const added = await kfc(['account', '-s', 'binance', 'add', '-a', 'my_account', '--key', KEY, '--secret-file', join(secretDir, 'secret'), '--preset', `sim:${simPort}`]);
    rmSync(secretDir, { recursive: true });
    assert.equal(added.status, 0, added.stderr);

    // The guide's app files, every process at trace, watch off.
    const appDir = mkdtempSync(join(tmpdir(), 'kfts-apps-'));
    after(() => rmSync(appDir, { recursive: true, force: true }));
    const pairs: string[] = [];
    for (const [app, location] of APPS) {
      const spec = JSON.parse(readFileSync(join(ROOT, 'scripts', 'binance_test', `${app}.json`), 'utf8')) as { apps: Record<string, unknown>[] };
      for (const a of spec.apps) Object.assign(a, { cwd: join(ROOT, 'scripts', 'binance_test'), args: String(a.args).replace(/^-l \w+/, '-l trace'), watch: false });
      writeFileSync(join(appDir, `${app}.json`), JSON.stringify(spec));
      pairs.push(join(appDir, `${app}.json`), location);
    }
    const started = await exec(process.execPath, [join(ROOT, 'dist', 'deploy', 'pm2-start.js'), ...pairs], env);
    assert.equal(started.status, 0, started.stderr);

    // Trading, and a few refusals and errors: the demo's fills, a 5xx, a dropped connection.
    const tdLog = () => readFileSync(join(env.KF_HOME, 'log', 'td_binance_my_account.log'), 'utf8');
    await waitFor('a fill', () => /FILLED|PARTIALLY_FILLED/.test(tdLog()), 60_000, 200);
    await fetch(`http://127.0.0.1:${simPort}/admin/fail?count=2&status=503`, { method: 'POST' });
    await fetch(`http://127.0.0.1:${simPort}/admin/drop-connections`, { method: 'POST' });
    await waitFor('the TD back after the drop', () => (tdLog().match(/: Ready\b/g) ?? []).length >= 2, 60_000, 200);

    // What a user or another process can see while it runs.
    for (const args of [['account', '-s', 'binance', 'show', '-a', 'my_account'], ['account', 'list'], ['status', '--books'], ['account', '-s', 'binance', 'show', '-a', 'nobody'], ['ledger', 'history', 'orders']]) await kfc(args);
    const port = env.KF_MASTER_PORT;
    for (const path of ['/api/processes', '/api/books', '/api/accounts', '/api/orders', '/api/trades', '/api/health']) {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      outputs.push(await r.text());
    }
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        outputs.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        // gone
      }
    }
    assert.equal((await exec(PM2, ['dump'], env)).status, 0);
    assert.equal((await kfc(['shutdown'])).status, 0);

    for (const [i, text] of outputs.entries()) assert.ok(!text.includes(SECRET), `output ${i} shows the secret: ${text.slice(0, 300)}`);
    const db = accountsDbPath(env.KF_HOME);
    assert.equal(statSync(db).mode & 0o777, 0o600);
    const scanned = [...files(env.KF_HOME), ...files(env.PM2_HOME)].filter((f) => !f.startsWith(db));
    assert.ok(scanned.some((f) => f.includes('/journal/')) && scanned.some((f) => f.endsWith('.log')) && scanned.some((f) => f.endsWith('dump.pm2')), 'journals, logs and the PM2 dump were scanned');
    for (const f of scanned) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f);
      } catch {
        continue; // a socket or a file that went away
      }
      assert.equal(bytes.indexOf(SECRET), -1, `${f} holds the secret`);
    }
    // The database does hold it (the scan above would not prove anything otherwise).
    assert.ok(readFileSync(db).includes(SECRET) || files(join(db, '..')).some((f) => readFileSync(f).includes(SECRET)));
  });
});
