/**
 * Fixed binary layouts for events: a struct is declared once as a list of typed fields, and this
 * module compiles it into an encoder and a decoder specialised for it (straight-line DataView code
 * built with `new Function`, the technique protobufjs uses), so the hot path does no lookups,
 * no JSON and no per-field closures.
 *
 * Fields are little-endian and naturally aligned (8-byte fields on 8-byte offsets); a struct's size
 * is a multiple of 8. Strings are fixed-size UTF-8, NUL-padded, truncated on a character boundary.
 */

export type Scalar = 'i8' | 'u8' | 'bool' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'decimal' | 'time';

export type FieldType = Scalar | { str: number } | { array: Scalar; length: number };

export type FieldSpec = readonly [name: string, type: FieldType];

/** The JS value a field type decodes to. */
type ValueOf<T> = T extends 'i64' | 'u64' | 'decimal' | 'time'
  ? bigint
  : T extends 'bool'
    ? boolean
    : T extends Scalar
      ? number
      : T extends { str: number }
        ? string
        : T extends { array: infer S }
          ? ValueOf<S>[]
          : never;

type Shape<F extends readonly FieldSpec[]> = {
  -readonly [K in F[number] as K[0]]: ValueOf<K[1]>;
};

export interface FieldInfo {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly size: number;
}

export interface Layout<T> {
  readonly name: string;
  readonly size: number;
  readonly fields: readonly FieldInfo[];
  /** Byte offset of each field, for hot paths that read one field without decoding the struct. */
  readonly offsets: Readonly<Record<keyof T & string, number>>;
  /** Writes `value` at `offset` of `buf`; `view` must be a DataView over the same bytes as `buf`. */
  encode(view: DataView, buf: Buffer, offset: number, value: T): void;
  decode(view: DataView, buf: Buffer, offset: number): T;
  /** A value with every field zero/empty, to start from. */
  empty(): T;
}

const SCALAR_SIZE: Record<Scalar, number> = {
  i8: 1,
  u8: 1,
  bool: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  i64: 8,
  u64: 8,
  decimal: 8,
  time: 8,
};

const SETTER: Record<Scalar, string> = {
  i8: 'setInt8',
  u8: 'setUint8',
  bool: 'setUint8',
  i16: 'setInt16',
  u16: 'setUint16',
  i32: 'setInt32',
  u32: 'setUint32',
  i64: 'setBigInt64',
  u64: 'setBigUint64',
  decimal: 'setBigInt64',
  time: 'setBigInt64',
};

const GETTER: Record<Scalar, string> = {
  i8: 'getInt8',
  u8: 'getUint8',
  bool: 'getUint8',
  i16: 'getInt16',
  u16: 'getUint16',
  i32: 'getInt32',
  u32: 'getUint32',
  i64: 'getBigInt64',
  u64: 'getBigUint64',
  decimal: 'getBigInt64',
  time: 'getBigInt64',
};

const isBig = (s: Scalar) => s === 'i64' || s === 'u64' || s === 'decimal' || s === 'time';

function sizeOf(type: FieldType): { size: number; align: number } {
  if (typeof type === 'string') return { size: SCALAR_SIZE[type], align: SCALAR_SIZE[type] };
  if ('str' in type) return { size: type.str, align: 1 };
  const el = SCALAR_SIZE[type.array];
  return { size: el * type.length, align: el };
}

function scalarWrite(s: Scalar, at: string, expr: string): string {
  const needsLE = SCALAR_SIZE[s] > 1 ? ', true' : '';
  const value = s === 'bool' ? `(${expr} ? 1 : 0)` : expr;
  return `view.${SETTER[s]}(${at}, ${value}${needsLE});`;
}

function scalarRead(s: Scalar, at: string): string {
  const needsLE = SCALAR_SIZE[s] > 1 ? ', true' : '';
  const read = `view.${GETTER[s]}(${at}${needsLE})`;
  return s === 'bool' ? `(${read} !== 0)` : read;
}

