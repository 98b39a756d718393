/**
 * The chaos run: `npm run chaos -- --minutes N --seed S` (or `--seconds N`). The whole stack on the
 * simulated exchange under PM2, the demo strategy trading, while a seeded driver injects faults at
 * random moments (faults.ts). After each one it waits for the stack to heal, halts the demo (its
 * orders cancelled), checks the invariants (invariants.ts), and resumes it. At the end: a summary,
 * and exit code 1 on any violation, with the seed and the first violation on one line.
 *
 *   --minutes N | --seconds N   how long to inject faults (default 1 minute; at least one of each kind)
 *   --seed S                    the driver's and the market's seed (default 1)
 *   --home DIR                  KF_HOME to use and keep (default: a temp dir, removed at the end)
 *   --port P                    the master's port (default: a free one)
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { prng } from '../src/sim/market/synthetic.js';
import { DEMO_ACCOUNT } from '../src/sim/sim-server.js';
import type { SimOrder } from '../src/sim/engine/types.js';
import { ChaosStack, SYMBOL } from './chaos-stack.js';
import { FAULT_KINDS, inject } from './faults.js';
import { checkInvariants, healthProblem } from './invariants.js';

const HEAL_MS = 90_000;

function usage(message: string): never {
  process.stderr.write(`chaos: ${message}\nusage: npm run chaos -- [--minutes N | --seconds N] [--seed S] [--home DIR] [--port P]\n`);
  process.exit(2);
}

function whole(text: string | undefined, what: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || n < min || n > max) usage(`--${what} "${text}" must be a whole number from ${min} to ${max}`);
  return n;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(stack: ChaosStack, ms: number): Promise<string | undefined> {
  const until = Date.now() + ms;
  let problem: string | undefined;
  for (;;) {
    try {
      problem = await healthProblem(stack);
    } catch (err) {
      problem = (err as Error).message;
    }
    if (problem === undefined || Date.now() > until) return problem;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const percentile = (xs: number[], p: number) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!);

async function main(): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({ options: { minutes: { type: 'string' }, seconds: { type: 'string' }, seed: { type: 'string' }, home: { type: 'string' }, port: { type: 'string' } }, strict: true }) as { values: Record<string, string | undefined> });
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.minutes !== undefined && values.seconds !== undefined) usage('give --minutes or --seconds, not both');
  const seconds = whole(values.seconds, 'seconds', 10, 86_400) ?? (whole(values.minutes, 'minutes', 1, 1440) ?? 1) * 60;
  const seed = whole(values.seed, 'seed', 0, 2 ** 31 - 1) ?? 1;
  const port = whole(values.port, 'port', 1, 65535) ?? (await freePort());
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`chaos: seed ${seed}, ${seconds} s of faults`);
  const stack = await ChaosStack.start({ seed, masterPort: port, ...(values.home ? { home: values.home } : {}) });
  // Every order the exchange accepts from the demo account (as placed; the checks read their state now).
  const accepted: SimOrder[] = [];
  const place = stack.sim.engine.placeOrder.bind(stack.sim.engine);
  stack.sim.engine.placeOrder = (req) => {
    const result = place(req);
    if (req.account === DEMO_ACCOUNT.name) accepted.push(result.order);
    return result;
  };

  const byKind = new Map<string, number>();
  const recoveries: number[] = [];
  const violations: string[] = [];
  let checks = { orders: 0, fills: 0 };
  try {
    const up = await waitHealthy(stack, HEAL_MS);
    if (up) throw new Error(`the stack did not come up: ${up}`);
    say(`chaos: the stack is up (KF_HOME ${stack.home}); injecting faults`);
    const end = Date.now() + seconds * 1000;
    let n = 0;
    let queue: string[] = [];
    const shuffle = (xs: string[]) => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [xs[i], xs[j]] = [xs[j]!, xs[i]!];
      }
      return xs;
    };
    // At least one fault of every kind, however slow the machine.
    while ((Date.now() < end || n < FAULT_KINDS.length) && violations.length === 0) {
      // Trading: the demo has orders at the exchange again before the next fault.
      await new Promise((r) => setTimeout(r, 500 + random() * 2500));
      // Every kind once per round, in a seeded order.
      if (queue.length === 0) queue = shuffle([...FAULT_KINDS]);
      const kind = queue.pop()!;
      n++;
      const fault = await inject(stack, kind, pick);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      const t0 = Date.now();
      // Give the fault time to bite (a killed process replaced) before asking whether the stack is whole again.
      await new Promise((r) => setTimeout(r, 300));
      for (const until = Date.now() + HEAL_MS; fault.tookEffect && !(await fault.tookEffect()) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
      const still = await waitHealthy(stack, HEAL_MS);
      if (still) {
        violations.push(`after ${fault.kind} (${fault.detail}): not healed within ${HEAL_MS / 1000} s: ${still}`);
        break;
      }
      const recovered = Date.now() - t0;
      recoveries.push(recovered);
      await stack.halt(true);
      const result = await checkInvariants(stack, accepted);
      checks = { orders: result.orders, fills: result.fills };
      for (const v of result.violations) violations.push(`after ${fault.kind} (${fault.detail}): ${v}`);
      await stack.resume();
      say(`chaos: ${String(n).padStart(3)} ${fault.kind.padEnd(26)} ${fault.detail.padEnd(52)} healed in ${String(recovered).padStart(5)} ms; ${result.orders} orders, ${result.fills} fills check out${result.violations.length ? `; ${result.violations.length} VIOLATIONS` : ''}`);
    }
  } catch (err) {
    violations.push(`the run failed: ${(err as Error).message}`);
  }
  say('');
  say(`chaos summary (seed ${seed}, ${SYMBOL})`);
  for (const [kind, count] of [...byKind].sort()) say(`  ${kind.padEnd(26)} ${count}`);
  say(`  faults ${[...byKind.values()].reduce((a, b) => a + b, 0)}, recoveries ${recoveries.length}, time to recover (from the fault, at least 300 ms) p50 ${percentile(recoveries, 50)} ms, max ${Math.max(0, ...recoveries)} ms`);
  say(`  orders checked ${checks.orders}, fills checked ${checks.fills}, invariant violations ${violations.length}`);
  await stack.close(values.home !== undefined || violations.length > 0);
  if (violations.length > 0) {
    process.stderr.write(`chaos: FAILED with seed ${seed}: ${violations[0]} (KF_HOME ${stack.home} kept)\n`);
    return 1;
  }
  say('chaos: passed');
  return 0;
}

process.exit(await main());
