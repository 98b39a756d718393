/**
 * The fsync policy (src/journal/durability.ts): which frames are written to disk (msync) before
 * commitFrame returns, and when the rest is. The disk sync is watched, not replaced: each call
 * still goes to the kernel (msync).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diskSync, parseFsyncPolicy, type FsyncPolicy } from '../../src/journal/durability.js';
import { Locations } from '../../src/journal/location.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { MsgType } from '../../src/model/events.js';
import { recordingLogger, tmpHome, waitFor } from '../helpers.js';

/** Every range the writer asks the kernel to write, while `run` runs. */
async function syncs(run: (w: JournalWriter) => Promise<void> | void, policy: FsyncPolicy, pageSize = 1 << 16): Promise<{ offset: number; length: number }[]> {
  const calls: { offset: number; length: number }[] = [];
  const real = diskSync.sync;
  diskSync.sync = (buf, offset, length) => {
    calls.push({ offset, length });
    real(buf, offset, length);
  };
  try {
    const w = JournalWriter.open({ home: tmpHome(), location: Locations.strategy('durable'), log: recordingLogger(), fsync: policy, pageSize });
    await run(w);
    w.close();
  } finally {
    diskSync.sync = real;
  }
  return calls;
}

const frame = (w: JournalWriter, type: number) => w.writeBytes(type, new Uint8Array(40));

describe('journal fsync policy', () => {
  it('parses none, page, orders, frame and <N>ms; anything else is one clear line', () => {
    assert.deepEqual(parseFsyncPolicy('orders'), { kind: 'orders' });
    assert.deepEqual(parseFsyncPolicy('250ms'), { kind: 'interval', ms: 250 });
    for (const bad of ['always', '0ms', '60001ms', '5s', '']) {
      assert.throws(() => parseFsyncPolicy(bad), /^UserError: KF_JOURNAL_FSYNC ".*" is not an fsync policy: use none, page, orders, frame or <N>ms \(1ms to 60000ms\)$/);
    }
  });

  it('none: never; frame: every frame, each range up to that frame', async () => {
    assert.deepEqual(await syncs((w) => void [1, 2, 3].forEach(() => frame(w, MsgType.Quote)), { kind: 'none' }), []);
    const calls = await syncs((w) => void [1, 2, 3].forEach(() => frame(w, MsgType.Quote)), { kind: 'frame' });
    assert.equal(calls.length, 3);
    for (let i = 1; i < calls.length; i++) assert.equal(calls[i]!.offset, calls[i - 1]!.offset + calls[i - 1]!.length, 'contiguous ranges');
  });

  it('orders: each order-path frame (and what came before it), not the market data after it', async () => {
    for (const type of [MsgType.OrderInput, MsgType.OrderAction, MsgType.Order, MsgType.Trade]) {
      let afterOrder = 0;
      const calls = await syncs((w) => {
        frame(w, MsgType.Quote);
        frame(w, type);
        afterOrder = w.position.offset;
        frame(w, MsgType.Quote);
        frame(w, MsgType.Quote);
      }, { kind: 'orders' });
      // The order-path frame's sync, then close() writes the two quotes.
      assert.equal(calls.length, 2, `type ${type}`);
      assert.equal(calls[0]!.offset + calls[0]!.length, afterOrder);
    }
  });

  it('page: when a page is full, and at close', async () => {
    const calls = await syncs((w) => {
      while (w.position.pageId === 1) frame(w, MsgType.Quote);
    }, { kind: 'page' }, 1 << 16);
    assert.equal(calls.length, 2, 'page 1 at roll-over, page 2 at close');
    assert.ok(calls[0]!.offset + calls[0]!.length > (1 << 16) - 256, 'the whole of page 1');
  });

  it('<N>ms: what was committed is written within the interval, with no further frame', async () => {
    let flushed = false;
    const calls = await syncs(async (w) => {
      frame(w, MsgType.Quote);
      const end = w.position.offset;
      const real = diskSync.sync;
      diskSync.sync = (buf, offset, length) => {
        if (offset + length === end) flushed = true;
        real(buf, offset, length);
      };
      await waitFor('the interval flush', () => flushed, 5000);
      diskSync.sync = real;
    }, { kind: 'interval', ms: 20 });
    assert.ok(flushed && calls.length >= 1);
  });
});
