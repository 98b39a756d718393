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
import { parseFixedBytes } from './fixed.js';

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

let pos = 0;

/** A JSON integer (no sign, no leading zero, no fraction) below 2^53 at `pos`; -1 if not one. */
function int(buf: Uint8Array, end: number): number {
  let n = 0;
  const start = pos;
  while (pos < end) {
    const d = buf[pos]! - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
    pos++;
  }
  const len = pos - start;
  if (len === 0 || len > 16 || (len > 1 && buf[start] === 48) || n > Number.MAX_SAFE_INTEGER) return -1;
  const next = buf[pos];
  return next === 46 || next === 101 || next === 69 ? -1 : n; // . e E: not an integer
}

/** `[["p","q"],...]` at `pos` into `into`; false if it is not exactly that, or a value is out of range. */
function levels(buf: Uint8Array, end: number, into: Levels): boolean {
  into.length = 0;
  if (buf[pos++] !== OPEN) return false;
  if (buf[pos] === CLOSE) {
    pos++;
    return true;
  }
  for (;;) {
    if (buf[pos] !== OPEN || buf[pos + 1] !== Q) return false;
    pos += 2;
    let s = pos;
    while (pos < end && buf[pos] !== Q) pos++;
    const price = parseFixedBytes(buf, s, pos);
    if (buf[pos + 1] !== COMMA || buf[pos + 2] !== Q) return false;
    pos += 3;
    s = pos;
    while (pos < end && buf[pos] !== Q) pos++;
    const qty = parseFixedBytes(buf, s, pos);
    if (buf[pos + 1] !== CLOSE) return false;
    pos += 2;
    // NaN fails both comparisons: a malformed number goes to the general path too.
    if (!(price > 0) || !(qty >= 0) || into.length >= 2 * MAX_LEVELS) return false;
    into.push(price, qty);
    const next = buf[pos++];
    if (next === CLOSE) return true;
    if (next !== COMMA) return false;
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
  pos = start;
  let seen = 0;
  for (;;) {
    if (buf[pos] !== Q || buf[pos + 2] !== Q || buf[pos + 3] !== COLON) return false;
    const key = buf[pos + 1];
    pos += 4;
    let bit: number;
    switch (key) {
      case 101: // e
        if (!hasAt(buf, pos, EVENT)) return false;
        pos += EVENT.length;
        bit = E;
        break;
      case 69: // E
        if ((out.eventTime = int(buf, end)) < 0) return false;
        bit = E_TIME;
        break;
      case 115: // s
        if (buf[pos] !== Q || !hasAt(buf, pos + 1, symbol) || buf[pos + 1 + symbol.length] !== Q) return false;
        pos += symbol.length + 2;
        bit = S;
        break;
      case 85: // U
        if ((out.first = int(buf, end)) < 0) return false;
        bit = FIRST;
        break;
      case 117: // u
        if ((out.last = int(buf, end)) < 0) return false;
        bit = LAST;
        break;
      case 98: // b
        if (!levels(buf, end, out.bids)) return false;
        bit = BIDS;
        break;
      case 97: // a
        if (!levels(buf, end, out.asks)) return false;
        bit = ASKS;
        break;
      default:
        return false;
    }
    if (seen & bit) return false; // a key twice: JSON.parse keeps the last; let it
    seen |= bit;
    const next = buf[pos++];
    if (next === BRACE_CLOSE) break;
    if (next !== COMMA) return false;
  }
  return seen === 127 && buf[pos] === BRACE_CLOSE && pos + 1 === end && out.first <= out.last;
}
