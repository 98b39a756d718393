/**
 * Preloaded into each process of the soak's stack only (soak.ts puts `--expose-gc --require` of
 * this file in the NODE_OPTIONS of its own PM2 daemon; nothing here ships: package.json's files
 * leave reliability/ out, and no kfc code knows of it). On SIGUSR2 the process runs a full
 * garbage collection and writes V8's used heap (what it still holds) and its physical heap (the
 * pages it has, used or free) to $KF_SOAK_GC_DIR/<pid>.json; the soak reads the anonymous RSS from
 * /proc once the file is there.
 *
 * Why: V8 collects its old space lazily. An idle process (the master) lets garbage pile up for
 * many minutes before a major GC, so its heap and RSS climb steadily without any leak; memory
 * measured after a forced full GC is what the process retains, the quantity a leak makes grow.
 */
'use strict';
const { renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { getHeapStatistics } = require('node:v8');

const dir = process.env.KF_SOAK_GC_DIR;
// The stack's apps only (PM2 sets pm_id), not the PM2 daemon, which shares the environment.
if (dir && process.env.pm_id !== undefined && typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    const file = join(dir, `${process.pid}.json`);
    const heap = getHeapStatistics();
    writeFileSync(`${file}.tmp`, JSON.stringify({ usedHeap: heap.used_heap_size, physicalHeap: heap.total_physical_size }));
    renameSync(`${file}.tmp`, file);
  });
}
