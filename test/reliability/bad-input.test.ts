/**
 * The bad-input table: what a user, a file, the exchange or another process can get wrong, and
 * what kungfu-ts answers. Each row asserts one clear line (no stack trace), the exit code or the
 * error, and, where data is at stake, that nothing was lost. Other tests go deeper into each part;
 * this one walks the whole surface in one place.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, readdirSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BinanceRest } from '../../src/gateway/binance/common/rest.js';
import { hmacCredentials } from '../../src/gateway/binance/common/credentials.js';
import { journalDir, Locations } from '../../src/journal/location.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { RiskSettingsFile, riskSettingsPath } from '../../src/ledger/settings.js';
import { parseDecimal } from '../../src/model/decimal.js';
import { kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { openControl } from '../fixtures/control.js';
import { readToken } from '../../src/master/auth.js';
import { MAX_LINE_TO_MASTER } from '../../src/master/protocol.js';
import { fillTestPayload, TEST_MSG_TYPE, TEST_PAYLOAD, readTestSeqs } from '../fixtures/frames.js';
import { freePort, recordingLogger, tmpHome, waitFor, WARN } from '../helpers.js';

interface Row {
  what: string;
  args: string[];
  env?: Record<string, string>;
  status: number;
  line: RegExp;
}

/** `kfc` answers: exit code, and exactly one line on stderr (no stack trace). */
async function expectLine(row: Row, env: Record<string, string>): Promise<void> {
  const r = await kfcRun(row.args, { ...env, ...row.env });
  assert.equal(r.status, row.status, `${row.what}: exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${row.what}: one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, row.line, row.what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${row.what}: no stack trace`);
}

