import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { riskSettingsPath } from '../../src/ledger/settings.js';
import { ledgerStatePath } from '../../src/ledger/state-file.js';
import { OrderStatus, TradingState } from '../../src/model/enums.js';
import { MsgType, Order, TradingStateUpdate } from '../../src/model/events.js';
import { runFixture } from '../fixtures/child.js';
import { send } from '../fixtures/ledger-books.js';
import { kfcProcess, kfcRun, type KfcEnv } from '../fixtures/kfc.js';
import { freePort, recordingLogger, tmpHome, waitFor } from '../helpers.js';

/** Frames of one type in the ledger's public journal, decoded. */
function ledgerFrames<T>(home: string, type: number, layout: { decode: never } | any): T[] {
  const r = new JournalReader({ home, log: recordingLogger() });
  r.join(Locations.ledger());
  const out: T[] = [];
  for (let f = r.next(); f; f = r.next()) if (f.msgType === type) out.push(f.decode(layout) as T);
  r.close();
  return out;
}


const books = (home: string) => JSON.parse(readFileSync(ledgerStatePath(home), 'utf8')) as { halts: { scope: string; reason: string }[]; strategies: { strategy: string }[] };

describe('ledger process', { timeout: 180_000 }, () => {
  it('refuses what it cannot route with the reason; halts from the CLI survive a restart; bad settings keep the old ones', async () => {
    const e: KfcEnv = { KF_HOME: tmpHome(), KF_MASTER_PORT: String(await freePort()) };
    const master = kfcProcess(['master'], e);
    await master.line(/master listening on/);
    let ledger = kfcProcess(['ledger'], e);
    await ledger.line(/system\/service\/ledger\/live ready/);
    const s1 = runFixture('fake-strategy.ts', ['s1'], e);
    await s1.line(/^ready$/);
    await ledger.line(/strategy\/default\/s1\/live joined/);
    await send(s1, { addAccount: ['binance', 'acct'] }, /^ok$/);
    const id = (await send(s1, { order: { price: '60000', volume: '0.01' } }, /^order \d+$/)).split(' ')[1]!;
    const rejected = await waitFor('the ledger\'s answer', () => ledgerFrames<{ order_id: bigint; status: number; error_msg: string }>(e.KF_HOME, MsgType.Order, Order).find((o) => o.order_id === BigInt(id)));
    assert.equal(rejected.status, OrderStatus.Error);
    assert.match(rejected.error_msg, /^unknown account binance_acct: no trading gateway td\/binance\/acct has reported it$/);

    // The kill switch, from the CLI, through the master.
    const halt = await kfcRun(['ledger', 'halt', '--strategy', 's1', '--reason', 'test halt'], e);
    assert.equal(halt.status, 0, halt.stderr);
    assert.match(halt.stdout, /halt of strategy s1 sent to the ledger/);
    await waitFor('the halt in the published books', () => books(e.KF_HOME).halts.some((h) => h.scope === 'strategy s1' && h.reason === 'test halt'));
    const status = await kfcRun(['status', '--books'], e);
    assert.match(status.stdout, /HALTED: strategy s1 \(test halt\)/);
    const id2 = (await send(s1, { order: { price: '60000', volume: '0.01' } }, /^order \d+$/)).split(' ')[1]!;
    const halted = await waitFor('the refusal', () => ledgerFrames<{ order_id: bigint; error_msg: string }>(e.KF_HOME, MsgType.Order, Order).find((o) => o.order_id === BigInt(id2)));
    assert.match(halted.error_msg, /trading halted for strategy s1 \(test halt\): only cancels are accepted/);

    // Killed and restarted: the halt is still in force (rebuilt from the journal).
    ledger.proc.kill('SIGKILL');
    await ledger.exited;
    ledger = kfcProcess(['ledger'], e);
    await ledger.line(/replayed \d+ frames .* 1 halts/);
    assert.ok(books(e.KF_HOME).halts.some((h) => h.scope === 'strategy s1'));
    // A bad settings file: one line naming the field; the ledger stays up.
    const settings = riskSettingsPath(e.KF_HOME);
    mkdirSync(dirname(settings), { recursive: true });
    writeFileSync(settings, JSON.stringify({ strategies: { s1: { maxOpenOrders: 'many' } } }));
    await ledger.line(/risk settings .*risk\.json: strategies\.s1\.maxOpenOrders: expected an integer from 1 to 100000, got "many"; the previous limits stay in force/);
    assert.equal((await kfcRun(['ledger', 'resume', '--strategy', 's1'], e)).status, 0);
    await waitFor('the resume', () => books(e.KF_HOME).halts.length === 0);
    const states = ledgerFrames<{ state: number; scope: string }>(e.KF_HOME, MsgType.TradingState, TradingStateUpdate);
    assert.deepEqual(states.map((s) => [s.scope, s.state]), [['s1', TradingState.Halted], ['s1', TradingState.Active]]);

    // Bad input to the kill switch: one line, and nothing changes.
    const bad = await kfcRun(['ledger', 'halt', '--account', 'a b'], e);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /^kfc: no account a b in .*: accounts are named <source>_<name> \(kfc account list shows them\)\n$/);
    const unknown = await kfcRun(['ledger', 'halt', '--strategy', 'nobody'], e);
    assert.equal(unknown.status, 0, 'a strategy may be halted before it starts');
    assert.match(unknown.stderr, /^kfc: note: the ledger has no strategy nobody yet; the halt applies to one of that name when it trades\n$/);
    assert.equal((await kfcRun(['ledger', 'resume', '--strategy', 'nobody'], e)).status, 0);
    assert.equal((await kfcRun(['shutdown'], e)).status, 0);
    for (const p of [s1, ledger, master]) assert.equal((await p.exited).code, 0);
  });
});
