/**
 * The project's native addon (native/kfts.c, built by `npm ci` through node-gyp): shared-memory
 * mappings, futex wait/wake on a word in a mapping, a thread that watches such a word, and flock.
 * See the C file for what each call does. Loaded once, on first use.
 */
import { createRequire } from 'node:module';
import { JournalError } from './errors.js';

export interface Native {
  /** Linux: futexes work. Elsewhere the wait calls return "timed out" at once. */
  readonly supported: boolean;
  /** Maps `length` bytes of `fd` MAP_SHARED; unmapped when the Buffer is collected. */
  map(fd: number, length: number, writable: boolean): Buffer;
  /** 0 woken or the word differed, 1 timed out, 2 interrupted. A negative timeout waits forever. */
  futexWait(buf: Buffer | Int32Array, byteOffset: number, expected: number, timeoutNs: number): 0 | 1 | 2;
  futexWake(buf: Buffer | Int32Array, byteOffset: number, count: number): number;
  /** Calls `onChange` on the event loop each time the word changes; returns the stop function. */
  watch(buf: Buffer | Int32Array, byteOffset: number, onChange: () => void): () => void;
  /** An exclusive, non-blocking flock: false when another open file description holds it. */
  flock(fd: number): boolean;
  /** Creates a FIFO (named pipe); throws with the errno's name in `code` (EEXIST, ...). */
  mkfifo(path: string, mode: number): void;
}

let loaded: Native | undefined;

export function native(): Native {
  if (loaded) return loaded;
  const file = new URL('../../build/Release/kfts.node', import.meta.url);
  try {
    loaded = createRequire(import.meta.url)(file.pathname) as Native;
  } catch (err) {
    throw new JournalError(
      `the native addon ${file.pathname} cannot be loaded (${(err as Error).message.split('\n')[0]}); build it with npm ci (needs python3, make and g++)`,
      'no-addon',
    );
  }
  return loaded;
}
