import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { nowNs } from '../../src/journal/clock.js';
import { Locations } from '../../src/journal/location.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { parseDecimal } from '../../src/model/decimal.js';
import { MsgType, Order, Quote } from '../../src/model/events.js';
import { OrderStatus } from '../../src/model/enums.js';
import { recordingLogger, tmpHome } from '../helpers.js';
import { runNode } from '../fixtures/child.js';

const KFC = fileURLToPath(new URL('../../dist/cli/kfc.js', import.meta.url));

function kfc(args: string[]) {
  return spawnSync(process.execPath, [KFC, ...args], { encoding: 'utf8' });
}

/** A small journal like a real stack writes: quotes from MD, orders from TD triggered by them. */
function writeSample(home: string): void {
  const md = JournalWriter.open({ home, location: Locations.md('binance'), log: recordingLogger() });
  const td = JournalWriter.open({ home, location: Locations.td('binance', 'my_account'), log: recordingLogger() });
  const q = Quote.empty();
  q.symbol = 'BTCUSDT';
  q.exchange = 'binance';
  const o = Order.empty();
  o.symbol = 'BTCUSDT';
  o.status = OrderStatus.Submitted;
  for (let i = 0; i < 10; i++) {
    q.bid_price = parseDecimal(`65000.${i}`);
    const quoteTime = md.write(MsgType.Quote, Quote, q, nowNs());
    o.order_id = BigInt(i + 1);
    o.price = q.bid_price;
    o.volume = parseDecimal('0.001');
    td.write(MsgType.Order, Order, o, quoteTime);
  }
  md.close();
  td.close();
}

describe('kfc journal', () => {
  it('prints frames as JSON lines, filtered by location, type and time', () => {
    const home = tmpHome();
    writeSample(home);
    const all = kfc(['-H', home, 'journal']);
    assert.equal(all.status, 0, all.stderr);
    const lines = all.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 20);
    assert.deepEqual(lines.slice(0, 2).map((l) => l.type), ['Quote', 'Order']); // merged by time
    assert.equal(lines[0].source, 'md/binance/binance/live');
    assert.equal(lines[0].data.bid_price, '65000');
    assert.equal(lines[2].data.bid_price, '65000.1');
    assert.equal(lines[1].data.volume, '0.001');
    assert.equal(BigInt(lines[1].trigger_time), BigInt(lines[0].gen_time));

    const orders = kfc(['-H', home, 'journal', '-L', 'td/binance/my_account/live', '-t', 'Order']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(orders.length, 10);
    assert.ok(orders.every((l) => l.type === 'Order'));
    const from = lines[10].gen_time;
    const late = kfc(['-H', home, 'journal', '--from', from]).stdout.trim().split('\n');
    assert.equal(late.length, 10);
    assert.equal(kfc(['-H', home, 'journal', '-n', '3']).stdout.trim().split('\n').length, 3);
  });

  it('reports latency per hop', () => {
    const home = tmpHome();
    writeSample(home);
    const r = kfc(['-H', home, 'journal', '--latency']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /hop \(writer, message\)\s+count\s+p50 us\s+p99 us\s+max us/);
    assert.match(r.stdout, /td\/binance\/my_account\/live Order\s+10\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d/);
    assert.match(r.stdout, /md\/binance\/binance\/live Quote\s+10/);
  });

  it('follows new frames until interrupted', async () => {
    const home = tmpHome();
    writeSample(home);
    const follower = runNode([KFC, '-H', home, 'journal', '-f', '-t', 'Quote']);
    await follower.line(/"bid_price":"65000.9"/);
    const md = JournalWriter.open({ home, location: Locations.md('binance'), log: recordingLogger() });
    const q = Quote.empty();
    q.bid_price = parseDecimal('70000');
    md.write(MsgType.Quote, Quote, q);
    await follower.line(/"bid_price":"70000"/);
    md.close();
    follower.proc.kill('SIGINT');
    assert.equal((await follower.exited).code, 0);
  });

  it('bad input: one line, non-zero exit, no stack trace', () => {
    const home = tmpHome();
    writeSample(home);
    const cases: [string[], RegExp][] = [
      [['-H', home, 'journal', '-t', 'Nope'], /^kfc: unknown message type "Nope"/],
      [['-H', home, 'journal', '-L', 'md/binance'], /^kfc: "md\/binance" is not a location/],
      [['-H', home, 'journal', '--from', 'yesterday-ish'], /^kfc: "yesterday-ish" is not a time/],
      [['-H', `${home}/nothing`, 'journal'], /^kfc: no journals under/],
      [['-l', 'loud', 'journal'], /argument 'loud' is invalid. Allowed choices are trace, debug, info, warning, error/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, re] of cases) {
      const r = kfc(args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
