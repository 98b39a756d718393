/**
 * Request parameters as Binance validates them: mandatory (-1102), legal characters and ranges
 * (-1100), with Binance's exact messages. Values stay strings until a reader asks for a type.
 */
import { DECIMALS, parseDecimal, type Decimal } from '../../model/decimal.js';
import { ExchangeError } from '../engine/types.js';

const NUMBER_RANGE = '^([0-9]{1,20})(\\.[0-9]{1,20})?$';

export class Params {
  constructor(private readonly values: Map<string, string>) {}

  static parse(query: string, body: string): Params {
    const values = new Map<string, string>();
    for (const text of [query, body]) {
      if (!text) continue;
      for (const [k, v] of new URLSearchParams(text)) values.set(k, v);
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

  decimal(name: string): Decimal | undefined {
    const v = this.optional(name);
    if (v === undefined) return undefined;
    if (!new RegExp(NUMBER_RANGE).test(v)) throw illegal(name, NUMBER_RANGE);
    const frac = v.split('.')[1] ?? '';
    if (/[1-9]/.test(frac.slice(DECIMALS))) throw illegal(name, NUMBER_RANGE);
    return parseDecimal(v, 'down');
  }

  integer(name: string, min: number, max: number): number | undefined {
    const v = this.optional(name);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,19}$/.test(v)) throw illegal(name, '^[0-9]{1,20}$');
    const n = Number(v);
    if (n < min || n > max) throw illegal(name, `${min}..${max}`);
    return n;
  }

  matching(name: string, re: RegExp): string | undefined {
    const v = this.optional(name);
    if (v !== undefined && !re.test(v)) throw illegal(name, re.source);
    return v;
  }
}

export function illegal(name: string, range: string): ExchangeError {
  return new ExchangeError(-1100, `Illegal characters found in parameter '${name}'; legal range is '${range}'.`);
}
