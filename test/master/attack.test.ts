/**
 * The control channel against a hostile peer: a registrant that lies about its pid, a peer that
 * sends a line without end, a master that sends garbage. None of them may make the master signal
 * any process but the registrant itself, or grow memory without bound.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { readToken } from '../../src/master/auth.js';
import { MAX_LINE_TO_MASTER, MAX_LINE_TO_PROCESS } from '../../src/master/protocol.js';
import { Master } from '../../src/master/master.js';
import { MasterClient } from '../../src/runtime/master-client.js';
import { kfcProcess, kfcRun, type KfcEnv } from '../fixtures/kfc.js';
import { runFixture, runNode, type Child } from '../fixtures/child.js';
import { openControl } from '../fixtures/control.js';
import { alive, freePort, masterRegistry, recordingLogger, tmpHome, waitFor, WARN } from '../helpers.js';

const TEN_MB = 10 * 1024 * 1024;

async function env(): Promise<KfcEnv> {
  return { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
}

const registry = (e: KfcEnv) => masterRegistry(e.KF_MASTER_PORT);

/** A master that is SIGKILLed at the end of the test if it is still up (never asked to shut down with a bad entry). */
async function startMaster(e: KfcEnv, args: string[] = []): Promise<Child> {
  const master = kfcProcess(['master', ...args], e);
  after(() => void (master.proc.exitCode === null && master.proc.kill('SIGKILL')));
  await master.line(/master listening on/);
  return master;
}

/** Runs the registrant fixture declaring `pid`; resolves with its first line ("registered" or "refused: ..."). */
async function register(e: KfcEnv, name: string, args: string[]): Promise<{ child: Child; outcome: string }> {
  const child = runFixture('registrant.ts', [`--location=strategy/default/${name}/live`, ...args], e);
  after(() => void (child.proc.exitCode === null && child.proc.kill('SIGKILL')));
  const outcome = await child.line(/^(registered|refused: .*)$/);
  return { child, outcome };
}

describe('control channel: untrusted registrations', { timeout: 120_000 }, () => {
  it('refuses pid 0, -1 and 1 (no process group, no init): by the schema, with the reason', async () => {
    const e = await env();
    const master = await startMaster(e);
    for (const [i, pid] of ['0', '-1', '1'].entries()) {
      const { child, outcome } = await register(e, `group${i}`, [`--pid=${pid}`]);
      if (outcome === 'registered') {
        // Never let such an entry reach a shutdown: it would signal a whole process group.
        child.proc.kill('SIGKILL');
        await waitFor('the bad entry to leave', async () => !(await registry(e)).some((r) => r.pid <= 1));
      }
      assert.equal(outcome, `refused: the master refused to register strategy/default/group${i}/live: bad message: pid: expected an integer from 2 to 4194304, got ${pid}`);
      assert.equal((await child.exited).code, 3);
    }
    assert.ok(master.lines.some((l) => /WARN \(master\): dropped the control connection from 127\.0\.0\.1:\d+: bad message: pid: expected an integer from 2 to 4194304, got -1/.test(l)), master.lines.join('\n'));
    assert.deepEqual((await registry(e)).map((r) => r.location), ['system/master/master/live']);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await master.exited).code, 0);
  });

  it("refuses a dead pid and another live process's pid; the shutdown signals neither (only the registrant's own pid is ever killed)", async () => {
    const e = await env();
    const master = await startMaster(e, ['--phase-timeout', '300']);
    const victim = runNode(['-e', 'setInterval(() => {}, 1000); process.stdout.write("up\\n")']);
    after(() => void (victim.proc.exitCode === null && victim.proc.kill('SIGKILL')));
    await victim.line(/^up$/);
    const gone = runNode(['-e', '']);
    await gone.exited;
    const deadPid = gone.proc.pid!;
    assert.ok(!alive(deadPid));

    const claimsVictim = await register(e, 'claims-victim', [`--pid=${victim.proc.pid}`]);
    const claimsDead = await register(e, 'claims-dead', [`--pid=${deadPid}`]);
    // A registrant that claims its own pid and ignores the stop order: the only process the
    // master may kill.
    const stubborn = await register(e, 'stubborn', []);
    assert.equal(stubborn.outcome, 'registered');

    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await master.exited).code, 0);
    assert.equal((await stubborn.child.exited).signal, 'SIGKILL', 'the verified registrant that ignored stop was killed');
    assert.ok(alive(victim.proc.pid!), 'the process whose pid was claimed is alive');
    assert.match(claimsVictim.outcome, new RegExp(`^refused: .*: pid ${victim.proc.pid} does not hold this connection \\(from 127\\.0\\.0\\.1:\\d+\\): a process may register only its own pid$`));
    assert.match(claimsDead.outcome, new RegExp(`^refused: .*: pid ${deadPid} is not a running process$`));
  });

  it('a first message that is not a registration, or not JSON: the master drops the connection with a log line', async () => {
    const e = await env();
    const master = await startMaster(e);
    for (const [line, reason] of [
      ['{"type":"stopping"}', 'unexpected stopping message'],
      ['GET / HTTP/1.1', 'a line that is not JSON'],
      ['{"type":"register","location":"strategy/default/x/live","pid":' + process.pid + ',"journal":"","uid":7}', 'bad message: uid: unknown field'],
    ]) {
      const { socket } = await openControl(e.KF_MASTER_PORT, { authorization: `Bearer ${readToken(e.KF_HOME)}` });
      assert.ok(socket);
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.on('error', () => {});
      socket.resume(); // read what the master sends, so its end reaches us
      socket.write(line + '\n');
      await waitFor(`the master to drop the connection after ${line}`, () => closed);
      await master.line(new RegExp(`dropped the control connection from 127\\.0\\.0\\.1:\\d+: ${reason}`));
    }
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    await master.exited;
  });

  it('a connection that does not register, or stays open after its refusal, is dropped after the registration timeout', async () => {
    const log = recordingLogger();
    const home = tmpHome();
    const port = await freePort();
    const master = await Master.start({ home, host: '127.0.0.1', port, log, registrationTimeoutMs: 300 });
    after(() => master.shutdown('test over'));
    const auth = { authorization: `Bearer ${readToken(home)}` };
    const silent = (await openControl(String(port), auth)).socket!;
    const refused = (await openControl(String(port), auth)).socket!;
    const closed = new Set<Socket>();
    for (const s of [silent, refused]) {
      s.on('close', () => closed.add(s));
      s.on('error', () => {});
      s.resume();
    }
    refused.allowHalfOpen = true; // keeps our end open after the master's refusal
    refused.write(JSON.stringify({ type: 'register', location: 'strategy/default/x/live', pid: 2 ** 22, journal: '' }) + '\n');
    await waitFor('the silent connection dropped', () => closed.has(silent));
    await waitFor('both dropped', () => log.messages(WARN).filter((m) => / no registration within 300 ms$/.test(m)).length === 2);
    assert.ok(log.messages(WARN).some((m) => /refused to register strategy\/default\/x\/live \(declared pid 4194304\): pid 4194304 is not a running process/.test(m)));
    // The refused one kept its half open; the master has closed its socket, so writes are reset.
    await waitFor('the refused connection reset', () => closed.has(refused) || (refused.write('x'), false));
    assert.deepEqual(master.processes, []);
  });

  it('a 10 MB line without a newline: the master drops that connection with a log line and serves on', async () => {
    const e = await env();
    const master = await startMaster(e);
    const { socket } = await openControl(e.KF_MASTER_PORT, { authorization: `Bearer ${readToken(e.KF_HOME)}` });
    assert.ok(socket);
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => {}); // the master resets the connection mid-write
    socket.write(Buffer.alloc(TEN_MB, 'a'));
    await waitFor('the master to drop the connection', () => closed, 30_000);
    await master.line(new RegExp(`WARN \\(master\\): dropped the control connection from 127\\.0\\.0\\.1:\\d+: a line longer than ${MAX_LINE_TO_MASTER} characters`));
    // The master still serves and registers.
    const ok = await register(e, 'after', ['--on-stop=exit']);
    assert.equal(ok.outcome, 'registered');
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await ok.child.exited).code, 0);
    assert.equal((await master.exited).code, 0);
  });
});

