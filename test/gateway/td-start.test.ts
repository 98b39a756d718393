/**
 * Starting the Binance TD gateway: bad input at start (unknown account, broken config, bad key,
 * unreachable exchange), an Ed25519 key (session.logon), and restarts that find orders the
 * journal has as Pending (written before the request left, then the process died).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { accountsDbPath } from '../../src/config/accounts.js';
import { Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { clientOrderIdOf } from '../../src/gateway/binance/common/ids.js';
import { parseDecimal as d } from '../../src/model/decimal.js';
import { BrokerState, OrderStatus, PriceType, Side, TimeCondition } from '../../src/model/enums.js';
import { MsgType, Order, OrderInput, Register } from '../../src/model/events.js';
import { kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { TdStack, oid, stopGently, type SimAccountSpec } from '../fixtures/td-stack.js';
import { alive, recordingLogger, waitFor } from '../helpers.js';

const KEYS: SimAccountSpec = { name: 'keys', apiKey: 'kfts-keys-key', secret: 'kfts-keys-secret-stuvwx' };

function registered(home: string): string[] {
  const r = new JournalReader({ home, log: recordingLogger() });
  r.join(Locations.master());
  const out: string[] = [];
  for (let f = r.next(); f; f = r.next()) if (f.msgType === MsgType.Register) out.push(f.decode(Register).location);
  r.close();
  return out;
}

describe('Binance TD gateway: start', { timeout: 180_000 }, () => {
  it('an unknown account or a broken config: one line, exit code 2, never registered', async () => {
    const stack = await new TdStack().start([KEYS]);
    const unknown = await kfcRun(['td', '-s', 'binance', '-a', 'nobody'], stack.env);
    assert.deepEqual([unknown.status, unknown.stderr], [2, 'kfc: account binance_nobody not found; add it with kfc account -s binance add\n']);
    await stack.addAccount('broken', KEYS.apiKey, KEYS.secret);
    const db = new Database(accountsDbPath(stack.home));
    db.prepare("UPDATE account_config SET config = json_set(config, '$.wsApiUrl', 'http://x') WHERE account_id = 'binance_broken'").run();
    db.close();
    const broken = await kfcRun(['td', '-s', 'binance', '-a', 'broken'], stack.env);
    assert.equal(broken.status, 2);
    assert.equal(broken.stderr, 'kfc: account binance_broken: wsApiUrl "http://x" must start with wss:// or ws://; fix it with kfc account -s binance edit -a broken\n');
    assert.deepEqual(registered(stack.home).filter((l) => l.startsWith('td/')), []);
  });

  it('a bad key: LoginFailed with Binance\'s message, one error line, retries instead of exiting; an unreachable exchange: DisConnected, retries', async () => {
    const stack = await new TdStack().start([KEYS]);
    await stack.addAccount('wrong_secret', KEYS.apiKey, 'not-the-secret');
    await stack.addAccount('nohost', KEYS.apiKey, KEYS.secret);
    const db = new Database(accountsDbPath(stack.home));
    db.prepare("UPDATE account_config SET config = json_set(config, '$.restUrl', 'http://nonexistent.invalid') WHERE account_id = 'binance_nohost'").run();
    db.close();
    const timings = { KF_TD_TIMINGS: JSON.stringify({ loginRetryMs: 300, backoffMinMs: 200, backoffMaxMs: 400 }) };
    const bad = kfcProcess(['td', '-s', 'binance', '-a', 'wrong_secret'], { ...stack.env, ...timings });
    const nohost = kfcProcess(['td', '-s', 'binance', '-a', 'nohost'], { ...stack.env, ...timings });
    try {
      const failed = await waitFor('LoginFailed', () => stack.frames('wrong_secret').find((f) => f.type === MsgType.BrokerState && f.value.state === BrokerState.LoginFailed));
      assert.equal(failed.value.message, '-1022 Signature for this request is not valid.');
      await bad.line(/still failing \(Signature for this request is not valid\.\); retrying in/);
      assert.equal(bad.lines.filter((l) => / ERROR /.test(l)).length, 1, 'one error line, then quieter retries');
      assert.match(bad.lines.find((l) => / ERROR /.test(l))!, /ERROR .*td binance\/wrong_secret: Signature for this request is not valid\.; retrying in \d+ ms/);
      const down = await waitFor('DisConnected', () => stack.frames('nohost').find((f) => f.type === MsgType.BrokerState && f.value.state === BrokerState.DisConnected));
      assert.match(down.value.message as string, /^GET \/api\/v3\/time: cannot reach http:\/\/nonexistent\.invalid \((ENOTFOUND|EAI_AGAIN)\)/);
      await nohost.line(/still failing/);
      assert.ok(alive(bad.proc.pid!) && alive(nohost.proc.pid!), 'both keep running');
      // An order meanwhile: refused at once, saying why.
      const o = stack.order('wrong_secret', 1, { side: 'buy', price: '50000', volume: '0.01' });
      const e = await stack.waitStatus('wrong_secret', o, OrderStatus.Error);
      assert.equal(e.error_msg, 'not sent: binance/wrong_secret is not ready (LoginFailed: -1022 Signature for this request is not valid.)');
    } finally {
      assert.equal(await stopGently(bad), 0);
      assert.equal(await stopGently(nohost), 0);
    }
  });

  it('an Ed25519 key logs on (session.logon + userDataStream.subscribe) and trades', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const stack = new TdStack();
    const ed = { name: 'ed', apiKey: 'kfts-ed-key', secret: '' };
    await stack.start();
    // The sim's config takes Ed25519 accounts by public key: add one to this sim.
    (stack.sim.rest.context.accounts as unknown as { byKey: Map<string, unknown> }).byKey.set(ed.apiKey, { name: 'ed', apiKey: ed.apiKey, ed25519PublicKey: publicKey, makerCommission: 10, takerCommission: 10 });
    stack.sim.engine.deposit('ed', 'USDT', d('1000'));
    const pem = join(stack.home, 'ed.pem');
    writeFileSync(pem, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    const add = await kfcRun(['account', 'add', '-a', 'ed', '--key', ed.apiKey, '--ed25519-key-file', pem, '--preset', `sim:${stack.simPort}`], stack.env);
    assert.equal(add.status, 0, add.stderr);
    const td = await stack.startTd('ed', {}, ['-l', 'trace']);
    const o = stack.order('ed', 1, { side: 'buy', price: '50000', volume: '0.01' });
    await stack.waitStatus('ed', o, OrderStatus.Submitted);
    assert.equal(await stopGently(td), 0);
    const log = readFileSync(join(stack.home, 'log', 'td_binance_ed.log'), 'utf8');
    assert.match(log, /WS API > session\.logon #1 \(signed\)/);
    assert.match(log, /WS API > order\.place #\d+\n/, 'orders ride the logged-on session, unsigned');
    assert.ok(!log.includes('PRIVATE KEY'));
  });

  it('a restart finds Pending orders: the exchange has one (tracked), not the other (Error "not sent (gateway restarted)")', async () => {
    const stack = await new TdStack().start([KEYS]);
    await stack.addAccount('pend', KEYS.apiKey, KEYS.secret);
    // As if the gateway wrote Pending for two orders, sent only the first, and died.
    const ledger = stack.ledger('pend');
    const own = JournalWriter.open({ home: stack.home, location: Locations.td('binance', 'pend'), log: recordingLogger() });
    for (const seq of [1, 2]) {
      const i = OrderInput.empty();
      Object.assign(i, { order_id: oid(seq), symbol: 'BTCUSDT', exchange: 'binance', source: 'binance', account: 'pend', price: d('50000'), volume: d('0.01'), price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC });
      ledger.write(MsgType.OrderInput, OrderInput, i);
      const o = Order.empty();
      Object.assign(o, { order_id: i.order_id, symbol: 'BTCUSDT', exchange: 'binance', source: 'binance', account: 'pend', price: i.price, volume: i.volume, volume_left: i.volume, status: OrderStatus.Pending, price_type: PriceType.Limit, side: Side.Buy, time_condition: TimeCondition.GTC });
      own.write(MsgType.Order, Order, o);
    }
    own.close();
    await stack.client(KEYS).call('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', price: '50000', quantity: '0.01', newClientOrderId: clientOrderIdOf(oid(1)) }, { signed: true });
    const td = await stack.startTd('pend');
    assert.equal(stack.orders('pend', oid(1)).at(-1)!.status, OrderStatus.Submitted);
    assert.notEqual(stack.orders('pend', oid(1)).at(-1)!.ex_order_id, '');
    const two = stack.orders('pend', oid(2)).at(-1)!;
    assert.deepEqual([two.status, two.error_msg], [OrderStatus.Error, 'not sent (gateway restarted)']);
    assert.equal(stack.sim.engine.openOrders('keys').length, 1, 'nothing was sent again');
    // The ledger's old OrderInputs are not sent again either.
    await stopGently(td);
    const again = await stack.startTd('pend');
    assert.equal(stack.sim.engine.openOrders('keys').length, 1);
    await stopGently(again);
  });
});