describe('bad input, across the surface', { timeout: 240_000 }, () => {
  const home = tmpHome();
  const dir = join(home, 'inputs');
  const env = { KF_HOME: home, KF_MASTER_PORT: '1' };
  before(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'secret'), 'kfts-bad-input-secret');
    writeFileSync(join(dir, 'broken.json'), '{');
    writeFileSync(join(dir, 'wrong-type.json'), '{"symbols": 5}');
    writeFileSync(join(dir, 'unknown-key.json'), '{"nope": 1}');
    writeFileSync(join(dir, 'not-strategy.ts'), 'export const x = 1;\n');
    writeFileSync(join(dir, 'syntax.ts'), 'export function onQuote(ctx) {\n  if (\n}\n');
    writeFileSync(join(dir, 'throws-on-load.js'), 'throw new Error("boom at load");\nexport function onQuote() {}\n');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
  });

  const rows: Row[] = [
    // The command line.
    { what: 'unknown command', args: ['nonsense'], status: 2, line: /^kfc: unknown command 'nonsense' \(see kfc --help\)$/ },
    { what: 'unknown log level', args: ['-l', 'loud', 'status'], status: 2, line: /^kfc: option '-l, --log-level <level>' argument 'loud' is invalid\. Allowed choices are trace, debug, info, warning, error/ },
    { what: 'missing required option', args: ['td', '-s', 'binance'], status: 2, line: /^kfc: required option '-a, --account <account>' not specified/ },
    { what: 'a number that is not one', args: ['status', '--timeout', 'abc'], status: 2, line: /^kfc: --timeout "abc" is not a number of seconds from 0 to 86400$/ },
    { what: 'a port out of range', args: ['sim', '--port', '99999'], status: 2, line: /^kfc: --port "99999" is not a whole number from 1 to 65535$/ },
    { what: 'KF_SIM_PORT not a port', args: ['sim'], env: { KF_SIM_PORT: 'abc' }, status: 2, line: /^kfc: KF_SIM_PORT "abc" is not a whole number from 1 to 65535$/ },
    { what: 'KF_MASTER_PORT not a port', args: ['status'], env: { KF_MASTER_PORT: 'abc' }, status: 2, line: /^kfc: master port \(--port or KF_MASTER_PORT\) "abc" is not a whole number/ },
    { what: 'master unreachable', args: ['status'], status: 1, line: /^kfc: cannot reach the master at 127\.0\.0\.1:1 \(.*\): is it running\? Start it with: kfc master/ },
    { what: 'halt with the master down', args: ['ledger', 'halt', '--strategy', 'demo_spot'], status: 1, line: /^kfc: cannot reach the master at 127\.0\.0\.1:1/ },
    { what: 'halt of an account that does not exist', args: ['ledger', 'halt', '--account', 'my_account'], status: 2, line: /^kfc: no account my_account in .*: accounts are named <source>_<name> \(kfc account list shows them\)$/ },
    { what: 'halt of two scopes', args: ['ledger', 'halt', '--account', 'a', '--strategy', 'b'], status: 1, line: /^kfc: give --account or --strategy, not both/ },
    { what: 'unknown Binance preset', args: ['md', '-s', 'binance', '--preset', 'nowhere'], status: 2, line: /^kfc: unknown Binance preset "nowhere" \(from --preset\)/ },
    { what: 'a URL of the wrong scheme', args: ['md', '-s', 'binance', '--rest-url', 'ftp://x'], status: 2, line: /^kfc: --rest-url "ftp:\/\/x" must start with https:\/\/ or http:\/\/$/ },
    { what: 'unknown history table', args: ['ledger', 'history', 'fills'], status: 2, line: /^kfc: unknown history "fills": use one of orders, trades, assets, positions$/ },
    { what: 'a time that is not one', args: ['ledger', 'history', 'trades', '--since', 'yesterday'], status: 2, line: /^kfc: --since: "yesterday" is not a time/ },
    { what: 'a row limit of 0', args: ['ledger', 'history', 'trades', '--limit', '0'], status: 2, line: /^kfc: --limit "0" is not a whole number of rows from 1 to 1000000$/ },
    { what: 'history before any ledger ran', args: ['ledger', 'history', 'orders'], status: 1, line: /^kfc: no ledger history in .* yet: the ledger writes it while it runs/ },
    { what: 'a location part with a slash', args: ['td', '-s', 'bin/ance', '-a', 'x'], status: 1, line: /^kfc: bad location group "bin\/ance": use 1-64 letters/ },
    { what: 'KF_HOME under a file', args: ['-H', '/etc/hostname/kf', 'ledger'], status: 1, line: /^kfc: KF_HOME \/etc\/hostname\/kf is not writable \(ENOTDIR\)/ },
    // Accounts.
    { what: 'a TD for an account not added', args: ['td', '-s', 'binance', '-a', 'nobody'], status: 2, line: /^kfc: account binance_nobody not found; add it with kfc account -s binance add$/ },
    { what: 'showing an account not added', args: ['account', '-s', 'binance', 'show', '-a', 'nobody'], status: 2, line: /^kfc: account binance_nobody not found/ },
    { what: 'a secret file that is not there', args: ['account', '-s', 'binance', 'add', '-a', 'x', '--key', 'k', '--secret-file', '/nonexistent'], status: 2, line: /^kfc: cannot read the secret from \/nonexistent \(ENOENT\)$/ },
    { what: 'two kinds of key at once', args: ['account', '-s', 'binance', 'add', '-a', 'x', '--key', 'k', '--secret-file', '/etc/hostname', '--ed25519-key-file', '/etc/hostname'], status: 2, line: /^kfc: give one of --secret-file, --secret-stdin, --ed25519-key-file, --ed25519-key-stdin$/ },
    { what: 'an account name with a space', args: ['account', '-s', 'binance', 'add', '-a', 'a b', '--key', 'k', '--secret-file', '/etc/hostname'], status: 2, line: /^kfc: bad account name "a b"/ },
    { what: 'an unknown endpoint preset', args: ['account', '-s', 'binance', 'add', '-a', 'y', '--key', 'k', '--secret-file', '/etc/hostname', '--preset', 'mars'], status: 2, line: /^kfc: unknown preset "mars"/ },
    { what: 'a recvWindow past Binance\'s limit', args: ['account', '-s', 'binance', 'add', '-a', 'y', '--key', 'k', '--secret-file', '/etc/hostname', '--recv-window', '999999'], status: 2, line: /^kfc: --recv-window "999999" is not a whole number of milliseconds from 1 to 60000$/ },
    // Config files.
    { what: 'sim config: broken JSON', args: ['sim', '--config', 'inputs/broken.json'], status: 1, line: /^kfc: sim config inputs\/broken\.json: .*JSON/ },
    { what: 'sim config: a field of the wrong type', args: ['sim', '--config', 'inputs/wrong-type.json'], status: 1, line: /^kfc: sim config inputs\/wrong-type\.json: symbols: .*expected array/ },
    { what: 'sim config: an unknown field', args: ['sim', '--config', 'inputs/unknown-key.json'], status: 1, line: /^kfc: sim config inputs\/unknown-key\.json: .*Unrecognized key: "nope"/ },
    { what: 'sim --account: too few parts', args: ['sim', '--account', 'x:y'], status: 1, line: /^kfc: --account "x:y:\.\.\.": expected name:apiKey:hmacSecret/ },
    // Strategy files (checked before the process registers: no master needed).
    { what: 'strategy: no such file', args: ['strategy', '-s', 's1', '-p', '/nonexistent.ts'], status: 1, line: /^kfc: strategy file \/nonexistent\.ts not found: check the -p path$/ },
    { what: 'strategy: not a strategy', args: ['strategy', '-s', 's1', '-p', 'inputs/not-strategy.ts'], status: 1, line: /^kfc: strategy file inputs\/not-strategy\.ts is not a strategy: it exports no known callback \(it exports x\)/ },
    { what: 'strategy: a syntax error', args: ['strategy', '-s', 's1', '-p', 'inputs/syntax.ts'], status: 1, line: /^kfc: strategy file inputs\/syntax\.ts failed to compile: .*syntax\.ts:3:1: Unexpected "\}"$/ },
    { what: 'strategy: throws while loading', args: ['strategy', '-s', 's1', '-p', 'inputs/throws-on-load.js'], status: 1, line: /boom at load/ },
    { what: 'strategy: not .ts or .js', args: ['strategy', '-s', 's1', '-p', 'inputs/notes.txt'], status: 1, line: /^kfc: strategy file .*notes\.txt must be \.ts or \.js \(got "\.txt"\)$/ },
  ];

  it(`the command line, accounts, config and strategy files: ${rows.length} inputs, each one clear line`, async () => {
    for (const row of rows) {
      // Relative paths are relative to KF_HOME's inputs/ parent: run there.
      const r = { ...row, args: row.args.map((a) => (a.startsWith('inputs/') ? join(home, a) : a)), line: new RegExp(row.line.source.replaceAll('inputs\\/', `${home.replaceAll('/', '\\/')}\\/inputs\\/`)) };
      await expectLine(r, env);
    }
    assert.ok(rows.length >= 30);
  });

  it('risk settings: broken JSON, a negative limit, an unknown field: one line naming it, the limits in force stay', () => {
    const errors: string[] = [];
    const file = new RiskSettingsFile(home, (m) => errors.push(m), () => {});
    mkdirSync(join(riskSettingsPath(home), '..'), { recursive: true });
    writeFileSync(riskSettingsPath(home), JSON.stringify({ limits: { maxOrderNotional: '500' } }));
    file.refresh();
    assert.equal(file.limitsFor('s', 'a').maxOrderNotional, parseDecimal('500'));
    for (const [text, re] of [
      ['{', /risk\.json.*JSON/],
      [JSON.stringify({ limits: { maxOrderNotional: '-5' } }), /maxOrderNotional/],
      [JSON.stringify({ limits: { maxOrderNotional: '5', nope: 1 } }), /nope/],
    ] as const) {
      const before = errors.length;
      writeFileSync(riskSettingsPath(home), text);
      utimesSync(riskSettingsPath(home), new Date(), new Date(Date.now() + 1000 * (before + 1))); // a new mtime: re-read
      file.refresh();
      assert.equal(errors.length, before + 1, `one error for ${text}`);
      assert.match(errors.at(-1)!, re);
      assert.equal(errors.at(-1)!.split('\n').length, 1);
      assert.equal(file.limitsFor('s', 'a').maxOrderNotional, parseDecimal('500'), 'the limits in force stay');
    }
  });

  it('journal files: a torn tail, garbage after the frames, a page of another version or size: reported, the frames before it kept', () => {
    const location = Locations.md('binance');
    for (const damage of ['torn tail', 'garbage tail', 'wrong version', 'wrong size'] as const) {
      const h = tmpHome();
      const log = recordingLogger();
      const w = JournalWriter.open({ home: h, location, log });
      for (let seq = 0; seq < 100; seq++) {
        const at = w.beginFrame(TEST_MSG_TYPE, TEST_PAYLOAD);
        fillTestPayload(w.buf, at, seq);
        w.commitFrame(0n);
      }
      w.close();
      const dirPath = journalDir(h, location);
      const page = join(dirPath, readdirSync(dirPath).find((f) => f.endsWith('.journal'))!);
      const bytes = readFileSync(page);
      if (damage === 'torn tail') truncateSync(page, 4096 + 100 * 8);
      if (damage === 'garbage tail') {
        const end = bytes.indexOf(Buffer.alloc(64), 4096); // the first zeroes after the frames
        bytes.fill(0x5a, end, end + 256);
        writeFileSync(page, bytes);
      }
      if (damage === 'wrong version') (bytes.writeUInt32LE(99, 4), writeFileSync(page, bytes));
      if (damage === 'wrong size') truncateSync(page, bytes.length / 2);
      const readLog = recordingLogger();
      if (damage === 'wrong version') {
        // A whole page this kfc cannot read: refused, naming the page and what to do; nothing is rewritten.
        assert.throws(() => readTestSeqs(h, readLog, location), /^JournalError: journal page .*00000000\.1\.journal has format version 99, but this kfc reads version 1; read it with the kfc that wrote it, or move it out of the way$/);
        assert.deepEqual(readFileSync(page), bytes, 'the page is left as it was');
        continue;
      }
      const seqs = readTestSeqs(h, readLog, location);
      assert.ok(seqs.every((s, i) => s === i), `${damage}: only whole frames, in order`);
      if (damage === 'garbage tail') assert.equal(seqs.length, 100, 'garbage after the frames: every frame kept');
      const warnings = readLog.messages(WARN);
      if (damage !== 'torn tail') assert.ok(warnings.length > 0, `${damage}: reported`);
      for (const m of warnings) assert.equal(m.split('\n').length, 1, `${damage}: one line`);
    }
  });
});

