/**
 * The hot path's byte reader of depth diffs (depth-scan.ts) against the general path
 * (JSON.parse + parseDepthDiff): the same diff whenever it reads a frame, and a refusal (the
 * general path then decides) for every frame that is not the compact form, however corrupted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyDiff, parseDepthDiff, type DepthDiff } from '../../../src/gateway/binance/md/depth-json.js';
import { DATA_PREFIX, scanDepthUpdate, STREAM_PREFIX } from '../../../src/gateway/binance/md/depth-scan.js';

let seed = 5;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};

const SYMBOL = Buffer.from('BTCUSDT');

/** Scans a whole combined frame as MarketData.fast does (the stream name checked by the caller). */
/** A diff with its levels as plain arrays, to compare (a Levels buffer holds stale values past its length). */
type PlainDiff = Omit<DepthDiff, 'bids' | 'asks'> & { bids: number[]; asks: number[] };
const plain = (d: DepthDiff): PlainDiff => ({ ...d, bids: d.bids.toArray(), asks: d.asks.toArray() });

function scan(text: string): PlainDiff | undefined {
  const buf = Buffer.from(text);
  const name = 'btcusdt@depth@100ms';
  const start = STREAM_PREFIX.length + name.length + DATA_PREFIX.length;
  if (!text.startsWith(`{"stream":"${name}","data":{`)) return undefined;
  const out = emptyDiff();
  if (!scanDepthUpdate(buf, start, buf.length, SYMBOL, out)) return undefined;
  out.symbol = 'BTCUSDT';
  return plain(out);
}

function general(text: string): PlainDiff | undefined {
  try {
    const d = parseDepthDiff((JSON.parse(text) as { data: unknown }).data);
    return d.symbol === 'BTCUSDT' ? plain(d) : undefined;
  } catch {
    return undefined;
  }
}

const num = () => {
  const whole = String(rand(100_000));
  const places = rand(9);
  let frac = '';
  for (let i = 0; i < places; i++) frac += String(rand(10));
  return places ? `${whole}.${frac}` : whole;
};

function frame(): string {
  const level = () => `["${num()}","${rand(5) === 0 ? '0.00000000' : num()}"]`;
  const side = () => `[${Array.from({ length: rand(4) }, level).join(',')}]`;
  const U = rand(1_000_000_000);
  const fields = [`"e":"depthUpdate"`, `"E":${1_700_000_000_000 + rand(1e9)}`, `"s":"BTCUSDT"`, `"U":${U}`, `"u":${U + rand(50)}`, `"b":${side()}`, `"a":${side()}`];
  for (let i = fields.length - 1; i > 0; i--) {
    const k = rand(i + 1);
    [fields[i], fields[k]] = [fields[k]!, fields[i]!];
  }
  return `{"stream":"btcusdt@depth@100ms","data":{${fields.join(',')}}}`;
}

