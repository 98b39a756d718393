import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readTestSeqs } from '../fixtures/frames.js';
import { runFixture } from '../fixtures/child.js';
import { recordingLogger, tmpHome } from '../helpers.js';

const LOC = 'md/binance/binance/live';

describe('journal across processes', { timeout: 180_000 }, () => {
  it('one writer, two readers: 100k frames, each received once, whole and in order, by both', async () => {
    const home = tmpHome();
    const N = 100_000;
    const writer = runFixture('journal-writer.ts', [home, LOC, String(N), String(4 << 20)], { KF_TEST_WAIT_GO: '1' });
    await writer.line(/^ready$/);
    const readers = [0, 1].map(() => runFixture('journal-reader.ts', [home, LOC, String(N)]));
    for (const r of readers) await r.line(/^ready$/);
    writer.proc.stdin.write('go\n');
    assert.match(await writer.line(/^done /, 120_000), /^done 100000$/);
    for (const r of readers) {
      const result = JSON.parse(await r.line(/^\{/, 120_000));
      assert.deepEqual(result, { received: N, inOrder: true, corrupt: 0 });
      assert.equal((await r.exited).code, 0);
    }
    assert.equal((await writer.exited).code, 0);
  });

  it('a writer killed with SIGKILL mid-stream leaves only whole frames, and a new writer appends after them', async () => {
    const home = tmpHome();
    const writer = runFixture('journal-writer.ts', [home, LOC, 'forever', String(64 * 1024)]);
    await writer.line(/^wrote 20000$/, 60_000);
    writer.proc.kill('SIGKILL');
    assert.equal((await writer.exited).signal, 'SIGKILL');

    const read = () => readTestSeqs(home, recordingLogger());
    const before = read();
    assert.ok(before.length >= 20_000, `at least the 20000 frames reported, got ${before.length}`);
    before.forEach((s, i) => assert.equal(s, i, `frame ${i} whole and in sequence`));

    // The lock of the killed writer is stale: a new writer takes over and continues.
    const next = runFixture('journal-writer.ts', [home, LOC, '1000', String(64 * 1024), String(before.length)]);
    assert.match(await next.line(/^done /), /^done 1000$/);
    assert.equal((await next.exited).code, 0);
    const after = read();
    assert.equal(after.length, before.length + 1000);
    after.forEach((s, i) => assert.equal(s, i));
  });

  it('a second writer process on the same journal is refused with one clear line', async () => {
    const home = tmpHome();
    const first = runFixture('journal-writer.ts', [home, LOC, '1'], { KF_TEST_WAIT_GO: '1' });
    await first.line(/^ready$/);
    const second = runFixture('journal-writer.ts', [home, LOC, '1']);
    const { code } = await second.exited;
    assert.notEqual(code, 0);
    assert.match(second.stderr(), /already being written by pid \d+/);
    first.proc.stdin.write('go\n');
    assert.equal((await first.exited).code, 0);
  });
});
