/**
 * Exchange numbers on the market-data hot path, as integer Numbers counting 1e-8 (the journal's
 * Decimal unit, src/model/decimal.ts) instead of bigints: V8's BigInt arithmetic allocates, a
 * double holding an integer does not.
 *
 * Exactness: a Binance decimal "m.ddd" (d decimals, at most 8) is m_all x 10^(8-d) units, where
 * m_all is its digits as an integer. That product is a double exactly when m_all x 5^(8-d) < 2^53
 * (the 2^(8-d) factor only moves the exponent), which holds for every price and quantity Binance
 * lists (e.g. up to 90 million units at 8 decimals, 23 billion whole units). A number that would
 * not be exact is refused, never rounded: a wrong digit in a book is worse than a missing one.
 */

export class FixedError extends Error {
  override name = 'FixedError';
}

const TWO_53 = 2 ** 53;
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];
const POW5 = [1, 5, 25, 125, 625, 3_125, 15_625, 78_125, 390_625];
const TWO_32 = 4294967296;

/** Why the last parseFixedInto refused its bytes (for error messages; set only on failure). */
let failure: 'syntax' | 'decimals' | 'range' = 'syntax';

/**
 * The decimal in bytes [start, end) of `buf` ("123.45000000" -> 12345000000) into `out[at]`;
 * false (and `out` untouched) when it is not one: an optional '-', digits, at most one '.'
 * between digits; no '+', exponent or spaces; more than 8 decimals only when the extra ones are
 * zeros; exact as said above. No allocation: the hot path reads numbers straight out of
 * WebSocket frames with it, into a typed array, because a double returned from a call that V8
 * does not inline is boxed on the heap.
 */
export function parseFixedInto(buf: Uint8Array, start: number, end: number, out: Float64Array, at: number): boolean {
  const negative = buf[start] === 45; /* - */
  const from = negative ? start + 1 : start;
  if (from >= end || end - start > 40) return (failure = 'syntax'), false;
  let mantissa = 0;
  let decimals = -1; // -1: no point seen yet
  let zeros = 0; // zeros after the point not yet multiplied in: trailing ones never are
  let extraNonZero = false;
  for (let i = from; i < end; i++) {
    const c = buf[i]!;
    if (c === 46 /* . */) {
      if (decimals >= 0 || i === from || i === end - 1) return (failure = 'syntax'), false;
      decimals = 0;
      continue;
    }
    const digit = c - 48;
    if (digit < 0 || digit > 9) return (failure = 'syntax'), false;
    if (decimals < 0) {
      mantissa = mantissa * 10 + digit;
      continue;
    }
    if (decimals + zeros >= 8) {
      if (digit !== 0) extraNonZero = true;
      continue;
    }
    if (digit === 0) {
      zeros++;
      continue;
    }
    mantissa = mantissa * POW10[zeros + 1]! + digit;
    decimals += zeros + 1;
    zeros = 0;
  }
  if (extraNonZero) return (failure = 'decimals'), false;
  const d = decimals < 0 ? 0 : decimals;
  // mantissa stays exact while below 2^53; the product is exact when mantissa x 5^(8-d) < 2^53.
  if (!(mantissa * POW5[8 - d]! < TWO_53)) return (failure = 'range'), false;
  const units = mantissa * POW10[8 - d]!;
  out[at] = negative ? -units : units;
  return true;
}

const result = new Float64Array(1);

/** parseFixedInto as a value: the units, or NaN when the bytes are not a decimal. */
export function parseFixedBytes(buf: Uint8Array, start: number, end: number): number {
  return parseFixedInto(buf, start, end, result, 0) ? result[0]! : NaN;
}

const scratch = Buffer.alloc(160);

/** parseFixedBytes for a string; throws FixedError saying what is wrong. */
export function parseFixed(text: string): number {
  // UTF-8: any character that is not ASCII becomes bytes >= 0x80, which are not digits.
  const n = text.length <= 40 ? scratch.write(text, 0, 'utf8') : 0;
  const value = n > 0 ? parseFixedBytes(scratch, 0, n) : ((failure = 'syntax'), NaN);
  if (value === value) return value; // not NaN
  const shown = text.slice(0, 40);
  if (failure === 'decimals') throw new FixedError(`"${shown}" has more than 8 decimals`);
  if (failure === 'range') throw new FixedError(`"${shown}" is too large for an exact 8-decimal amount`);
  throw new FixedError(`"${shown}" is not a decimal number`);
}

/** A JSON value Binance sends as a decimal string. */
export function fixedOf(value: unknown, what: string): number {
  if (typeof value !== 'string') throw new FixedError(`${what}: expected a decimal string, got ${typeof value}`);
  try {
    return parseFixed(value);
  } catch (err) {
    throw new FixedError(`${what}: ${(err as Error).message}`);
  }
}

/**
 * Writes exchange milliseconds as journal nanoseconds (i64) without BigInt: ms x 1e6 passes 2^53,
 * so it is computed in 32-bit halves (ms < 2^53, so every partial product below is exact).
 */
export function writeMsAsNs(view: DataView, at: number, ms: number): void {
  const lo = ms % TWO_32;
  const hi = (ms - lo) / TWO_32;
  const loNs = lo * 1e6; // < 2^52
  const loPart = loNs % TWO_32;
  view.setUint32(at, loPart, true);
  view.setUint32(at + 4, (hi * 1e6 + (loNs - loPart) / TWO_32) % TWO_32, true);
}

/** Exchange milliseconds as journal nanoseconds (cold paths). */
export function msToNs(ms: number): bigint {
  return BigInt(ms) * 1_000_000n;
}

/** The bigint Decimal of a fixed Number (exact: the Number holds an integer). */
export function toDecimal(units: number): bigint {
  return BigInt(units);
}

/**
 * Writes an integer Number (|n| < 2^63, exact) as a little-endian i64 without BigInt: two u32
 * halves. Both halves are exact: `%` and the division by 2^32 of an integer-valued double are.
 */
export function writeI64(view: DataView, at: number, n: number): void {
  if (n >= 0) {
    const lo = n % TWO_32;
    view.setUint32(at, lo, true);
    view.setUint32(at + 4, (n - lo) / TWO_32, true);
  } else {
    // Two's complement of the magnitude: ~m + 1 across the halves.
    const m = -n;
    const lo = m % TWO_32;
    const hi = (m - lo) / TWO_32;
    const nlo = (TWO_32 - lo) % TWO_32;
    view.setUint32(at, nlo, true);
    view.setUint32(at + 4, (lo === 0 ? TWO_32 - hi : TWO_32 - 1 - hi) % TWO_32, true);
  }
}