export function defineLayout<const F extends readonly FieldSpec[]>(name: string, specs: F): Layout<Shape<F>> {
  const fields: FieldInfo[] = [];
  let offset = 0;
  for (const [fieldName, type] of specs) {
    if (!/^[a-z_][a-z0-9_]*$/i.test(fieldName)) throw new Error(`bad field name ${fieldName}`);
    const { size, align } = sizeOf(type);
    offset = Math.ceil(offset / align) * align;
    fields.push({ name: fieldName, type, offset, size });
    offset += size;
  }
  const size = Math.max(8, Math.ceil(offset / 8) * 8);

  const enc: string[] = [];
  const cacheDecls: string[] = [];
  const decCache: string[] = [];
  const dec: string[] = [];
  const empty: string[] = [];
  for (const f of fields) {
    const at = `offset + ${f.offset}`;
    const key = JSON.stringify(f.name);
    const src = `value[${key}]`;
    if (typeof f.type === 'string') {
      enc.push(scalarWrite(f.type, at, src));
      dec.push(`${key}: ${scalarRead(f.type, at)},`);
      empty.push(`${key}: ${isBig(f.type) ? '0n' : f.type === 'bool' ? 'false' : '0'},`);
    } else if ('str' in f.type) {
      // Hot-path strings repeat (symbol, exchange, account): keep the bytes of the last value.
      const c = `c${fields.indexOf(f)}`;
      cacheDecls.push(`let ${c}v = '', ${c}b = Buffer.alloc(${f.size});`);
      enc.push(`{ const v = ${src}; if (v !== ${c}v) { ${c}b = Buffer.alloc(${f.size}); writeStr(${c}b, 0, ${f.size}, v); ${c}v = v; } buf.set(${c}b, ${at}); }`);
      // Decoded strings repeat too (the same symbol, account, exchange frame after frame): a
      // byte comparison with the last one's bytes avoids decoding and allocating it again.
      decCache.push(`const d${fields.indexOf(f)} = { bytes: Buffer.alloc(${f.size}), text: '' };`);
      dec.push(`${key}: cachedStr(d${fields.indexOf(f)}, buf, ${at}, ${f.size}),`);
      empty.push(`${key}: '',`);
    } else {
      const el = f.type.array;
      const step = SCALAR_SIZE[el];
      const zero = isBig(el) ? '0n' : el === 'bool' ? 'false' : '0';
      enc.push(
        `{ const a = ${src}; for (let i = 0; i < ${f.type.length}; i++) { const v = i < a.length ? a[i] : ${zero}; ${scalarWrite(el, `${at} + i * ${step}`, 'v')} } }`,
      );
      dec.push(
        `${key}: (() => { const a = new Array(${f.type.length}); for (let i = 0; i < ${f.type.length}; i++) a[i] = ${scalarRead(el, `${at} + i * ${step}`)}; return a; })(),`,
      );
      empty.push(`${key}: new Array(${f.type.length}).fill(${zero}),`);
    }
  }
  // Padding between fields and at the end is zeroed so that frames are byte-for-byte reproducible.
  const gaps: string[] = [];
  let cursor = 0;
  for (const f of fields) {
    if (f.offset > cursor) gaps.push(`buf.fill(0, offset + ${cursor}, offset + ${f.offset});`);
    cursor = f.offset + f.size;
  }
  if (size > cursor) gaps.push(`buf.fill(0, offset + ${cursor}, offset + ${size});`);

  const encode = new Function(
    'writeStr',
    'Buffer',
    `${cacheDecls.join('\n')}\nreturn function encode_${name}(view, buf, offset, value) {\n${enc.join('\n')}\n${gaps.join('\n')}\n}`,
  )(writeStr, Buffer) as Layout<Shape<F>>['encode'];
  const decode = new Function('cachedStr', 'Buffer', `${decCache.join('\n')}\nreturn function decode_${name}(view, buf, offset) {\nreturn {\n${dec.join('\n')}\n};\n}`)(
    cachedStr,
    Buffer,
  ) as Layout<Shape<F>>['decode'];
  const makeEmpty = new Function(`return function empty_${name}() { return {\n${empty.join('\n')}\n}; }`)() as () => Shape<F>;

  const offsets = Object.fromEntries(fields.map((f) => [f.name, f.offset])) as Record<keyof Shape<F> & string, number>;
  return { name, size, fields, offsets, encode, decode, empty: makeEmpty };
}

function writeStr(buf: Buffer, offset: number, size: number, value: string): void {
  // Buffer.write never writes a partial UTF-8 character, so truncation keeps the text valid.
  const written = value.length === 0 ? 0 : buf.write(value, offset, size, 'utf8');
  if (written < size) buf.fill(0, offset + written, offset + size);
}

/**
 * readStr, unless the bytes are those of the last string this field decoded (compared in JS up to
 * the terminating NUL: cheaper than a native Buffer.compare call for a few bytes).
 */
function cachedStr(cache: { bytes: Buffer; text: string }, buf: Buffer, offset: number, size: number): string {
  const bytes = cache.bytes;
  for (let i = 0; i < size; i++) {
    const b = buf[offset + i]!;
    if (b !== bytes[i]) {
      buf.copy(bytes, 0, offset, offset + size);
      cache.text = readStr(buf, offset, size);
      return cache.text;
    }
    if (b === 0) break;
  }
  return cache.text;
}

function readStr(buf: Buffer, offset: number, size: number): string {
  let end = buf.indexOf(0, offset);
  if (end < 0 || end > offset + size) end = offset + size;
  return buf.toString('utf8', offset, end);
}

/** Encodes into a fresh buffer: for tests and cold paths. */
export function encodeToBuffer<T>(layout: Layout<T>, value: T): Buffer {
  const buf = Buffer.alloc(layout.size);
  layout.encode(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), buf, 0, value);
  return buf;
}

export function decodeFromBuffer<T>(layout: Layout<T>, buf: Buffer, offset = 0): T {
  return layout.decode(new DataView(buf.buffer, buf.byteOffset, buf.byteLength), buf, offset);
}
