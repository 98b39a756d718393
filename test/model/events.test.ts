import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Depth, LAYOUTS, MsgType, Order, msgTypeName, parseMsgType } from '../../src/model/events.js';
import { decodeFromBuffer, defineLayout, encodeToBuffer, type Layout } from '../../src/model/layout.js';
import { parseDecimal } from '../../src/model/decimal.js';

let seed = 7;
const rand = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed;
};

/** A value with every field set to something non-zero and in range for its type. */
function randomValue(layout: Layout<any>): Record<string, unknown> {
  const v = layout.empty() as Record<string, unknown>;
  const scalar = (s: string): unknown => {
    switch (s) {
      case 'i8': return (rand() % 256) - 128;
      case 'u8': return rand() % 256;
      case 'bool': return rand() % 2 === 1;
      case 'i16': return (rand() % 65536) - 32768;
      case 'u16': return rand() % 65536;
      case 'i32': return (rand() | 0);
      case 'u32': return rand();
      case 'u64': return (BigInt(rand()) << 32n) | BigInt(rand());
      default: return BigInt.asIntN(64, (BigInt(rand()) << 32n) | BigInt(rand()));
    }
  };
  for (const f of layout.fields) {
    if (typeof f.type === 'string') v[f.name] = scalar(f.type);
    else if ('str' in f.type) v[f.name] = `s${rand().toString(36)}`.slice(0, f.type.str);
    else v[f.name] = Array.from({ length: f.type.length }, () => scalar((f.type as { array: string }).array));
  }
  return v;
}

describe('event layouts', () => {
  it('round-trips every event type through its binary layout', () => {
    assert.ok(LAYOUTS.size >= 19);
    for (const [type, layout] of LAYOUTS) {
      for (let i = 0; i < 50; i++) {
        const value = randomValue(layout);
        const bytes = encodeToBuffer(layout, value);
        assert.equal(bytes.length, layout.size);
        assert.deepEqual(decodeFromBuffer(layout, bytes), value, `${msgTypeName(type)} round trip`);
      }
    }
  });

  it('encodes at any offset of a larger buffer without touching its neighbours', () => {
    const buf = Buffer.alloc(Order.size + 64, 0xee);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const order = randomValue(Order) as ReturnType<typeof Order.empty>;
    Order.encode(view, buf, 32, order);
    assert.deepEqual(Order.decode(view, buf, 32), order);
    assert.ok(buf.subarray(0, 32).every((b) => b === 0xee));
    assert.ok(buf.subarray(32 + Order.size).every((b) => b === 0xee));
  });

  it('aligns 8-byte fields and sizes structs to 8 bytes', () => {
    for (const layout of LAYOUTS.values()) {
      assert.equal(layout.size % 8, 0, layout.name);
      for (const f of layout.fields) {
        if (typeof f.type === 'string' && ['i64', 'u64', 'decimal', 'time'].includes(f.type)) assert.equal(f.offset % 8, 0, `${layout.name}.${f.name}`);
      }
    }
  });

  it('truncates long text on a character boundary and keeps decimals exact', () => {
    const L = defineLayout('T', [['name', { str: 5 }], ['px', 'decimal']] as const);
    const out = decodeFromBuffer(L, encodeToBuffer(L, { name: 'ab€cd', px: parseDecimal('0.3') }));
    assert.equal(out.name, 'ab€'); // 'ab' + 3 bytes of '€' = 5 bytes
    assert.equal(out.px, 30_000_000n);
    const short = decodeFromBuffer(L, encodeToBuffer(L, { name: 'x', px: 0n }));
    assert.equal(short.name, 'x');
  });

  it('carries twenty depth levels', () => {
    const d = Depth.empty();
    d.bid_price = Array.from({ length: 20 }, (_, i) => BigInt(i + 1));
    assert.deepEqual(decodeFromBuffer(Depth, encodeToBuffer(Depth, d)).bid_price, d.bid_price);
  });

  it('names message types both ways', () => {
    assert.equal(parseMsgType('quote'), MsgType.Quote);
    assert.equal(parseMsgType('203'), 203);
    assert.equal(parseMsgType('nope'), undefined);
    assert.equal(msgTypeName(MsgType.Register), 'Register');
  });
});
