/**
 * The faults a chaos run injects, each a kind with one way to do it. Processes are killed through
 * their pid in the master's registry (PM2 restarts them); the exchange's faults go through the
 * sim's admin endpoint (README, "Fault injection").
 */
import { APPS, SYMBOL, TD_TIMINGS, type AppName, type ChaosStack } from './chaos-stack.js';

export interface Fault {
  kind: string;
  /** What was done, for the log. */
  detail: string;
  /** Whether the fault has taken effect (a killed process replaced), when that can be seen. */
  tookEffect?: () => Promise<boolean>;
}

type Injection = Omit<Fault, 'kind'>;
type Injector = (stack: ChaosStack, pick: <T>(items: readonly T[]) => T) => Promise<Injection>;

async function signal(stack: ChaosStack, app: AppName, sig: NodeJS.Signals): Promise<Injection> {
  const pid = (await stack.pm2List()).get(app)?.pid ?? 0;
  if (pid <= 1) throw new Error(`${app} has no pid in PM2's list`);
  process.kill(pid, sig);
  // Healed only once PM2 runs a new process in its place.
  const tookEffect = async () => {
    const now = (await stack.pm2List()).get(app);
    return now !== undefined && now.pid > 1 && now.pid !== pid && now.status === 'online';
  };
  return { detail: `${sig} to ${app} (pid ${pid})`, tookEffect };
}

async function admin(stack: ChaosStack, path: string): Promise<Injection> {
  const r = await stack.admin(path);
  if (!r.ok) throw new Error(`admin ${path}: ${r.status} ${await r.text()}`);
  return { detail: path };
}

const ALL = APPS.map((a) => a.app);
// SIGINT to the master is the stack's ordered stop (by design, PM2 then keeps everything stopped): not a fault.
const STOPPABLE = ALL.filter((a) => a !== 'master');

export const FAULTS: Record<string, Injector> = {
  'kill -9': (s, pick) => signal(s, pick(ALL), 'SIGKILL'),
  SIGINT: (s, pick) => signal(s, pick(STOPPABLE), 'SIGINT'),
  'drop WebSockets': (s) => admin(s, 'drop-connections'),
  '5xx answers': (s, pick) => admin(s, `fail?count=${pick([2, 4, 6])}&status=${pick([500, 502, 503])}`),
  '429 answers': (s) => admin(s, 'fail?count=2&status=429'),
  'answers past the timeout': (s, pick) => admin(s, `delay?api=${pick(['rest', 'ws'])}&count=1&ms=${TD_TIMINGS.requestTimeoutMs + 1000}`),
  'stream paused': (s, pick) => admin(s, `pause-stream?stream=${pick([`${SYMBOL.toLowerCase()}@depth@100ms`, `${SYMBOL.toLowerCase()}@bookTicker`])}&ms=${pick([1000, 3000])}`),
  'depth sequence skipped': (s) => admin(s, `skip-depth?symbol=${SYMBOL}`),
  serverShutdown: (s) => admin(s, 'server-shutdown'),
};

export const FAULT_KINDS = Object.keys(FAULTS);

export async function inject(stack: ChaosStack, kind: string, pick: <T>(items: readonly T[]) => T): Promise<Fault> {
  return { kind, ...(await FAULTS[kind]!(stack, pick)) };
}
