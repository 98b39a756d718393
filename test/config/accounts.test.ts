/**
 * `kfc account` and the accounts database as users and the operations guide use them: the real
 * CLI (from dist/), a real SQLite file, the guide's Python snippet and the sqlite3 CLI.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { accountsDbPath, findMarketDataAccount } from '../../src/config/accounts.js';
import { Locations } from '../../src/journal/location.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { KFC, kfcRun } from '../fixtures/kfc.js';
import { recordingLogger, tmpHome, waitFor } from '../helpers.js';

const SECRET = 'Zs3cr3t-DoNotPrint-0123456789abcdef';

function run(file: string, args: string[], input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** `kfc account ...` with a secret on standard input. */
function kfcWithStdin(args: string[], env: Record<string, string>, input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [KFC, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

describe('kfc account', { timeout: 120_000 }, () => {
  it('add with flags (secret from a file and from stdin), list, show masked, edit, remove; 0600 in 0700; receive_md moves on', async () => {
    const home = tmpHome();
    const env = { KF_HOME: home };
    const file = join(home, 'secret.txt');
    writeFileSync(file, SECRET + '\n', { mode: 0o600 });
    const add = await kfcRun(['account', '-s', 'binance', 'add', '-a', 'my_account', '--key', 'AKEYabcdefgh1234', '--secret-file', file, '--preset', 'testnet'], env);
    assert.equal(add.status, 0, add.stderr);
    assert.match(add.stdout, /added account binance_my_account \(HMAC key AKEY\*+, https:\/\/testnet\.binance\.vision\); it receives market data/);
    const second = await kfcWithStdin(['account', 'add', '-a', 'second', '--key', 'BKEYabcdefgh', '--secret-stdin', '--order-api', 'rest'], env, `${SECRET}-2\n`);
    assert.equal(second.status, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /market data/);

    const db = accountsDbPath(home);
    assert.equal(statSync(db).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(db)).mode & 0o777, 0o700);

    const list = await kfcRun(['account', '-s', 'binance', 'list'], env);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^account_id\s+source\s+receive_md/);
    assert.match(list.stdout, /binance_my_account\s+binance\s+yes\s+AKEY\*+\s+HMAC\s+ws\s+https:\/\/testnet\.binance\.vision/);
    assert.match(list.stdout, /binance_second\s+binance\s+no\s+BKEY\*+\s+HMAC\s+rest\s+production/);

    const show = await kfcRun(['account', '-s', 'binance', 'show', '-a', 'my_account'], env);
    assert.equal(show.status, 0, show.stderr);
    const shown = JSON.parse(show.stdout) as { config: Record<string, unknown>; receive_md: boolean };
    assert.equal(shown.config.hmacSecret, 'Zs3c********');
    assert.equal(shown.config.apiKey, 'AKEY********');
    assert.equal(shown.receive_md, true);
    for (const out of [add, second, list, show]) assert.ok(!(out.stdout + out.stderr).includes(SECRET), 'no secret in any output');

    // The guide's query, through the guide's own Python snippet and through sqlite3.
    const py = await run('python3', ['-c', `
import sqlite3, json
conn = sqlite3.connect(${JSON.stringify(db)})
cursor = conn.cursor()
cursor.execute("SELECT config FROM account_config WHERE account_id = 'binance_my_account'")
result = cursor.fetchone()
if result:
    print(json.dumps(json.loads(result[0]), indent=2))
conn.close()
`]);
    assert.equal(py.status, 0, py.stderr);
    const config = JSON.parse(py.stdout) as Record<string, unknown>;
    assert.deepEqual(config, { apiKey: 'AKEYabcdefgh1234', hmacSecret: SECRET, restUrl: 'https://testnet.binance.vision', streamUrl: 'wss://stream.testnet.binance.vision', wsApiUrl: 'wss://ws-api.testnet.binance.vision/ws-api/v3' });
    const schema = await run('sqlite3', [db, '.schema account_config']);
    assert.match(schema.stdout, /CREATE TABLE account_config \(account_id TEXT PRIMARY KEY NOT NULL, source_name TEXT, receive_md BOOLEAN, config TEXT NOT NULL\)/);
    const journalMode = await run('sqlite3', [db, 'PRAGMA journal_mode']);
    assert.equal(journalMode.stdout.trim(), 'wal');

    // edit: new URLs and recvWindow; the key stays.
    const edit = await kfcRun(['account', 'edit', '-a', 'my_account', '--preset', 'sim:8600', '--recv-window', '7000'], env);
    assert.equal(edit.status, 0, edit.stderr);
    assert.match(edit.stdout, /^updated account binance_my_account\n$/);
    const edited = JSON.parse((await run('sqlite3', [db, "SELECT config FROM account_config WHERE account_id = 'binance_my_account'"])).stdout) as Record<string, unknown>;
    assert.deepEqual([edited.restUrl, edited.recvWindow, edited.hmacSecret], ['http://127.0.0.1:8600', 7000, SECRET]);
    assert.equal(findMarketDataAccount(home, 'binance')?.account, 'my_account');

    // remove the market-data account: the next one takes over.
    const rm = await kfcRun(['account', 'rm', '-a', 'my_account'], env);
    assert.equal(rm.status, 0, rm.stderr);
    assert.match(rm.stdout, /removed account binance_my_account; binance_second receives market data now/);
    assert.equal(findMarketDataAccount(home, 'binance')?.account, 'second');
    const gone = await kfcRun(['account', 'show', '-a', 'my_account'], env);
    assert.deepEqual([gone.status, gone.stderr], [2, 'kfc: account binance_my_account not found; add it with kfc account -s binance add\n']);
  });

  it('add in a terminal asks for what the flags leave out, and does not echo the secret', async () => {
    const home = tmpHome();
    // script(1) gives kfc a pseudo-terminal; the answers are typed once each question shows.
    const child = spawn('script', ['-qec', `${process.execPath} ${KFC} account -s binance add`, '/dev/null'], { env: { ...process.env, KF_HOME: home, TERM: 'dumb' } });
    let screen = '';
    child.stdout.on('data', (c: Buffer) => (screen += c.toString('utf8')));
    const answer = async (question: RegExp, text: string) => {
      await waitFor(`the question ${question}`, () => question.test(screen));
      screen = screen.replace(question, '<asked>');
      child.stdin.write(text + '\r');
    };
    await answer(/Account name \(e\.g\. my_account\): /, 'tty_account');
    await answer(/API key: /, 'TTYKEY123456');
    await answer(/Key type, hmac or ed25519 \[hmac\]: /, '');
    await answer(/Secret \(not shown\): /, SECRET);
    await answer(/Exchange: production, testnet, sim or sim:<port> \[production\]: /, 'sim:8700');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, screen);
    assert.match(screen, /added account binance_tty_account \(HMAC key TTYK\*+, http:\/\/127\.0\.0\.1:8700\)/);
    assert.ok(!screen.includes(SECRET), `the secret was echoed: ${screen}`);
    assert.ok(screen.includes('TTYKEY123456'), 'visible answers are echoed (so the test would see an echoed secret)');
    const row = new Database(accountsDbPath(home), { readonly: true }).prepare('SELECT config FROM account_config WHERE account_id = ?').get('binance_tty_account') as { config: string };
    assert.equal((JSON.parse(row.config) as { hmacSecret: string }).hmacSecret, SECRET);
  });

  it('bad input: a one-line error each, exit code 2, nothing written, no secret quoted', async () => {
    const home = tmpHome();
    const env = { KF_HOME: home };
    const cases: [string[], RegExp][] = [
      [['account', 'add', '-a', 'x', '--key', 'K'], /needs -a <account>, --key <api key> and one of --secret-file/],
      [['account', 'add', '-a', 'x', '--key', 'K', '--secret-file', '/nonexistent/secret'], /cannot read the secret from \/nonexistent\/secret \(ENOENT\)/],
      [['account', 'add', '-a', 'bad/name', '--key', 'K', '--secret-file', '/etc/hostname'], /bad account name "bad\/name"/],
      [['account', '-s', 'okex', 'add', '-a', 'x', '--key', 'K', '--secret-file', '/etc/hostname'], /unknown source "okex": accounts exist for binance/],
      [['account', 'add', '-a', 'x', '--key', 'K', '--secret-file', '/etc/hostname', '--preset', 'mainnet'], /unknown preset "mainnet"/],
      [['account', 'add', '-a', 'x', '--key', 'K', '--secret-file', '/etc/hostname', '--rest-url', 'ftp://x'], /restUrl "ftp:\/\/x" must start with https:\/\/ or http:\/\//],
      [['account', 'add', '-a', 'x', '--key', 'K', '--secret-file', '/etc/hostname', '--recv-window', '70000'], /--recv-window "70000" is not a whole number of milliseconds from 1 to 60000/],
      [['account', 'edit', '-a', 'nobody', '--recv-window', '100'], /account binance_nobody not found; add it with kfc account -s binance add/],
    ];
    for (const [args, re] of cases) {
      const r = await kfcRun(args, env);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^kfc: [^\n]+\n$/, `${args.join(' ')}: one line`);
      assert.match(r.stderr, re);
    }
    assert.equal((await kfcRun(['account', 'list'], env)).stdout, 'no accounts; add one with kfc account -s binance add\n');

    // A config broken in the database (by hand): named by field, secret not quoted; edit repairs it.
    const file = join(home, 's');
    writeFileSync(file, SECRET);
    assert.equal((await kfcRun(['account', 'add', '-a', 'broken', '--key', 'KEY1', '--secret-file', file], env)).status, 0);
    const db = new Database(accountsDbPath(home));
    db.prepare("UPDATE account_config SET config = ? WHERE account_id = 'binance_broken'").run(JSON.stringify({ apiKey: 'KEY1', hmacSecret: SECRET, recvWindow: 'soon' }));
    const show = await kfcRun(['account', 'show', '-a', 'broken'], env);
    assert.equal(show.status, 2);
    assert.equal(show.stderr, 'kfc: account binance_broken: recvWindow: expected an integer from 1 to 60000, got "soon"; fix it with kfc account -s binance edit -a broken\n');
    db.prepare("UPDATE account_config SET config = ? WHERE account_id = 'binance_broken'").run(`{"apiKey": "KEY1", "hmacSecret": "${SECRET}",`);
    const notJson = await kfcRun(['account', 'show', '-a', 'broken'], env);
    assert.match(notJson.stderr, /^kfc: account binance_broken: config is not valid JSON \(at character \d+\); fix it with/);
    db.prepare("UPDATE account_config SET config = ? WHERE account_id = 'binance_broken'").run(JSON.stringify({ apiKey: 'KEY1', hmacSecret: 42 }));
    const badSecret = await kfcRun(['account', 'show', '-a', 'broken'], env);
    assert.match(badSecret.stderr, /hmacSecret: expected a secret text of 1 to 256 characters, got number/);
    db.prepare("UPDATE account_config SET config = ? WHERE account_id = 'binance_broken'").run(JSON.stringify({ apiKey: 'KEY1', hmacSecret: SECRET + '\u0001' }));
    const ctl = await kfcRun(['account', 'list'], env);
    assert.match(ctl.stdout, /binance_broken .*broken config: .*hmacSecret: expected a secret text of 1 to 256 characters, got a text of \d+ characters \(not shown\)/);
    for (const r of [show, notJson, badSecret, ctl]) assert.ok(!(r.stdout + r.stderr).includes(SECRET.slice(0, 12)), 'the secret is never quoted');
    db.close();
    const repaired = await kfcRun(['account', 'edit', '-a', 'broken', '--secret-file', file], env);
    assert.equal(repaired.status, 0, repaired.stderr);
    assert.equal((await kfcRun(['account', 'show', '-a', 'broken'], env)).status, 0);
  });

  it('edit says a running gateway must be restarted; remove is refused while it runs', async () => {
    const home = tmpHome();
    const env = { KF_HOME: home };
    const file = join(home, 's');
    writeFileSync(file, SECRET);
    assert.equal((await kfcRun(['account', 'add', '-a', 'busy', '--key', 'KEY1', '--secret-file', file], env)).status, 0);
    // A process writing the TD's journal is its running gateway (the journal's writer lock).
    const w = JournalWriter.open({ home, location: Locations.td('binance', 'busy'), log: recordingLogger() });
    try {
      const edit = await kfcRun(['account', 'edit', '-a', 'busy', '--order-api', 'rest'], env);
      assert.equal(edit.status, 0, edit.stderr);
      assert.match(edit.stdout, new RegExp(`its trading gateway td/binance/busy/live is running \\(pid ${process.pid}\\): restart it for the change to take effect`));
      const rm = await kfcRun(['account', 'remove', '-a', 'busy'], env);
      assert.equal(rm.status, 1);
      assert.equal(rm.stderr, `kfc: account binance_busy is in use by its trading gateway td/binance/busy/live (pid ${process.pid}): stop it first\n`);
    } finally {
      w.close();
    }
    const rm = await kfcRun(['account', 'remove', '-a', 'busy'], env);
    assert.equal(rm.status, 0, rm.stderr);
  });
});

describe('reading accounts from a gateway process', () => {
  it('readAccount and readMarketDataAccount go through a child: the row, a missing account (exit 2), none receiving market data', async () => {
    const { readAccount, readMarketDataAccount } = await import('../../src/config/account-reader.js');
    const home = tmpHome();
    assert.equal(await readMarketDataAccount(home, 'binance'), undefined, 'no database yet');
    const file = join(home, 's');
    writeFileSync(file, SECRET);
    assert.equal((await kfcRun(['account', 'add', '-a', 'one', '--key', 'KEY1', '--secret-file', file, '--preset', 'sim:8600'], { KF_HOME: home })).status, 0);
    const row = await readAccount(home, 'binance', 'one');
    assert.deepEqual([row.accountId, row.account, row.receiveMd, row.config.hmacSecret, row.config.restUrl], ['binance_one', 'one', true, SECRET, 'http://127.0.0.1:8600']);
    assert.equal((await readMarketDataAccount(home, 'binance'))?.accountId, 'binance_one');
    await assert.rejects(readAccount(home, 'binance', 'two'), (e: unknown) => e instanceof Error && e.message === 'account binance_two not found; add it with kfc account -s binance add' && (e as { exitCode?: number }).exitCode === 2);
  });
});
