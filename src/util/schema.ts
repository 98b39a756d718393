/**
 * Small schemas for untrusted input (control messages, account configs, settings files): every
 * field is checked (type, range, length, no unknown keys) before anything reads it.
 *
 * Why not zod: the shapes are small and flat, and every process parses some, while
 * importing zod (or zod/mini, which loads the same core and locales) adds about 7 MB of RSS to each
 * process (master measured idle: 61.5 MB -> 68.3 MB), against a budget of 60 MB per process. These
 * few checks cost nothing to load.
 */

import { formatDecimal, parseDecimal, type Decimal } from '../model/decimal.js';

export class SchemaError extends Error {
  override name = 'SchemaError';
}

export interface Schema<T> {
  parse(value: unknown, path?: string): T;
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function fail(path: string, expected: string, value: unknown): never {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value) : Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
  throw new SchemaError(`${path || 'message'}: expected ${expected}, got ${shown}`);
}

export function integer(min: number, max: number): Schema<number> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) fail(path, `an integer from ${min} to ${max}`, value);
      return value;
    },
  };
}

/** A string of at most `maxLength` characters matching `pattern` (which should be anchored). */
export function text(maxLength: number, pattern = /^[^\u0000-\u001f\u007f]*$/): Schema<string> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'string' || value.length > maxLength || !pattern.test(value)) fail(path, `text of at most ${maxLength} characters matching ${pattern}`, value);
      return value;
    },
  };
}

export function oneOf<const L extends string>(...values: L[]): Schema<L> {
  return {
    parse(value, path = '') {
      if (!(values as unknown[]).includes(value)) fail(path, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, value);
      return value as L;
    },
  };
}

export function optional<T>(schema: Schema<T>): Schema<T | undefined> & { readonly optional: true } {
  return { optional: true, parse: (value, path) => (value === undefined ? undefined : schema.parse(value, path)) };
}

export function array<T>(item: Schema<T>, maxItems: number): Schema<T[]> {
  return {
    parse(value, path = '') {
      if (!Array.isArray(value) || value.length > maxItems) fail(path, `an array of at most ${maxItems} items`, value);
      return value.map((v, i) => item.parse(v, `${path}[${i}]`));
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> };

/** A plain object with exactly these keys (optional ones may be missing); unknown keys are refused. */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
      const input = value as Record<string, unknown>;
      for (const key of Object.keys(input)) if (!Object.hasOwn(shape, key)) throw new SchemaError(`${path ? `${path}.` : ''}${key}: unknown field`);
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(shape)) {
        const v = schema.parse(input[key], path ? `${path}.${key}` : key);
        if (v !== undefined) out[key] = v;
      }
      return out as ObjectOf<S>;
    },
  };
}

/** One of several object shapes, chosen by their `type` field. */
export function byType<M extends Record<string, Schema<object>>>(members: M): Schema<{ [K in keyof M]: Infer<M[K]> & { type: K } }[keyof M]> {
  return {
    parse(value, path = '') {
      const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
      if (typeof type !== 'string' || !Object.hasOwn(members, type)) fail(path ? `${path}.type` : 'type', `one of ${Object.keys(members).join(', ')}`, type);
      return members[type]!.parse(value, path) as never;
    },
  };
}

export const literal = <const L extends string>(value: L): Schema<L> => oneOf(value);

export function bool(): Schema<boolean> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'boolean') fail(path, 'true or false', value);
      return value;
    },
  };
}

/** A decimal amount written as a string ("0.01", "1000"), parsed exactly; at least `min`. */
export function decimalText(min: Decimal = 0n): Schema<Decimal> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'string') fail(path, 'a decimal number as a string, like "100.5"', value);
      let d: Decimal;
      try {
        d = parseDecimal(value);
      } catch {
        fail(path, 'a decimal number with at most 8 decimals, like "100.5"', value);
      }
      if (d < min) fail(path, `a decimal number of at least ${formatDecimal(min)}`, value);
      return d;
    },
  };
}

/** An object used as a map: keys matching `key`, values of one schema, at most `maxEntries`. */
export function record<T>(key: RegExp, item: Schema<T>, maxEntries: number): Schema<Record<string, T>> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length > maxEntries) fail(path, `at most ${maxEntries} entries`, value);
      const out: Record<string, T> = Object.create(null) as Record<string, T>;
      for (const [k, v] of entries) {
        if (!key.test(k)) throw new SchemaError(`${path ? `${path}.` : ''}${k}: not a valid name (${key})`);
        out[k] = item.parse(v, path ? `${path}.${k}` : k);
      }
      return out;
    },
  };
}

/**
 * Like text(), for a secret (an API secret, a private key): a refusal names the field and what it
 * expected, never the value, so the error line is safe to log and print.
 */
export function secretText(maxLength: number, pattern = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]+$/): Schema<string> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'string' || value.length > maxLength || !pattern.test(value)) {
        const got = typeof value === 'string' ? `a text of ${value.length} characters (not shown)` : value === null ? 'null' : typeof value;
        throw new SchemaError(`${path || 'message'}: expected a secret text of 1 to ${maxLength} characters, got ${got}`);
      }
      return value;
    },
  };
}
