/**
 * Compiles a TypeScript strategy into one ES module, run as a child process by loader.ts:
 *     node compile.js <strategy.ts> <out.mjs>
 * The strategy's own relative imports are bundled; packages stay imports, pointed at the files
 * they resolve to from the strategy's directory (the compiled module lives elsewhere, in KF_HOME).
 * A compile error is the last line on stderr: "<file>:<line>:<column>: <message>"; exit code 1.
 */
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const [file, out] = process.argv.slice(2);
if (!file || !out) {
  process.stderr.write('usage: compile.js <strategy.ts> <out.mjs>\n');
  process.exit(2);
}
const fromStrategy = createRequire(resolve(file));
try {
  await build({
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
        setup(b) {
          b.onResolve({ filter: /^[^./]|^\.[^./]|^\.\.[^/]/ }, (args) => {
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
  const first = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors?.[0];
  const where = first?.location ? `${resolve(first.location.file)}:${first.location.line}:${first.location.column + 1}: ` : '';
  process.stderr.write(`${where}${first?.text ?? (err as Error).message.split('\n')[0]}\n`);
  process.exit(1);
}