describe('bad answers from the exchange', () => {
  let server: Server;
  let base: string;
  let answer: (res: import('node:http').ServerResponse) => void = () => {};
  before(async () => {
    server = createServer((_req, res) => answer(res)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  for (const [what, respond, re] of [
    ['malformed JSON with 200', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"orderId": 1,'), /GET \/api\/v3\/account: HTTP 200 with a body that is not JSON: the outcome is unknown/],
    ['an HTML error page (502)', (res) => res.writeHead(502, { 'content-type': 'text/html' }).end(`<html>\n<body>${'Bad Gateway '.repeat(1000)}</body>\n</html>`), /^GET \/api\/v3\/account: HTTP 502: <html> <body>Bad Gateway .{0,80}: the outcome is unknown$/],
    ['a truncated body', (res) => { res.writeHead(200, { 'content-length': '100' }); res.write('{"balances": ['); res.socket?.destroy(); }, /^GET 127\.0\.0\.1:\d+\/api\/v3\/account: ECONNRESET: the outcome is unknown$/],
    ['an empty 200', (res) => res.writeHead(200).end(''), /HTTP 200 with a body that is not JSON/],
    ['an error without a code', (res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"message": "nope"}'), /^HTTP 400: \{"message": "nope"\}$/],
    ['a Binance error over two lines', (res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"code": -1100, "msg": "Illegal characters\\nfound"}'), /^Illegal characters found$/],
  ] as const satisfies readonly [string, (res: import('node:http').ServerResponse) => void, RegExp][]) {
    it(`${what}: an error naming the request, one line`, async () => {
      answer = respond;
      const rest = new BinanceRest({ base, credentials: hmacCredentials('k', 's'), log: recordingLogger() });
      const err = await rest.call('GET', '/api/v3/account', {}, { signed: true }).then(() => undefined, (e: Error) => e);
      assert.ok(err, 'refused');
      assert.match(err.message, re);
      assert.equal(err.message.split('\n').length, 1);
    });
  }
});

describe('bad messages to the master', { timeout: 60_000 }, () => {
  it('a garbage line, a huge line, a lying pid: dropped or refused with a log line, and the master serves on', async () => {
    const home = tmpHome();
    const e = { KF_HOME: home, KF_MASTER_PORT: String(await freePort()) };
    const master = kfcProcess(['master'], e);
    after(() => void (master.proc.exitCode === null && master.proc.kill('SIGKILL')));
    await master.line(/master listening on/);
    for (const [bytes, logged] of [
      ['this is not json\n', /dropped the control connection from 127\.0\.0\.1:\d+: a line that is not JSON/],
      [Buffer.alloc(MAX_LINE_TO_MASTER + 1024, 0x61), /dropped the control connection from 127\.0\.0\.1:\d+: .*line/],
      [`${JSON.stringify({ type: 'register', location: 'strategy/default/liar/live', pid: 1, journal: '' })}\n`, /refused|pid/],
    ] as const) {
      const { socket } = await openControl(e.KF_MASTER_PORT, { authorization: `Bearer ${readToken(home)}` });
      assert.ok(socket);
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.on('error', () => {});
      socket.resume();
      socket.write(bytes);
      await waitFor('the master to drop or refuse it', () => closed || master.lines.some((l) => logged.test(l)));
      await master.line(logged);
    }
    for (const l of master.lines) assert.doesNotMatch(l, /^\s+at /, 'no stack trace');
    const r = await kfcRun(['status'], e);
    assert.equal(r.status, 0, 'the master serves on');
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
  });
});
