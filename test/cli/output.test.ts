/**
 * kfc's output as Unix tools behave: a reader that goes away (`| head -1`) ends the command quietly
 * with exit code 0; help and the README say only what is true.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Locations } from '../../src/journal/location.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { MsgType, Quote } from '../../src/model/events.js';
import { KFC, kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { freePort, recordingLogger, tmpHome } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs kfc with its stdout a pipe whose reader is gone before kfc writes: exit code and stderr. */
function withReaderGone(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, [KFC, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.destroy(); // our end of the pipe closes: kfc's first write fails with EPIPE
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stderr })));
}

describe('kfc output into a closed pipe', { timeout: 120_000 }, () => {
  it('kfc journal | head -1: one line out, then exit 0 and nothing on stderr', () => {
    const home = tmpHome();
    const w = JournalWriter.open({ home, location: Locations.md('binance'), log: recordingLogger() });
    const q = Quote.empty();
    q.symbol = 'BTCUSDT';
    for (let i = 0; i < 5000; i++) w.write(MsgType.Quote, Quote, q); // megabytes of JSON: far past a pipe's buffer
    w.close();
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${KFC}" -H "${home}" journal 2>"${home}/stderr" | head -1; echo "kfc exit \${PIPESTATUS[0]}"; cat "${home}/stderr"`], { encoding: 'utf8' });
    const [first, exit, ...rest] = r.stdout.split('\n');
    assert.equal(JSON.parse(first!).type, 'Quote');
    assert.equal(exit, 'kfc exit 0');
    assert.deepEqual(rest, [''], 'nothing on stderr');
  });

  it('kfc status and kfc --help whose reader is gone: exit 0, nothing on stderr', async () => {
    const env = { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
    const master = kfcProcess(['master'], env);
    after(() => void (master.proc.exitCode === null && master.proc.kill('SIGKILL')));
    await master.line(/master listening on/);
    assert.deepEqual(await withReaderGone(['status'], env), { code: 0, stderr: '' });
    assert.deepEqual(await withReaderGone(['status', '--json'], env), { code: 0, stderr: '' });
    assert.deepEqual(await withReaderGone(['--help']), { code: 0, stderr: '' });
    assert.equal((await kfcRun(['shutdown'], env)).status, 0);
    await master.exited;
  });
});

describe('help and README say what is true', () => {
  const help = (args: string[]) => spawnSync(process.execPath, [KFC, ...args, '--help'], { encoding: 'utf8' }).stdout;
  const commands = [...help([]).matchAll(/^ {2}([a-z]+)(?: \[options\])?\s/gm)].map((m) => m[1]!).filter((c) => c !== 'help');

  it('every "kfc <command>" that help mentions exists', () => {
    assert.ok(commands.includes('master') && commands.includes('sim') && commands.includes('journal'), commands.join(', '));
    for (const c of ['', ...commands]) {
      const text = help(c ? [c] : []);
      for (const m of text.matchAll(/\bkfc ([a-z]+)\b/g)) assert.ok(commands.includes(m[1]!), `kfc ${c} --help mentions "kfc ${m[1]}", which does not exist`);
    }
  });

  it('kfc sim --help names what the sim serves; kfc td --help says where accounts come from', () => {
    const sim = help(['sim']).replace(/\s+/g, ' ');
    assert.match(sim, /REST API, market streams and WS API/);
    assert.doesNotMatch(sim, /in this build/);
    assert.match(sim, /--host <address> +address to listen on \(the sim's own, not the master's\)/);
    assert.match(help(['td']).replace(/\s+/g, ' '), /account name, e\.g\. my_account \(add it first: kfc account -s binance add\)/);
  });

  it("the README's layout lists every directory under src/", () => {
    const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
    const layout = /## Layout\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const listed = new Set([...layout.matchAll(/\bsrc\/([a-z]+)\//g)].map((m) => m[1]!));
    const dirs = readdirSync(`${ROOT}/src`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    for (const d of dirs) assert.ok(listed.has(d), `README's layout omits src/${d}/`);
  });
});
