/**
 * Events as plain JSON values for tools and APIs: decimals become exact decimal strings, 64-bit
 * integers and times become decimal strings (JSON numbers would lose digits past 2^53).
 */
import { formatDecimal } from './decimal.js';
import type { Layout } from './layout.js';

export function eventToJson<T>(layout: Layout<T>, value: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const f of layout.fields) {
    const v = record[f.name];
    const scalar = typeof f.type === 'string' ? f.type : 'array' in f.type ? f.type.array : 'str';
    if (scalar === 'decimal') out[f.name] = Array.isArray(v) ? v.map((x) => formatDecimal(x as bigint)) : formatDecimal(v as bigint);
    else if (typeof v === 'bigint') out[f.name] = v.toString();
    else if (Array.isArray(v)) out[f.name] = v.map((x) => (typeof x === 'bigint' ? x.toString() : x));
    else out[f.name] = v;
  }
  return out;
}