describe('control channel: an untrusted master', { timeout: 60_000 }, () => {
  /** A fake master that answers the upgrade, then sends `reply` to whoever connects. */
  async function fakeMaster(reply: (socket: Socket) => void): Promise<{ port: number; closedSockets: () => number }> {
    let closedSockets = 0;
    const sockets = new Set<Socket>();
    const server = createServer().on('upgrade', (_req, socket: Socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => closedSockets++);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: kfc-control\r\nConnection: Upgrade\r\n\r\n');
      reply(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });
    return { port: (server.address() as { port: number }).port, closedSockets: () => closedSockets };
  }

  async function clientAgainst(port: number) {
    const log = recordingLogger();
    const client = new MasterClient({
      host: '127.0.0.1',
      port,
      home: tmpHome(),
      log,
      registration: { type: 'register', location: 'strategy/default/victim/live', pid: process.pid, journal: '' },
      onStop: () => assert.fail('no stop order may come from a bad message'),
    });
    const connecting = client.connect();
    const settled = connecting.then(
      () => 'registered',
      (err: Error) => err.message,
    );
    return { log, client, settled };
  }

  it('a 10 MB line without a newline from the master: the process drops the connection with a log line', async () => {
    const fake = await fakeMaster((socket) => socket.write(Buffer.alloc(TEN_MB, 'a')));
    const { log, client, settled } = await clientAgainst(fake.port);
    await waitFor('the process to drop the connection', () => fake.closedSockets() > 0, 30_000);
    const line = await waitFor('the log line', () => log.messages(WARN).find((m) => m.startsWith('dropped the connection to the master')));
    assert.equal(line, `dropped the connection to the master at 127.0.0.1:${fake.port}: it sent a line longer than ${MAX_LINE_TO_PROCESS} characters`);
    await client.close();
    assert.equal(await settled, 'stopped while waiting for the master');
  });

  it('a registry entry that fails its schema (pid -1) is not believed: the process drops the connection', async () => {
    const bad = { type: 'registered', registry: [{ location: 'system/service/ledger/live', uid: 1, pid: -1, journal: '', registeredAt: 0, state: 'ready' }] };
    const fake = await fakeMaster((socket) => socket.write(JSON.stringify(bad) + '\n'));
    const { log, client, settled } = await clientAgainst(fake.port);
    const line = await waitFor('the log line', () => log.messages(WARN).find((m) => m.startsWith('dropped the connection to the master')));
    assert.equal(line, `dropped the connection to the master at 127.0.0.1:${fake.port}: it sent bad message: registry[0].pid: expected an integer from 2 to 4194304, got -1`);
    assert.deepEqual(client.registry, []);
    await client.close();
    assert.equal(await settled, 'stopped while waiting for the master');
  });
});
