/**
 * The project's native addon (native/kfts.c, built by `npm ci` through node-gyp): shared-memory
 * mappings, futex wait/wake on a word in a mapping, a thread that watches such a word, and flock.
 * See the C file for what each call does. Loaded once, on first use.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /**
   * Starts a thread that bumps and futex-wakes the word while "armed" as soon as Node's event loop
   * has I/O (sockets, signals, IPC, thread-pool results). Returns control(op): 1 arm (about to
   * block), 0 disarm, 2 stop.
   */
  loopWatch(buf: Buffer | Int32Array, byteOffset: number): (op: 0 | 1 | 2) => void;
  /** Whether Node's event loop has I/O watchers that join epoll only at its next poll phase. */
  loopPending(): boolean;
  /** Allocates the first `length` bytes of the file's blocks (posix_fallocate); throws ENOSPC when the disk is full. */
  reserve(fd: number, length: number): void;
  /** An exclusive, non-blocking flock: false when another open file description holds it. */
  flock(fd: number): boolean;
  /** Faults `length` bytes of a writable mapping in, on a worker thread; returns at once. */
  populate(buf: Buffer, offset: number, length: number): void;
  /**
   * Drops the whole pages of that range of a mapping from this process's resident memory (the
   * file keeps the data; touching it again reads it back from the page cache).
   */
  release(buf: Buffer, offset: number, length: number): void;
  /** release, on a worker thread: a writer's hot path does not pay for unmapping its pages. */
  releaseLater(buf: Buffer, offset: number, length: number): void;
  /** Writes that range of a shared file mapping to disk and waits for it (msync MS_SYNC). */
  sync(buf: Buffer, offset: number, length: number): void;
  /** sched_yield(2): lets another runnable process have this core (spinning loops call it). */
  yieldCpu(): void;
  /** Returns the free pages of the C heap's arenas to the system (glibc malloc_trim; else nothing). */
  trimMemory(): void;
  /** Creates a FIFO (named pipe); throws with the errno's name in `code` (EEXIST, ...). */
  mkfifo(path: string, mode: number): void;
}

let loaded: Native | undefined;

/** build/Release/kfts.node of the package this file belongs to (src/, dist/ or dist-bench/src/). */
function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'build', 'Release', 'kfts.node');
    if (existsSync(candidate)) return candidate;
  }
  return fileURLToPath(new URL('../../build/Release/kfts.node', import.meta.url));
}

export function native(): Native {
  if (loaded) return loaded;
  const file = addonPath();
  try {
    loaded = createRequire(import.meta.url)(file) as Native;
  } catch (err) {
    throw new JournalError(
      `the native addon ${file} cannot be loaded (${(err as Error).message.split('\n')[0]}); build it with npm ci (needs python3, make and g++)`,
      'no-addon',
    );
  }
  return loaded;
}
