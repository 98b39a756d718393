/**
 * Loading a user's strategy file (.ts through tsx, or .js/.mjs) and checking its shape. A file
 * that is missing, does not compile or throws while loading is a one-line error, not a stack.
 */
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

/** What a strategy's callbacks receive first (grows with the strategy runtime). */
export interface StrategyContext {
  readonly name: string;
  readonly log: Logger;
  /** Journal time, ns. */
  now(): bigint;
}

type Callback = (ctx: StrategyContext) => unknown;

export interface Strategy {
  preStart?: Callback;
  postStart?: Callback;
  preStop?: Callback;
  postStop?: Callback;
  [callback: string]: unknown;
}

const LIFECYCLE = ['preStart', 'postStart', 'preStop', 'postStop'] as const;

export async function loadStrategy(path: string): Promise<Strategy> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError(`strategy file ${file} not found: check the -p path`);
  const ext = extname(file);
  const typescript = ['.ts', '.mts', '.cts'].includes(ext);
  if (!typescript && !['.js', '.mjs', '.cjs'].includes(ext)) {
    throw new UserError(`strategy file ${file} must be .ts or .js (got "${ext || 'no extension'}")`);
  }
  let mod: Record<string, unknown>;
  try {
    // tsImport loads the file as an ES module wherever it lives (a plain register() would treat a
    // .ts file outside a "type": "module" package as CommonJS).
    const url = pathToFileURL(file).href;
    mod = (typescript ? await (await import('tsx/esm/api')).tsImport(url, import.meta.url) : await import(url)) as Record<string, unknown>;
  } catch (err) {
    const message = (err as Error).message?.split('\n')[0] ?? String(err);
    throw new UserError(`strategy file ${path} failed to load: ${message}`);
  }
  const strategy = (typeof mod.default === 'object' && mod.default !== null ? mod.default : mod) as Strategy;
  const callbacks = Object.keys(strategy).filter((k) => typeof strategy[k] === 'function');
  if (callbacks.length === 0) {
    throw new UserError(`strategy file ${path} exports no callbacks: export functions such as preStart, postStart, onQuote, or a default object of them`);
  }
  return strategy;
}

/** Calls lifecycle callback `name` if the strategy has it; a throw is logged with its name. */
export async function callLifecycle(strategy: Strategy, name: (typeof LIFECYCLE)[number], ctx: StrategyContext): Promise<void> {
  const fn = strategy[name];
  if (typeof fn !== 'function') return;
  try {
    await fn.call(strategy, ctx);
  } catch (err) {
    throw new UserError(`strategy ${ctx.name}: ${name} threw: ${(err as Error).message}`);
  }
}
