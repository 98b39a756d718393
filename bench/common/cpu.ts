/**
 * CPU use of processes over a window, from /proc/<pid>/stat (utime + stime: every thread), as a
 * percentage of one core. Linux only, like the benches.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuTicksOf, parentOf } from '../../src/util/process.js';

/** The kernel's clock ticks per second for /proc times (getconf CLK_TCK; 100 on Linux almost always). */
function clockTicks(): number {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

/** Every live descendant of `pid` (children, their children...). */
export function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const parent = parentOf(Number(name));
    if (parent === undefined) continue;
    if (!parents.has(parent)) parents.set(parent, []);
    parents.get(parent)!.push(Number(name));
  }
  const out: number[] = [];
  for (const queue = [pid]; queue.length > 0; ) for (const c of parents.get(queue.shift()!) ?? []) out.push(c), queue.push(c);
  return out;
}

/**
 * CPU % of one core used by each named process over `seconds` (a process that exits meanwhile
 * is left out). The resolution is one clock tick over the window: 0.2% over 5 s at 100 ticks/s.
 */
export async function cpuPercent(pids: Record<string, number>, seconds: number): Promise<Record<string, number>> {
  const hz = clockTicks();
  const before = Object.entries(pids).map(([name, pid]) => [name, pid, cpuTicksOf(pid)] as const);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const out: Record<string, number> = {};
  for (const [name, pid, ticks] of before) {
    const after = cpuTicksOf(pid);
    if (ticks === undefined || after === undefined) continue;
    out[name] = Math.round(((after - ticks) / hz / wall) * 1000) / 10;
  }
  return out;
}
