/**
 * The journal clock: nanoseconds that every process of a KF_HOME reads identically.
 *
 * Time is CLOCK_MONOTONIC (`process.hrtime`, the same counter in every process, never stepped)
 * plus an anchor that turns it into calendar time. The anchor is fixed once per machine boot and
 * shared through a file, `$KF_HOME/journal/clock.<boot id>`: the first process of a boot derives
 * it from the wall clock and publishes it atomically (link(2) of a complete file, so a second
 * process reads either nothing or the whole value), every later process reads the same number.
 * So two processes' clocks agree exactly, even if the wall clock was stepped (NTP) between their
 * starts, and journal time stays within the wall clock's error at the boot's first start (plus any
 * later drift or step of the wall clock; monotonic time does not follow them).
 *
 * Across a reboot the monotonic counter restarts and a new anchor is taken: journal writers never
 * let gen_time go backwards regardless (see writer.ts).
 *
 * Without /proc (not Linux), or before `useHomeClock`, the anchor is this process's own estimate.
 */
import { closeSync, constants, linkSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

function estimateAnchor(): bigint {
  return BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
}

let anchorNs = estimateAnchor();
let anchoredHome: string | undefined;

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/[^0-9a-f-]/gi, '');
  } catch {
    return undefined;
  }
}

function readAnchor(file: string): bigint | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d{1,20}$/.test(text) ? BigInt(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Anchors this process's clock to the one every process of `home` uses (creating it if this is the
 * boot's first). Idempotent; `journalDir` is `$KF_HOME/journal`, which must exist.
 */
export function useHomeClock(journalRoot: string): void {
  if (anchoredHome === journalRoot) return;
  const boot = bootId();
  if (!boot) return;
  const file = join(journalRoot, `clock.${boot}`);
  let anchor = readAnchor(file);
  if (anchor === undefined) {
    const tmp = `${file}.${process.pid}.tmp`;
    const mine = estimateAnchor();
    try {
      const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
      try {
        writeSync(fd, `${mine}\n`);
      } finally {
        closeSync(fd);
      }
      try {
        linkSync(tmp, file);
        anchor = mine;
        // Anchors of earlier boots are of no use any more.
        for (const f of readdirSync(journalRoot)) if (f.startsWith('clock.') && f !== `clock.${boot}` && !f.endsWith('.tmp')) rmSync(join(journalRoot, f), { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        anchor = readAnchor(file); // another process published first: use theirs
      }
    } catch {
      // KF_HOME not writable: keep this process's own estimate (readers of a read-only copy).
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  if (anchor !== undefined) anchorNs = anchor;
  anchoredHome = journalRoot;
}

export function nowNs(): bigint {
  return anchorNs + process.hrtime.bigint();
}

/** The anchor itself (ns since the epoch at monotonic zero): turns a raw CLOCK_MONOTONIC reading (a C program's stamp) into journal time. */
export function clockAnchorNs(): bigint {
  return anchorNs;
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
  if (/^\d{1,20}$/.test(text)) return BigInt(text);
  const rel = /^now(?:-(\d{1,12})(ns|us|ms|s|m|h|d))?$/.exec(text);
  if (rel) {
    if (!rel[1]) return nowNs();
    const unit: Record<string, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n };
    return nowNs() - BigInt(rel[1]) * unit[rel[2]!]!;
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`"${text}" is not a time: use ns since epoch, an ISO time like 2026-11-28T14:00:00Z, or now-5m`);
  return BigInt(ms) * 1_000_000n;
}
