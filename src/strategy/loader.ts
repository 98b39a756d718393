/**
 * Loading a user's strategy file (.ts or .js) and checking its shape. A file that is missing,
 * does not compile or throws while loading is a one-line error, not a stack.
 *
 * TypeScript is compiled once, at start, with esbuild in a child process (compile.ts), into
 * `$KF_HOME/strategy/default/<name>/build/`, and the result is imported. No loader thread stays in
 * the process (a TypeScript loader hook runs in a thread of its own, with its own heap: 30 MB more
 * per strategy), and no compiler either.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.js';

import { CALLBACKS, type Strategy } from './api.js';

/**
 * Compiles a strategy to one ES module in `outDir` (compile.ts, in a child process: esbuild loaded
 * here would stay in this process's memory for good); returns its path, or the compile error as
 * "<file>:<line>:<column>: <message>".
 */
async function compile(file: string, outDir: string): Promise<{ out: string } | { problem: string }> {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const out = join(outDir, `${basename(file, extname(file))}.mjs`);
  const compiler = fileURLToPath(new URL('./compile.js', import.meta.url));
  const { execFile } = await import('node:child_process');
  // Under tsx (tests) this module is compile.ts beside loader.ts: run it through tsx too.
  const args = existsSync(compiler) ? [compiler] : ['--import', 'tsx', fileURLToPath(new URL('./compile.ts', import.meta.url))];
  const problem = await new Promise<string | undefined>((done) =>
    execFile(process.execPath, [...args, file, out], { encoding: 'utf8', timeout: 60_000 }, (err, _stdout, stderr) => done(err ? stderr.trim().split('\n').pop() || err.message : undefined)),
  );
  return problem === undefined ? { out } : { problem };
}

/**
 * Loads a strategy file; `buildDir` receives the compiled form of a .ts file (under KF_HOME).
 */
export async function loadStrategy(path: string, buildDir: string): Promise<Strategy> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError(`strategy file ${file} not found: check the -p path`);
  const ext = extname(file);
  const typescript = ['.ts', '.mts', '.cts'].includes(ext);
  if (!typescript && !['.js', '.mjs', '.cjs'].includes(ext)) {
    throw new UserError(`strategy file ${file} must be .ts or .js (got "${ext || 'no extension'}")`);
  }
  let mod: Record<string, unknown>;
  let target = file;
  if (typescript) {
    const compiled = await compile(file, buildDir);
    if ('problem' in compiled) throw new UserError(`strategy file ${path} failed to compile: ${compiled.problem}`);
    target = compiled.out;
  }
  try {
    mod = (await import(pathToFileURL(target).href)) as Record<string, unknown>;
  } catch (err) {
    let message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    // Node does not say where a syntax error in an ES module is; esbuild does.
    if (!typescript && err instanceof SyntaxError) {
      const compiled = await compile(file, buildDir);
      if ('problem' in compiled) message = compiled.problem;
    }
    throw new UserError(`strategy file ${path} failed to load: ${message}`);
  }
  const strategy = (typeof mod.default === 'object' && mod.default !== null ? mod.default : mod) as Record<string, unknown>;
  const known = Object.entries(CALLBACKS).flatMap(([camel, snake]) => [camel, snake]);
  if (!known.some((k) => typeof strategy[k] === 'function')) {
    const exported = Object.keys(strategy).filter((k) => k !== 'default');
    throw new UserError(
      `strategy file ${path} is not a strategy: it exports no known callback (${exported.length ? `it exports ${exported.slice(0, 5).join(', ')}` : 'it exports nothing'}); export functions such as preStart, onQuote, onOrder (or pre_start, on_quote), or a default object of them`,
    );
  }
  return strategy as Strategy;
}

/** Where a strategy's compiled form goes: `$KF_HOME/strategy/default/<name>/build`. */
export function strategyBuildDir(home: string, name: string): string {
  return join(home, 'strategy', 'default', name, 'build');
}
