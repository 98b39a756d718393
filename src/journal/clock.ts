/**
 * The journal clock: nanoseconds that every process on the machine reads identically.
 *
 * `process.hrtime.bigint()` is CLOCK_MONOTONIC, shared by all processes (performance.now() is
 * per-process and Date.now() is only milliseconds and can step). To make it also mean a moment in
 * calendar time, we add the boot time the kernel publishes in /proc/stat (`btime`, whole seconds,
 * the same number for every process). The result is monotonic, agrees across processes to the
 * nanosecond, and stays within about a second of the wall clock (more after a suspend): good for
 * merging journals and reading latency, and close enough to select "frames since 14:00".
 */
import { readFileSync } from 'node:fs';

function bootEpochNs(): bigint {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (m) return BigInt(m[1]!) * 1_000_000_000n;
  } catch {
    // Not Linux: fall through to a per-process estimate (still monotonic within the process).
  }
  return BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
}

const BOOT_NS = bootEpochNs();

export function nowNs(): bigint {
  return BOOT_NS + process.hrtime.bigint();
}

/** Journal time to ISO-8601 with nanoseconds ("2026-11-28T20:11:30.123456789Z"). */
export function formatTime(ns: bigint): string {
  if (ns <= 0n) return '0';
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  return iso.slice(0, 19) + '.' + (ns % 1_000_000_000n).toString().padStart(9, '0') + 'Z';
}

/** Accepts ns since epoch ("1764360690123456789"), an ISO date/time, or "now-5m"-style offsets. */
export function parseTime(text: string): bigint {
  if (/^\d+$/.test(text)) return BigInt(text);
  const rel = /^now(?:-(\d+)(ns|us|ms|s|m|h|d))?$/.exec(text);
  if (rel) {
    if (!rel[1]) return nowNs();
    const unit: Record<string, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n };
    return nowNs() - BigInt(rel[1]) * unit[rel[2]!]!;
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`"${text}" is not a time: use ns since epoch, an ISO time like 2026-11-28T14:00:00Z, or now-5m`);
  return BigInt(ms) * 1_000_000n;
}
