/**
 * The plain journal hop, as a reference measured in the same run as a bench: a writer process
 * commits 128-byte frames at `rate` a second, a reader process (EventLoop, waiting as `wait` says)
 * takes them (bench/journal/hop.ts). Returns the reader's latency percentiles (us), the first
 * `warmup` frames left out.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WaitMode } from '../../src/journal/reader.js';
import { startChild, stopChild } from './child.js';

const HOP = fileURLToPath(new URL('../journal/hop.js', import.meta.url));

export async function journalHop(opts: { dir: string; count: number; rate: number; warmup: number; wait: WaitMode }): Promise<{ p50: number; p99: number; p999: number }> {
  const home = mkdtempSync(join(opts.dir, 'hop-'));
  mkdirSync(join(home, 'journal'), { recursive: true });
  const args = JSON.stringify({ home, location: 'strategy/default/hop/live', socket: '', count: opts.count, rate: opts.rate, warmup: opts.warmup, idleMs: 0, wait: opts.wait, redisPort: 0 });
  const writer = startChild([HOP, 'journal-writer', args], { stdin: true });
  await writer.line(/^ready$/, 30_000);
  const reader = startChild([HOP, 'journal-reader', args]);
  await reader.line(/^measuring$/, 30_000);
  writer.proc.stdin!.write('go\n');
  const result = JSON.parse(await reader.line(/^\{/, (opts.count / opts.rate) * 1000 + 60_000)) as { p50: number; p99: number; p999: number };
  await Promise.all([stopChild(writer, 'SIGTERM'), stopChild(reader, 'SIGTERM')]);
  return result;
}
