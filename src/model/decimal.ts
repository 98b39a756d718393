/**
 * Exact money: every price, quantity and balance is a fixed-point integer counting 1e-8 units,
 * held in a bigint and stored in journals as an i64.
 *
 * Why fixed-point at 8 decimals: Binance Spot quotes every price, quantity and balance with at most
 * 8 decimals, so 1e-8 is exact for all of them, the values fit an i64 (max ~9.2e10 whole units),
 * and addition/subtraction need no rounding at all. Only multiplication and division round, and
 * they take an explicit rounding mode so every rounding is a visible decision.
 */

export type Decimal = bigint;

export const DECIMALS = 8;
export const ONE: Decimal = 100_000_000n;
export const ZERO: Decimal = 0n;

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

export type Rounding = 'down' | 'up' | 'half-even' | 'floor' | 'ceil' | 'exact';

export class DecimalError extends Error {
  override name = 'DecimalError';
}

const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?$/;

/**
 * Parses "123.45", "-0.1", "1e-3"-free decimal strings exactly. More than 8 decimals is an error
 * unless they are zeros (exchanges send "0.10000000000"), or `rounding` says how to round.
 */
export function parseDecimal(text: string, rounding: Rounding = 'exact'): Decimal {
  const m = DECIMAL_RE.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    throw new DecimalError(`"${text}" is not a decimal number (expected digits like 123.45)`);
  }
  const negative = m[1] === '-';
  const whole = m[2] === '' ? '0' : m[2]!;
  let frac = m[3] ?? '';
  let extra = '';
  if (frac.length > DECIMALS) {
    extra = frac.slice(DECIMALS);
    frac = frac.slice(0, DECIMALS);
  }
  let units = BigInt(whole) * ONE + BigInt(frac.padEnd(DECIMALS, '0'));
  if (extra !== '' && /[1-9]/.test(extra)) {
    if (rounding === 'exact') {
      throw new DecimalError(`"${text}" has more than ${DECIMALS} decimals`);
    }
    // Round the magnitude as if positive, then apply the sign, mapping floor/ceil accordingly.
    const first = extra.charCodeAt(0) - 48;
    const restNonZero = /[1-9]/.test(extra.slice(1));
    const awayFromZero = roundsAway(rounding, negative, units, first, restNonZero);
    if (awayFromZero) units += 1n;
  }
  const value = negative ? -units : units;
  checkRange(value, text);
  return value;
}

function roundsAway(mode: Rounding, negative: boolean, truncated: bigint, firstDropped: number, restNonZero: boolean): boolean {
  switch (mode) {
    case 'down':
      return false;
    case 'up':
      return true;
    case 'floor':
      return negative;
    case 'ceil':
      return !negative;
    case 'half-even':
      if (firstDropped > 5 || (firstDropped === 5 && restNonZero)) return true;
      if (firstDropped < 5) return false;
      return (truncated & 1n) === 1n;
    case 'exact':
      throw new DecimalError('inexact value where an exact one was required');
  }
}

function checkRange(value: bigint, what: string): void {
  if (value > I64_MAX || value < I64_MIN) {
    throw new DecimalError(`${what} is out of range for an 8-decimal amount`);
  }
}

/** Canonical text: no trailing zeros ("0.3", "100", "-0.00000001"). */
export function formatDecimal(value: Decimal): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / ONE;
  const frac = abs % ONE;
  let text = whole.toString();
  if (frac !== 0n) text += '.' + frac.toString().padStart(DECIMALS, '0').replace(/0+$/, '');
  return negative ? '-' + text : text;
}

/** Text with exactly `places` decimals (0..8), as Binance prints amounts ("0.10000000"). */
export function formatFixed(value: Decimal, places: number = DECIMALS): string {
  if (places < 0 || places > DECIMALS) throw new DecimalError(`places must be 0..${DECIMALS}`);
  const step = 10n ** BigInt(DECIMALS - places);
  if (value % step !== 0n) throw new DecimalError(`${formatDecimal(value)} has more than ${places} decimals`);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / ONE;
  const frac = (abs % ONE) / step;
  const text = places === 0 ? whole.toString() : `${whole}.${frac.toString().padStart(places, '0')}`;
  return negative ? '-' + text : text;
}

/** Integer division of n by d with the given rounding (d != 0). */
function divRound(n: bigint, d: bigint, mode: Rounding): bigint {
  if (d === 0n) throw new DecimalError('division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d; // truncates toward zero
  const r = n % d;
  if (r === 0n) return q;
  const negative = n < 0n;
  const absR = negative ? -r : r;
  switch (mode) {
    case 'exact':
      throw new DecimalError('inexact result where an exact one was required');
    case 'down':
      return q;
    case 'up':
      return negative ? q - 1n : q + 1n;
    case 'floor':
      return negative ? q - 1n : q;
    case 'ceil':
      return negative ? q : q + 1n;
    case 'half-even': {
      const twice = absR * 2n;
      const away = twice > d || (twice === d && (q & 1n) !== 0n);
      return away ? (negative ? q - 1n : q + 1n) : q;
    }
  }
}

/** a * b, rounded to 8 decimals (price x quantity = notional). */
export function mul(a: Decimal, b: Decimal, rounding: Rounding): Decimal {
  const value = divRound(a * b, ONE, rounding);
  checkRange(value, 'product');
  return value;
}

/** a / b, rounded to 8 decimals. */
export function div(a: Decimal, b: Decimal, rounding: Rounding): Decimal {
  const value = divRound(a * ONE, b, rounding);
  checkRange(value, 'quotient');
  return value;
}

/** Rounds `value` to a multiple of `step` (a tick or lot size); step 0 means "no step". */
export function roundToStep(value: Decimal, step: Decimal, rounding: Rounding): Decimal {
  if (step === 0n) return value;
  return divRound(value, step, rounding) * step;
}

export function isMultipleOf(value: Decimal, step: Decimal): boolean {
  return step === 0n || value % step === 0n;
}

export function fromInteger(units: number | bigint): Decimal {
  return BigInt(units) * ONE;
}

export function min(a: Decimal, b: Decimal): Decimal {
  return a < b ? a : b;
}

export function max(a: Decimal, b: Decimal): Decimal {
  return a > b ? a : b;
}

/** Number of decimals a step like 0.01000000 implies (2): the precision Binance derives from tickSize. */
export function stepPrecision(step: Decimal): number {
  if (step <= 0n) return DECIMALS;
  let places = DECIMALS;
  let s = step;
  while (places > 0 && s % 10n === 0n) {
    s /= 10n;
    places--;
  }
  return places;
}
