/**
 * The hot path's reader of depth diffs: a combined-stream frame's bytes straight into a DepthDiff,
 * without decoding the frame to a string or building JSON objects (JSON.parse was half the cost
 * of a diff: bench:md). It takes only the compact form Binance sends,
 *
 *   {"stream":"<name>","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":2,"u":3,"b":[["p","q"],...],"a":[...]}}
 *
 * with the data keys in any order and nothing else: any other byte (whitespace, an escape, an
 * unknown key, a number of another form) makes it return false, and the frame takes the general
 * path (JSON.parse + parseDepthDiff), which decides. When it returns true its diff is exactly what
 * the general path gives (test/gateway/md/depth-scan.test.ts checks that on random frames).
 */
import { MAX_LEVELS, type DepthDiff, type Levels } from './depth-json.js';
import { parseFixedInto } from './fixed.js';

const Q = 34; // "
const COLON = 58;
const COMMA = 44;
const OPEN = 91; // [
const CLOSE = 93; // ]
const BRACE_CLOSE = 125; // }
const EVENT = Buffer.from('"depthUpdate"');
/** `{"stream":"`: what a combined-stream frame starts with. */
export const STREAM_PREFIX = Buffer.from('{"stream":"');
/** What follows the stream name. */
export const DATA_PREFIX = Buffer.from('","data":{');

/** Whether `buf` has `bytes` at `at`. */
export function hasAt(buf: Uint8Array, at: number, bytes: Uint8Array): boolean {
  if (at + bytes.length > buf.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

/** Where int() puts its value: a number returned from a call is boxed unless V8 inlines the call. */
const INT = new Float64Array(1);

/*
 * The readers below take the position to read at and return the position after what they read,
 * or -1: a position kept in a local (a register) rather than in module state, which every
 * `pos++` of a byte loop would load and store.
 */

/** A JSON integer (no sign, no leading zero, no fraction) below 2^53 at `at`, into INT[0]. */
function int(buf: Uint8Array, at: number, end: number): number {
  let n = 0;
  let p = at;
  while (p < end) {
    const d = buf[p]! - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
    p++;
  }
  const len = p - at;
  if (len === 0 || len > 16 || (len > 1 && buf[at] === 48) || n > Number.MAX_SAFE_INTEGER) return -1;
  const next = buf[p];
  if (next === 46 || next === 101 || next === 69) return -1; // . e E: not an integer
  INT[0] = n;
  return p;
}

/** `[["p","q"],...]` at `at` into `into`; -1 if it is not exactly that, or a value is out of range. */
function levels(buf: Uint8Array, at: number, end: number, into: Levels): number {
  into.length = 0;
  let p = at;
  if (buf[p++] !== OPEN) return -1;
  if (buf[p] === CLOSE) return p + 1;
  for (;;) {
    if (buf[p++] !== OPEN) return -1;
    const n = into.length;
    if (n >= 2 * MAX_LEVELS) return -1;
    const values = into.reserve(n + 2);
    // `"price","qty"]`, parsed straight into the levels' array. One call site of the parser, so
    // that V8 inlines it (two exceed its inlining budget).
    for (let field = 0; field < 2; field++) {
      if (buf[p] !== Q) return -1;
      const s = ++p;
      while (p < end && buf[p] !== Q) p++;
      if (!parseFixedInto(buf, s, p, values, n + field)) return -1;
      if (buf[p + 1] !== (field === 0 ? COMMA : CLOSE)) return -1;
      p += 2;
    }
    if (!(values[n]! > 0) || !(values[n + 1]! >= 0)) return -1;
    into.length = n + 2;
    const next = buf[p++];
    if (next === CLOSE) return p;
    if (next !== COMMA) return -1;
  }
}

const E = 1;
const E_TIME = 2;
const S = 4;
const FIRST = 8;
const LAST = 16;
const BIDS = 32;
const ASKS = 64;

/**
 * Reads the `data` object of a depthUpdate frame: from `start` (just after `"data":{`) to the
 * frame's `end`, which must close the data object and the frame (`}}`). `symbol` is the symbol
 * the stream belongs to, as bytes: a diff for another one is not read here.
 */
export function scanDepthUpdate(buf: Uint8Array, start: number, end: number, symbol: Uint8Array, out: DepthDiff): boolean {
  let p = start;
  let seen = 0;
  for (;;) {
    if (buf[p] !== Q || buf[p + 2] !== Q || buf[p + 3] !== COLON) return false;
    const key = buf[p + 1];
    p += 4;
    let bit: number;
    switch (key) {
      case 101: // e
        if (!hasAt(buf, p, EVENT)) return false;
        p += EVENT.length;
        bit = E;
        break;
      case 69: // E
        if ((p = int(buf, p, end)) < 0) return false;
        out.eventTime = INT[0]!;
        bit = E_TIME;
        break;
      case 115: // s
        if (buf[p] !== Q || !hasAt(buf, p + 1, symbol) || buf[p + 1 + symbol.length] !== Q) return false;
        p += symbol.length + 2;
        bit = S;
        break;
      case 85: // U
        if ((p = int(buf, p, end)) < 0) return false;
        out.first = INT[0]!;
        bit = FIRST;
        break;
      case 117: // u
        if ((p = int(buf, p, end)) < 0) return false;
        out.last = INT[0]!;
        bit = LAST;
        break;
      case 98: // b
        if ((p = levels(buf, p, end, out.bids)) < 0) return false;
        bit = BIDS;
        break;
      case 97: // a
        if ((p = levels(buf, p, end, out.asks)) < 0) return false;
        bit = ASKS;
        break;
      default:
        return false;
    }
    if (seen & bit) return false; // a key twice: JSON.parse keeps the last; let it
    seen |= bit;
    const next = buf[p++];
    if (next === BRACE_CLOSE) break;
    if (next !== COMMA) return false;
  }
  return seen === 127 && buf[p] === BRACE_CLOSE && p + 1 === end && out.first <= out.last;
}
