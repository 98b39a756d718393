/**
 * Child process of memory.test.ts (run with --expose-gc): drives the synthetic market through the
 * whole sim (engine, tape, streams, user stream) as fast as it can, on a clock that advances 100 ms
 * a round (the default 10 rounds a second), and prints the heap after GC and the retained sizes
 * after a warm-up and again after more rounds, as one JSON line.
 */
import { startSimServer } from '../../src/sim/sim-server.js';

const [warmup, more] = process.argv.slice(2).map(Number) as [number, number];
let t = Date.now();
const sim = await startSimServer({
  host: '127.0.0.1',
  port: 0,
  now: () => t,
  market: { seed: 7, rate: 0.0001 }, // its own timer never fires: this process drives the rounds
  retention: { finishedOrders: 200, trades: 200, publicTrades: 200, aggTrades: 200, klines: 100 },
});
const gc = (globalThis as { gc?: () => void }).gc!;
const snapshot = () => {
  gc();
  gc();
  const engine = (sim.engine as { retained?: Record<string, number> }).retained ?? {};
  const tape = (sim.tape as { retained?: Record<string, number> } | undefined)?.retained ?? {};
  return { heap: process.memoryUsage().heapUsed, engine, tape };
};
/** Rounds in slices, letting the server's own timers (depth flushes) run between them as they would. */
const run = async (rounds: number) => {
  for (let i = 0; i < rounds; i++) {
    sim.market!.step();
    t += 100;
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 0));
  }
};
await run(warmup);
const first = snapshot();
await run(more);
const second = snapshot();
process.stdout.write(JSON.stringify({ first, second }) + '\n');
sim.server.close();
process.exit(0);
