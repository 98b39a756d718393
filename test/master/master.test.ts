import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { Deregister, MsgType, Register } from '../../src/model/events.js';
import { kfcProcess, kfcRun, type KfcEnv } from '../fixtures/kfc.js';
import { runFixture } from '../fixtures/child.js';
import { alive, freePort, masterRegistry, recordingLogger, tmpHome, waitFor } from '../helpers.js';

async function env(): Promise<KfcEnv> {
  return { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
}

/** Register and Deregister events from the master's journal, in order. */
function masterEvents(home: string): { type: 'register' | 'deregister'; location: string; reason?: string; time: bigint }[] {
  const r = new JournalReader({ home, log: recordingLogger() });
  r.join(Locations.master());
  const out: { type: 'register' | 'deregister'; location: string; reason?: string; time: bigint }[] = [];
  for (let f = r.next(); f; f = r.next()) {
    if (f.msgType === MsgType.Register) out.push({ type: 'register', location: f.decode(Register).location, time: f.genTime });
    if (f.msgType === MsgType.Deregister) {
      const d = f.decode(Deregister);
      out.push({ type: 'deregister', location: d.location, reason: d.reason, time: f.genTime });
    }
  }
  r.close();
  return out;
}

/**
 * A Binance account whose exchange is not there (a refused port): its trading gateway registers,
 * runs and stops in order, and keeps retrying the exchange meanwhile, which these tests ignore.
 */
async function addOfflineAccount(e: KfcEnv, account: string): Promise<void> {
  const secret = join(e.KF_HOME, `${account}.secret`);
  writeFileSync(secret, 'offline-secret', { mode: 0o600 });
  const r = await kfcRun(['account', 'add', '-a', account, '--key', 'offline-key', '--secret-file', secret, '--preset', 'sim:1'], e);
  assert.equal(r.status, 0, r.stderr);
}

const status = (e: KfcEnv) => masterRegistry(e.KF_MASTER_PORT);

describe('master and process lifecycle', { timeout: 120_000 }, () => {
  it('a process started without a master waits with a clear line, then registers when it comes up', async () => {
    const e = await env();
    const ledger = kfcProcess(['ledger'], e);
    await ledger.line(new RegExp(`waiting for master at 127\\.0\\.0\\.1:${e.KF_MASTER_PORT} \\(ECONNREFUSED\\); start it first: kfc master`));
    assert.equal(ledger.proc.exitCode, null, 'still running, not crash-looping');
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    await ledger.line(/system\/service\/ledger\/live ready/);
    const rows = await status(e);
    assert.deepEqual(rows.map((r) => r.location).sort(), ['system/master/master/live', 'system/service/ledger/live']);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await ledger.exited).code, 0);
    assert.equal((await master.exited).code, 0);
  });

  it('a second master on the same port fails with "port in use", one line, non-zero', async () => {
    const e = await env();
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    const second = await kfcRun(['master'], e);
    assert.notEqual(second.status, 0);
    assert.equal(second.stderr, `kfc: port ${e.KF_MASTER_PORT} in use on 127.0.0.1: another master (or another program) is listening there; stop it, or choose another port with --port or KF_MASTER_PORT\n`);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await master.exited).code, 0);
  });

  it('refuses a duplicate location; the duplicate exits non-zero with the reason', async () => {
    const e = await env();
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    await addOfflineAccount(e, 'acct1');
    const first = kfcProcess(['td', '-s', 'binance', '-a', 'acct1'], e);
    await first.line(/td\/binance\/acct1\/live ready/);
    const dup = await kfcRun(['td', '-s', 'binance', '-a', 'acct1'], e);
    assert.equal(dup.status, 2);
    assert.match(dup.stderr, /^kfc: the master refused to register td\/binance\/acct1\/live: location td\/binance\/acct1\/live is already registered by pid \d+; stop that process first/);
    assert.equal(dup.stderr.trim().split('\n').length, 1);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await first.exited).code, 0);
    await master.exited;
  });

  it('deregisters a SIGKILLed process as lost or dead (never "stopped"); it may register again', async () => {
    const e = await env();
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    const ledger = kfcProcess(['ledger'], e);
    await ledger.line(/ready/);
    ledger.proc.kill('SIGKILL');
    // How fast is bench territory; here only that it happens, on its own, while the master runs.
    await waitFor('the ledger to be deregistered', async () => !(await status(e)).some((r) => r.location === 'system/service/ledger/live'), 30_000);
    const again = kfcProcess(['ledger'], e);
    await again.line(/ready/);
    assert.equal((await status(e)).find((r) => r.location === 'system/service/ledger/live')?.pid, again.proc.pid);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await master.exited;
    const events = masterEvents(e.KF_HOME).filter((ev) => ev.location === 'system/service/ledger/live');
    // The socket's close and the pid check race to notice the kill: either reason is right.
    assert.deepEqual(events.map((ev) => ev.type), ['register', 'deregister', 'register', 'deregister']);
    assert.match(events[1]!.reason!, /^(connection lost|process died)$/);
    assert.equal(events[3]!.reason, 'stopped');
  });

  it('shuts down in order: strategies, gateways, ledger, master; hooks run; exit codes 0', async () => {
    const e = await env();
    const strategyFile = join(e.KF_HOME, 'hooks_strategy.ts');
    writeFileSync(
      strategyFile,
      `export const preStart = (ctx: any) => ctx.log.info('hook preStart');
       export const postStart = (ctx: any) => ctx.log.info('hook postStart');
       export const preStop = (ctx: any) => ctx.log.info('hook preStop');
       export const postStop = (ctx: any) => ctx.log.info('hook postStop');\n`,
    );
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    await addOfflineAccount(e, 'acct');
    const procs = [
      kfcProcess(['ledger'], e),
      kfcProcess(['md', '-s', 'binance'], e),
      kfcProcess(['td', '-s', 'binance', '-a', 'acct'], e),
      kfcProcess(['strategy', '-s', 'hooks', '-p', strategyFile], e),
    ];
    for (const p of procs) await p.line(/ ready \(pid/);
    const strategy = procs[3]!;
    assert.ok(strategy.lines.some((l) => /hook preStart/.test(l)) && strategy.lines.some((l) => /hook postStart/.test(l)));
    const down = await kfcRun(['shutdown'], e);
    assert.equal(down.status, 0, down.stderr);
    for (const p of procs) assert.equal((await p.exited).code, 0);
    assert.equal((await master.exited).code, 0);
    assert.ok(strategy.lines.some((l) => /hook preStop/.test(l)) && strategy.lines.some((l) => /hook postStop/.test(l)));
    const order = masterEvents(e.KF_HOME).filter((ev) => ev.type === 'deregister');
    assert.ok(order.every((ev) => ev.reason === 'stopped'), order.map((ev) => `${ev.location}: ${ev.reason}`).join(', '));
    const rank = (l: string) => (l.startsWith('strategy/') ? 0 : l.startsWith('md/') || l.startsWith('td/') ? 1 : 2);
    const ranks = order.map((ev) => rank(ev.location));
    assert.deepEqual(ranks, [...ranks].sort(), `stop order ${order.map((ev) => ev.location).join(', ')}`);
    assert.equal(order.length, 4);
    // The master's log in KF_HOME has the phases too.
    const log = readFileSync(join(e.KF_HOME, 'log', 'master.log'), 'utf8');
    assert.match(log, /shutdown phase 1\/3 \(strategies\)[\s\S]*shutdown phase 2\/3 \(gateways\)[\s\S]*shutdown phase 3\/3 \(services\)[\s\S]*master stopped/);
    for (const p of procs) assert.ok(!alive(p.proc.pid!));
  });

  it('names and kills a process that does not stop within the phase timeout, then goes on', async () => {
    const e = await env();
    const master = kfcProcess(['master', '--phase-timeout', '500'], e);
    await master.line(/master listening on/);
    const stubborn = runFixture('registrant.ts', [], e);
    await stubborn.line(/^registered$/);
    const ledger = kfcProcess(['ledger'], e);
    await ledger.line(/ready \(pid/);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.match(await stubborn.line(/^stop ignored$/), /stop ignored/);
    assert.equal((await stubborn.exited).signal, 'SIGKILL');
    assert.equal((await ledger.exited).code, 0, 'the next phase still ran');
    assert.equal((await master.exited).code, 0);
    assert.ok(
      master.lines.some((l) => new RegExp(`ERROR \\(master\\): shutdown phase strategies: still running after 500 ms: strategy/default/stubborn/live \\(pid ${stubborn.proc.pid}\\); killing them`).test(l)),
      master.lines.join('\n'),
    );
  });

  it('SIGINT to one process stops just that one, cleanly', async () => {
    const e = await env();
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    const ledger = kfcProcess(['ledger'], e);
    const md = kfcProcess(['md', '-s', 'binance'], e);
    await ledger.line(/ready \(pid/);
    await md.line(/ready \(pid/);
    md.proc.kill('SIGINT');
    assert.equal((await md.exited).code, 0);
    await waitFor('md deregistered', async () => !(await status(e)).some((r) => r.location.startsWith('md/')));
    assert.ok((await status(e)).some((r) => r.location === 'system/service/ledger/live'));
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await master.exited;
    const md_events = masterEvents(e.KF_HOME).filter((ev) => ev.location.startsWith('md/'));
    assert.equal(md_events.at(-1)?.reason, 'stopped');
  });

  it('SIGINT to the ledger alone while a strategy runs: it stops at once (the shutdown order is for the stack\'s shutdown)', async () => {
    const e = await env();
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    const strategy = runFixture('registrant.ts', ['--location=strategy/default/alive/live', '--on-stop=exit'], e);
    await strategy.line(/^registered$/);
    const ledger = kfcProcess(['ledger'], e);
    await ledger.line(/ready \(pid/);
    ledger.proc.kill('SIGINT');
    assert.equal((await ledger.exited).code, 0);
    assert.ok(!ledger.lines.some((l) => /stopping once/.test(l)), 'it did not wait for the strategy');
    assert.ok((await status(e)).some((r) => r.location === 'strategy/default/alive/live'), 'the strategy runs on');
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await master.exited;
  });

  it('kfc status prints the registry as a table', async () => {
    const e = await env();
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    const ledger = kfcProcess(['ledger'], e);
    await ledger.line(/ready \(pid/);
    const out = await kfcRun(['status'], e);
    assert.equal(out.status, 0);
    assert.match(out.stdout, /^location\s+pid\s+state\s+uptime\s+memory\s+pm2 name\n/);
    assert.match(out.stdout, new RegExp(`system/service/ledger/live\\s+${ledger.proc.pid}\\s+ready\\s+\\d+s\\s+\\d+\\.\\d MB`));
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await master.exited;
  });
});
