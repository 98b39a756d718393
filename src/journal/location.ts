/**
 * A location names a process and its files: `category/group/name/mode`, e.g.
 * `td/binance/my_account/live`. Its uid (32-bit FNV-1a of that text) is what frames carry as
 * source and dest, so it must never change for a given name.
 *
 * Here too: where a KF_HOME keeps its files (resolveHome, journalDir, logDir), and the making of a
 * journal directory that only its user may enter (makePrivateDir).
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { JournalError } from './errors.js';

export const CATEGORIES = ['md', 'td', 'strategy', 'system'] as const;
export type Category = (typeof CATEGORIES)[number];
export const MODES = ['live', 'data', 'replay', 'backtest'] as const;
export type Mode = (typeof MODES)[number];

export interface Location {
  readonly category: Category;
  readonly group: string;
  readonly name: string;
  readonly mode: Mode;
  /** "category/group/name/mode" */
  readonly path: string;
  readonly uid: number;
}

const PART_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function makeLocation(category: Category, group: string, name: string, mode: Mode = 'live'): Location {
  if (!CATEGORIES.includes(category)) throw new Error(`unknown category "${category}" (expected one of ${CATEGORIES.join(', ')})`);
  if (!MODES.includes(mode)) throw new Error(`unknown mode "${mode}" (expected one of ${MODES.join(', ')})`);
  for (const [what, part] of [['group', group], ['name', name]] as const) {
    if (!PART_RE.test(part)) throw new Error(`bad location ${what} "${part}": use 1-64 letters, digits, '_', '-' or '.'`);
  }
  const path = `${category}/${group}/${name}/${mode}`;
  return { category, group, name, mode, path, uid: fnv1a32(path) };
}

/** Parses "category/group/name/mode" (mode may be left off: live). */
export function parseLocation(text: string): Location {
  const parts = text.split('/');
  if (parts.length < 3 || parts.length > 4) {
    throw new Error(`"${text}" is not a location: expected category/group/name[/mode], e.g. td/binance/my_account/live`);
  }
  const [category, group, name, mode] = parts as [Category, string, string, Mode | undefined];
  return makeLocation(category, group, name, mode ?? 'live');
}

/** The well-known locations of ARCHITECTURE.md. */
export const Locations = {
  master: () => makeLocation('system', 'master', 'master'),
  ledger: () => makeLocation('system', 'service', 'ledger'),
  md: (source: string) => makeLocation('md', source, source),
  td: (source: string, account: string) => makeLocation('td', source, account),
  strategy: (name: string) => makeLocation('strategy', 'default', name),
};

/** KF_HOME: `-H` on the command line, else $KF_HOME, else ~/.config/kungfu/app/runtime. */
export function resolveHome(explicit?: string): string {
  const chosen = explicit ?? process.env.KF_HOME;
  return resolve(chosen && chosen.length > 0 ? chosen : join(homedir(), '.config', 'kungfu', 'app', 'runtime'));
}

export function journalRoot(home: string): string {
  return join(home, 'journal');
}

export function journalDir(home: string, location: Location): string {
  return join(journalRoot(home), location.category, location.group, location.name, location.mode);
}

/** Creates `dir` and its missing parents as 0700 (journals hold orders and balances). */
export function makePrivateDir(dir: string, home: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new JournalError(`cannot create journal directory ${dir} (${code}); make KF_HOME (${home}) a writable directory, or point -H/KF_HOME elsewhere`, 'not-writable');
  }
}

export function logDir(home: string): string {
  return join(home, 'log');
}
