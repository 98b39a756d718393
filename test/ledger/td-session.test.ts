/**
 * Which TD process the ledger's books speak for. A new TD process (its SessionStart in its own
 * journal) makes what the last one had open Unknown until it reports it again, live and in replay
 * alike. A master restart is not a new TD: every process registers again with the new master, in
 * whatever order, and the TD reports nothing new. In the process test the TD is frozen (SIGSTOP)
 * until the ledger has registered again, so that the ledger hears of the TD's registration (the
 * order that failed the chaos suite): when registrations decided, the ledger took the TD for a new
 * process, marked the account Unknown and refused every order until the TD restarted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nowNs } from '../../src/journal/clock.js';
import { Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { Outbox } from '../../src/ledger/outbox.js';
import { DEFAULT_LIMITS } from '../../src/ledger/settings.js';
import { BrokerState, OrderStatus } from '../../src/model/enums.js';
import { BrokerStateUpdate, MsgType, Order, SessionStart } from '../../src/model/events.js';
import { runFixture } from '../fixtures/child.js';
import { ACCT, apiBooks, orderLog, send } from '../fixtures/ledger-books.js';
import { kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { TdStack } from '../fixtures/td-stack.js';
import { masterRegistry, recordingLogger, tmpHome, waitFor } from '../helpers.js';

const registered = async (stack: TdStack, location: string, pid: number) => (await masterRegistry(stack.masterPort)).some((p) => p.location === location && p.pid === pid);

describe('ledger: which TD process its books speak for', { timeout: 180_000 }, () => {
  it('keeps a TD that registers again after the ledger did as it was: Ready, its orders routed', async () => {
    const stack = await new TdStack().start([ACCT]);
    const log = orderLog(stack);
    await stack.addAccount('acct', ACCT.apiKey, ACCT.secret);
    const ledger = kfcProcess(['ledger'], stack.env);
    stack.children.push(ledger);
    await ledger.line(/system\/service\/ledger\/live ready/);
    const td = await stack.startTd('acct');
    await waitFor('the account Ready in the ledger', async () => (await apiBooks(stack)).accounts.find((a) => a.account === 'binance_acct')?.brokerState === 'Ready');
    const joined = () => ledger.lines.filter((l) => l.includes('ledger: td/binance/acct/live joined')).length;
    assert.equal(joined(), 1);

    td.proc.kill('SIGSTOP');
    try {
      await stack.restartMaster();
      await waitFor('the ledger registered with the new master', () => registered(stack, 'system/service/ledger/live', ledger.proc.pid!), 30_000);
    } finally {
      td.proc.kill('SIGCONT');
    }
    await waitFor('the TD registered with the new master', () => registered(stack, 'td/binance/acct/live', td.proc.pid!), 30_000);
    await waitFor('the ledger told of it', () => joined() === 2);

    // The books published after the ledger heard of it still say Ready, and an order goes through.
    const s1 = runFixture('fake-strategy.ts', ['s1'], stack.env);
    stack.children.push(s1);
    await s1.line(/^ready$/);
    await send(s1, { addAccount: ['binance', 'acct'] }, /^ok$/);
    const id = (await send(s1, { order: { price: '60000', volume: '0.01' } }, /^order \d+$/)).split(' ')[1]!;
    const order = await waitFor('the order decided', async () => {
      const o = (await apiBooks(stack)).orders.find((x) => x.orderId === id);
      return o && o.status !== 'Pending' ? o : undefined;
    });
    assert.equal(order.status, 'Submitted', `the order was refused: ${order.error}`);
    assert.equal((await apiBooks(stack)).accounts.find((a) => a.account === 'binance_acct')?.brokerState, 'Ready');
    assert.equal(log.filter((r) => r.account === ACCT.name).length, 1);
    assert.equal((await kfcRun(['shutdown'], stack.env)).status, 0);
    for (const p of [s1, td, ledger]) assert.equal((await p.exited).code, 0, p.stderr().slice(-500));
  });

  it('a new TD session makes what the last one had open Unknown until the new one reports it; replay ends where live did', () => {
    const home = tmpHome();
    const log = recordingLogger();
    const td = JournalWriter.open({ home, location: Locations.td('binance', 'acct'), log });
    // Another account's TD, and the MD: their sessions are not this account's.
    const otherTd = JournalWriter.open({ home, location: Locations.td('binance', 'other'), log });
    const md = JournalWriter.open({ home, location: Locations.md('binance'), log });
    const ledgerUid = Locations.ledger().uid;
    const outboxJournal = JournalWriter.open({ home, location: Locations.ledger(), log });
    const newLedger = () => new Ledger({ ledgerUid, outbox: new Outbox(outboxJournal, (dest) => JournalWriter.open({ home, location: Locations.ledger(), dest, log }), log), limits: () => DEFAULT_LIMITS, log, now: nowNs });
    const reader = new JournalReader({ home, log });
    for (const at of [Locations.td('binance', 'acct'), Locations.td('binance', 'other'), Locations.md('binance')]) reader.join(at, 0);
    const ledger = newLedger();
    const feed = (l: Ledger, r: JournalReader) => {
      for (let f = r.next(); f; f = r.next()) l.onFrame(f);
    };
    const ready = (w = td, account = 'acct') => {
      const b = BrokerStateUpdate.empty();
      Object.assign(b, { source: 'binance', account, state: BrokerState.Ready, update_time: nowNs() });
      w.write(MsgType.BrokerState, BrokerStateUpdate, b);
    };
    const order = Order.empty();
    Object.assign(order, { order_id: (7n << 32n) | 1n, source: 'binance', account: 'acct', symbol: 'BTCUSDT', exchange: 'BINANCE', status: OrderStatus.Submitted, price: 6_000_000_000_000n, volume: 1_000_000n });
    const session = (w = td) => {
      const s = SessionStart.empty();
      Object.assign(s, { pid: 4242, start_time: nowNs() });
      w.write(MsgType.SessionStart, SessionStart, s);
    };
    const seen = (l: Ledger) => {
      const a = l.books.accounts.get('binance_acct')!;
      return [a.brokerState, a.open.get(order.order_id)?.status];
    };

    session();
    ready();
    td.write(MsgType.Order, Order, order);
    session(otherTd);
    ready(otherTd, 'other');
    feed(ledger, reader);
    ledger.endReplay();
    assert.deepEqual(seen(ledger), [BrokerState.Ready, OrderStatus.Submitted]);
    // Another TD starting, or the MD: nothing changes for this account.
    session(otherTd);
    session(md);
    feed(ledger, reader);
    assert.deepEqual(seen(ledger), [BrokerState.Ready, OrderStatus.Submitted]);
    assert.equal(ledger.books.accounts.get('binance_other')!.brokerState, BrokerState.Unknown);
    // A new TD process: Unknown from its SessionStart until it has reconciled and said so.
    session();
    feed(ledger, reader);
    assert.deepEqual(seen(ledger), [BrokerState.Unknown, OrderStatus.Unknown]);
    const midway = new JournalReader({ home, log });
    midway.join(Locations.td('binance', 'acct'), 0);
    const replayedMidway = newLedger();
    feed(replayedMidway, midway);
    assert.deepEqual(seen(replayedMidway), [BrokerState.Unknown, OrderStatus.Unknown], 'a ledger restarted now reads the same');
    td.write(MsgType.Order, Order, order);
    ready();
    feed(ledger, reader);
    assert.deepEqual(seen(ledger), [BrokerState.Ready, OrderStatus.Submitted]);
    feed(replayedMidway, midway);
    assert.deepEqual(seen(replayedMidway), [BrokerState.Ready, OrderStatus.Submitted]);
    for (const r of [reader, midway]) r.close();
    for (const w of [td, otherTd, md, outboxJournal]) w.close();
  });
});
