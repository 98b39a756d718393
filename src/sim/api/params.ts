/**
 * Request parameters as Binance reads and validates them: from the query string and the form body
 * (the query's value wins when a name is in both; a name twice in one place is -1101), or from a
 * WS API request's JSON params; mandatory (-1102), legal characters and ranges (-1100), precision
 * (-1111), with Binance's exact messages. Values stay strings until a reader asks for a type.
 */
import { DECIMALS, DecimalError, parseDecimal, type Decimal } from '../../model/decimal.js';
import { ExchangeError } from '../engine/types.js';

const NUMBER_RANGE = '^([0-9]{1,20})(\\.[0-9]{1,20})?$';
const NUMBER_RE = new RegExp(NUMBER_RANGE);

export class Params {
  static readonly EMPTY = new Params(new Map());

  constructor(private readonly values: Map<string, string>) {}

  /** REST: query string and form body. */
  static parse(query: string, body: string): Params {
    const values = new Map<string, string>();
    for (const text of [query, body]) {
      const seen = new Set<string>();
      for (const [k, v] of new URLSearchParams(text)) {
        if (seen.has(k)) throw new ExchangeError(-1101, 'Duplicate values for a parameter detected.');
        seen.add(k);
        if (!values.has(k)) values.set(k, v); // the query's value wins
      }
    }
    return new Params(values);
  }

  /** WS API: a JSON object of strings, numbers, booleans and arrays of strings (null counts as not sent). */
  static fromJson(params: Record<string, unknown>): Params {
    const values = new Map<string, string>();
    for (const [k, v] of Object.entries(params)) {
      if (v === null) continue;
      if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) values.set(k, String(v));
      // An array of strings (`symbols`, `permissions`): kept as the JSON text REST clients send.
      else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) values.set(k, JSON.stringify(v));
      else if (typeof v === 'number') throw illegal(k, NUMBER_RANGE);
      else throw new ExchangeError(-1135, `JSON sent for parameter '${k}' is not valid`);
    }
    return new Params(values);
  }

  has(name: string): boolean {
    const v = this.values.get(name);
    return v !== undefined && v !== '';
  }

  get names(): string[] {
    return [...this.values.keys()];
  }

  optional(name: string): string | undefined {
    return this.has(name) ? this.values.get(name) : undefined;
  }

  required(name: string): string {
    const v = this.optional(name);
    if (v === undefined) throw new ExchangeError(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
    return v;
  }

  /** One of a fixed set of words (BUY|SELL, ...). */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const v = fallback === undefined ? this.required(name) : (this.optional(name) ?? fallback);
    if (!(allowed as readonly string[]).includes(v)) throw illegal(name, `^(${allowed.join('|')})$`);
    return v as T;
  }

  /** A decimal: Binance's number grammar, at most 8 significant decimals, within the 8-decimal range. */
  decimal(name: string): Decimal | undefined {
    const v = this.optional(name);
    if (v === undefined) return undefined;
    if (!NUMBER_RE.test(v)) throw illegal(name, NUMBER_RANGE);
    const frac = v.split('.')[1] ?? '';
    if (/[1-9]/.test(frac.slice(DECIMALS))) throw new ExchangeError(-1111, `Parameter '${name}' has too much precision.`);
    try {
      return parseDecimal(v, 'down');
    } catch (err) {
      if (err instanceof DecimalError) throw illegal(name, NUMBER_RANGE); // beyond what 8 decimals in 64 bits hold
      throw err;
    }
  }

  integer(name: string, min: number, max: number): number | undefined {
    const v = this.optional(name);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,19}$/.test(v)) throw illegal(name, '^[0-9]{1,20}$');
    const n = Number(v);
    if (n < min || n > max) throw illegal(name, `${min}..${max}`);
    return n;
  }

  /** Something named by its id or its client id: at least one sent (Binance's -1102 otherwise). */
  idOrClientId(idName: string, clientIdName: string): { id: number | undefined; clientId: string | undefined } {
    const id = this.integer(idName, 0, Number.MAX_SAFE_INTEGER);
    const clientId = this.optional(clientIdName);
    if (id === undefined && clientId === undefined) throw new ExchangeError(-1102, `Param '${clientIdName}' or '${idName}' must be sent, but both were empty/null!`);
    return { id, clientId };
  }

  matching(name: string, re: RegExp): string | undefined {
    const v = this.optional(name);
    if (v !== undefined && !re.test(v)) throw illegal(name, re.source);
    return v;
  }

  /** -1106 for a parameter this kind of request must not carry. */
  notSent(name: string): void {
    if (this.has(name)) throw new ExchangeError(-1106, `Parameter '${name}' sent when not required.`);
  }
}

export function illegal(name: string, range: string): ExchangeError {
  return new ExchangeError(-1100, `Illegal characters found in parameter '${name}'; legal range is '${range}'.`);
}

/** Binance reads only the parameters an endpoint knows, and refuses a request with others (-1104). */
export function checkKnownParams(params: Params, known: readonly string[]): void {
  const names = params.names;
  const read = names.filter((n) => known.includes(n)).length;
  if (read !== names.length) throw new ExchangeError(-1104, `Not all sent parameters were read; read '${read}' parameter(s) but was sent '${names.length}'.`);
}