describe('depth diff byte reader', () => {
  it('reads Binance\'s compact frames exactly as the general path does, keys in any order', () => {
    let read = 0;
    for (let i = 0; i < 5000; i++) {
      const text = frame();
      const expected = general(text);
      const got = scan(text);
      if (expected) {
        assert.deepEqual(got, expected, text);
        read++;
      } else assert.equal(got, undefined, text);
    }
    assert.ok(read > 4000, `${read} of 5000 random frames were valid and read`);
  });

  it('leaves every other form to the general path', () => {
    const base = '{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":5,"u":6,"b":[["1.5","2"]],"a":[]}}';
    assert.ok(scan(base));
    for (const [what, text] of [
      ['whitespace', base.replace('"E":1', '"E": 1')],
      ['an escape', base.replace('"1.5"', '"\\u0031.5"')],
      ['an unknown key', base.replace('"E":1', '"E":1,"x":2')],
      ['a key twice', base.replace('"E":1', '"E":1,"E":2')],
      ['a missing key', base.replace('"E":1,', '')],
      ['a fractional id', base.replace('"U":5', '"U":5.0')],
      ['an exponent', base.replace('"U":5', '"U":5e0')],
      ['a leading zero', base.replace('"U":5', '"U":05')],
      ['a negative id', base.replace('"U":5', '"U":-5')],
      ['U after u', base.replace('"U":5', '"U":7')],
      ['a level of three', base.replace('["1.5","2"]', '["1.5","2","3"]')],
      ['a number as a number', base.replace('["1.5","2"]', '[1.5,"2"]')],
      ['a zero price', base.replace('"1.5"', '"0"')],
      ['nine decimals', base.replace('"2"]', '"2.000000001"]')],
      ['another symbol', base.replace('"BTCUSDT"', '"ETHUSDT"')],
      ['another event', base.replace('depthUpdate', 'depthUpdatf')],
      ['trailing bytes', `${base} `],
      ['an unclosed frame', base.slice(0, -1)],
    ] as const) {
      assert.equal(scan(text), undefined, what);
    }
  });

  it('never reads a corrupted frame differently from the general path', () => {
    let differentlyRefused = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = Buffer.from(frame());
      for (let m = 1 + rand(3); m > 0; m--) bytes[rand(bytes.length)] = [34, 44, 46, 48, 49, 58, 91, 93, 123, 125, 32, 92, 45, rand(256)][rand(14)]!;
      const text = bytes.toString('latin1');
      const got = scan(text);
      const expected = general(text);
      if (got) assert.deepEqual(got, expected, text);
      else if (expected) differentlyRefused++;
    }
    // Refusing a frame the general path reads is allowed (it is read there), reading one wrongly is not.
    assert.ok(differentlyRefused < 20_000);
  });

  it('reads as the general path does where the gateway reads: one diff reused, the next frame\'s bytes after the end, many levels, edge numbers, raw bytes', () => {
    const edge = ['0', '-0', '00', '01.5', '1.', '.5', '9007199254740991', '9007199254740992', '90071992.54740991', '90071992.5474099', '1.000000000', '1.000000001', '0.00000001', '123456789012.12345678', '1e5', '+1', '', '1.2.3'];
    const edgeInts = ['0', '00', '9007199254740991', '9007199254740992', '99999999999999999', '-1', '1.0'];
    const value = () => (rand(40) === 0 ? edge[rand(edge.length)]! : num());
    const id = () => (rand(40) === 0 ? edgeInts[rand(edgeInts.length)]! : String(rand(1e9)));
    const wide = () => {
      const side = () => `[${Array.from({ length: rand(3) === 0 ? rand(60) : rand(4) }, () => `["${value()}","${value()}"]`).join(',')}]`;
      const U = id();
      const fields = [`"e":"depthUpdate"`, `"E":${id()}`, `"s":"BTCUSDT"`, `"U":${U}`, `"u":${rand(3) ? U : id()}`, `"b":${side()}`, `"a":${side()}`];
      for (let i = fields.length - 1; i > 0; i--) {
        const k = rand(i + 1);
        [fields[i], fields[k]] = [fields[k]!, fields[i]!];
      }
      return `{"stream":"btcusdt@depth@100ms","data":{${fields.join(',')}}}`;
    };
    const start = STREAM_PREFIX.length + 'btcusdt@depth@100ms'.length + DATA_PREFIX.length;
    const out = emptyDiff(); // reused, as MarketData does
    let read = 0;
    for (let i = 0; i < 30_000; i++) {
      const bytes = Buffer.from(wide());
      for (let m = rand(4) - 2; m > 0; m--) bytes[rand(bytes.length)] = [34, 44, 46, 48, 49, 58, 91, 93, 123, 125, 32, 92, 45, rand(256)][rand(14)]!;
      if (bytes.toString('latin1', 0, start) !== '{"stream":"btcusdt@depth@100ms","data":{') continue;
      // The frame inside a read buffer: whatever follows it is not its own.
      const buf = Buffer.concat([bytes, Buffer.from(rand(2) ? wide() : '}}]"0,')]);
      if (!scanDepthUpdate(buf, start, bytes.length, SYMBOL, out)) continue;
      read++;
      out.symbol = 'BTCUSDT';
      assert.deepEqual(plain(out), general(bytes.toString('utf8')), bytes.toString('utf8'));
    }
    assert.ok(read > 5_000, `${read} of 30000 frames read`);
  });
});
