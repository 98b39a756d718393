import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { MsgType, SessionStart } from '../../src/model/events.js';
import { runFixture, type Child } from '../fixtures/child.js';
import { kfcProcess, kfcRun, type KfcEnv } from '../fixtures/kfc.js';
import { freePort, recordingLogger, tmpHome } from '../helpers.js';

/** The pids in the SessionStart frames of a process's journal, in order. */
function sessions(home: string, location = Locations.md('binance')): number[] {
  const r = new JournalReader({ home, log: recordingLogger() });
  r.join(location);
  const pids: number[] = [];
  for (let f = r.next(); f; f = r.next()) if (f.msgType === MsgType.SessionStart) pids.push(f.decode(SessionStart).pid);
  r.close();
  return pids;
}

/**
 * A master of a new KF_HOME, and a way to run the stop-hang fixture against it; on a failed
 * assertion nothing is left running to hold the test runner.
 */
async function masterAndFixtures(t: TestContext) {
  const e: KfcEnv = { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
  const master = kfcProcess(['master'], e);
  const started = [master];
  t.after(() => started.forEach((c) => c.proc.exitCode === null && c.proc.kill('SIGKILL')));
  await master.line(/master listening on/);
  const fixture = (args: string[], env: NodeJS.ProcessEnv): Child => {
    const c = runFixture('stop-hang.ts', args, { ...e, ...env });
    started.push(c);
    return c;
  };
  return { e, master, fixture };
}

describe('CLEAR_JOURNAL', { timeout: 120_000 }, () => {
  it('a duplicate process with CLEAR_JOURNAL=1 is refused before it touches the live journal; a restart clears it', async () => {
    const e: KfcEnv = { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    const md = kfcProcess(['md', '-s', 'binance'], e);
    await md.line(/md\/binance\/binance\/live ready/);
    assert.deepEqual(sessions(e.KF_HOME), [md.proc.pid]);

    const duplicate = await kfcRun(['md', '-s', 'binance'], { ...e, CLEAR_JOURNAL: '1' });
    assert.equal(duplicate.status, 2, duplicate.stderr);
    assert.match(duplicate.stderr, /already registered by pid/);
    assert.deepEqual(sessions(e.KF_HOME), [md.proc.pid], 'the live writer\'s journal is intact');

    md.proc.kill('SIGINT');
    assert.equal((await md.exited).code, 0);
    const restarted = kfcProcess(['md', '-s', 'binance'], { ...e, CLEAR_JOURNAL: '1' });
    await restarted.line(/md\/binance\/binance\/live ready/);
    assert.deepEqual(sessions(e.KF_HOME), [restarted.proc.pid], 'cleared, then this session');
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await restarted.exited).code, 0);
    assert.equal((await master.exited).code, 0);

    // The master honours it too (its app file sets it): only the new session is in its journal.
    const again = kfcProcess(['master'], { ...e, CLEAR_JOURNAL: '1' });
    await again.line(/master listening on/);
    assert.deepEqual(sessions(e.KF_HOME, Locations.master()), [again.proc.pid]);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await again.exited).code, 0);
  });

  it('after a crash (kill -9: the session never ended) the journal is kept, to recover from; after a clean stop it is cleared', async () => {
    const e: KfcEnv = { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    const first = kfcProcess(['md', '-s', 'binance'], { ...e, CLEAR_JOURNAL: '1' });
    await first.line(/md\/binance\/binance\/live ready/);
    first.proc.kill('SIGKILL');
    await first.exited;
    const recovering = kfcProcess(['md', '-s', 'binance'], { ...e, CLEAR_JOURNAL: '1' });
    await recovering.line(/md\/binance\/binance\/live ready/);
    assert.deepEqual(sessions(e.KF_HOME), [first.proc.pid, recovering.proc.pid], 'the crashed session is kept');
    await recovering.line(/CLEAR_JOURNAL=1 ignored: the last session of md\/binance\/binance\/live did not end cleanly \(a crash, or a stop that failed\); its journal is kept/);
    recovering.proc.kill('SIGINT');
    assert.equal((await recovering.exited).code, 0);
    const fresh = kfcProcess(['md', '-s', 'binance'], { ...e, CLEAR_JOURNAL: '1' });
    await fresh.line(/md\/binance\/binance\/live ready/);
    assert.deepEqual(sessions(e.KF_HOME), [fresh.proc.pid], 'a clean stop: cleared');
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await fresh.exited).code, 0);
    assert.equal((await master.exited).code, 0);
  });

  it('after a stop that failed (its stop hook timed out) the session is not marked ended, and CLEAR_JOURNAL keeps the journal', async (t) => {
    const { e, master, fixture } = await masterAndFixtures(t);
    const location = Locations.strategy('hang');
    const failed = fixture(['hang'], { KF_TEST_STOP_HANG: '1' });
    await failed.line(/^ready$/);
    failed.proc.kill('SIGINT');
    assert.equal((await failed.exited).code, 1, failed.stderr());
    assert.match(failed.stderr(), /stop did not finish within 300 ms/);
    assert.match(failed.stderr(), /the stop failed, so this session is not marked as ended/);
    const next = fixture(['hang'], { CLEAR_JOURNAL: '1' });
    await next.line(/^ready$/);
    assert.deepEqual(sessions(e.KF_HOME, location), [failed.proc.pid, next.proc.pid], 'the failed session is kept');
    assert.match(next.stderr(), /CLEAR_JOURNAL=1 ignored: the last session of strategy\/default\/hang\/live did not end cleanly/);
    next.proc.kill('SIGINT');
    assert.equal((await next.exited).code, 0, next.stderr());
    // That stop was clean: the next CLEAR_JOURNAL clears.
    const fresh = fixture(['hang'], { CLEAR_JOURNAL: '1' });
    await fresh.line(/^ready$/);
    assert.deepEqual(sessions(e.KF_HOME, location), [fresh.proc.pid]);
    fresh.proc.kill('SIGINT');
    assert.equal((await fresh.exited).code, 0);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await master.exited).code, 0);
  });

  it('after an event loop that failed (a handler threw) the process exits 1 and CLEAR_JOURNAL keeps the journal', async (t) => {
    const { e, master, fixture } = await masterAndFixtures(t);
    const failed = fixture(['thrower'], { KF_TEST_LOOP_THROW: '1' });
    assert.equal((await failed.exited).code, 1, failed.stderr());
    assert.match(failed.stderr(), /event loop failed: a handler bug/);
    const next = fixture(['thrower'], { CLEAR_JOURNAL: '1' });
    await next.line(/^ready$/);
    assert.deepEqual(sessions(e.KF_HOME, Locations.strategy('thrower')), [failed.proc.pid, next.proc.pid], 'the failed session is kept');
    next.proc.kill('SIGINT');
    assert.equal((await next.exited).code, 0, next.stderr());
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    assert.equal((await master.exited).code, 0);
  });
});
