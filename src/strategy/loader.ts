/**
 * Loading a user's strategy file (.ts or .js) and checking its shape. A file that is missing,
 * does not compile or throws while loading is a one-line error, not a stack.
 *
 * TypeScript is compiled once, at start, with esbuild (bundling the strategy's own relative
 * imports; packages stay imports, pointed at the files they resolve to from the strategy's
 * directory), into `$KF_HOME/strategy/default/<name>/build/`, and the result is imported. No
 * loader thread stays in the process (a TypeScript loader hook runs in a thread of its own, with
 * its own heap: 30 MB more per strategy).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

import { CALLBACKS, type Strategy } from './api.js';

/** Compiles a TypeScript strategy to one ES module in `outDir`; returns its path. */
async function compile(file: string, outDir: string, shownAs: string): Promise<string> {
  const esbuild = await import('esbuild');
  const out = join(outDir, `${basename(file, extname(file))}.mjs`);
  const fromStrategy = createRequire(file);
  try {
    await esbuild.build({
      entryPoints: [file],
      outfile: out,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      plugins: [
        {
          name: 'packages-from-the-strategy-directory',
          setup(build) {
            // A package import is left to Node, but as the file it resolves to from where the
            // strategy lives: the compiled module lives elsewhere (KF_HOME).
            build.onResolve({ filter: /^[^./]|^\.[^./]|^\.\.[^/]/ }, (args) => {
              if (args.path.startsWith('node:') || isAbsolute(args.path)) return { path: args.path, external: true };
              try {
                return { path: pathToFileURL(fromStrategy.resolve(args.path)).href, external: true };
              } catch {
                return { path: args.path, external: true }; // a builtin, or Node's own error at import
              }
            });
          },
        },
      ],
    });
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors?.[0];
    if (!first) throw new UserError(`strategy file ${shownAs} failed to compile: ${(err as Error).message.split('\n')[0]}`);
    const where = first.location ? `${resolve(first.location.file)}:${first.location.line}:${first.location.column + 1}: ` : '';
    throw new UserError(`strategy file ${shownAs} failed to compile: ${where}${first.text}`);
  } finally {
    await esbuild.stop();
  }
  return out;
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
    mkdirSync(buildDir, { recursive: true, mode: 0o700 });
    target = await compile(file, buildDir, path);
  }
  try {
    mod = (await import(pathToFileURL(target).href)) as Record<string, unknown>;
  } catch (err) {
    const message = (err as Error).message?.split('\n')[0] ?? String(err);
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
