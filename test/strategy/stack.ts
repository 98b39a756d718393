/**
 * What the strategy tests share: kfc sim (in this process), a real master, ledger and TD (and an MD
 * where asked) as in test/ledger/ledger-td.test.ts, and real `kfc strategy` processes running the
 * fixture strategies of test/strategy/fixtures/. The fixtures say what they see in log lines
 * ("T <what>"), which the tests read from the process's stdout.
 */
import { fileURLToPath } from 'node:url';
import { Locations } from '../../src/journal/location.js';
import { JournalReader } from '../../src/journal/reader.js';
import { MsgType, Deregister } from '../../src/model/events.js';
import type { Child } from '../fixtures/child.js';
import { kfcProcess } from '../fixtures/kfc.js';
import { ACCT } from '../fixtures/ledger-books.js';
import { TdStack, type SimAccountSpec } from '../fixtures/td-stack.js';
import { recordingLogger, waitFor } from '../helpers.js';

export { ACCT };
/** A second account at the sim, added with kfc account add; its TD runs only when a test starts it. */
export const SPARE: SimAccountSpec = { name: 'spare', apiKey: 'kfts-strategy-spare-key', secret: 'kfts-strategy-spare-secret-01' };

/** A fixture strategy's path. */
export const fixture = (file: string): string => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));

export interface StackOptions {
  /** Start the TD of account `acct` (default true). */
  td?: boolean;
  /** A moving market at the sim and an MD gateway on it (default false: a still, empty book). */
  md?: boolean;
}

export class StrategyStack {
  readonly td = new TdStack();
  ledger!: Child;
  tdProcess: Child | undefined;

  get env() {
    return this.td.env;
  }

  static async start(opts: StackOptions = {}): Promise<StrategyStack> {
    const s = new StrategyStack();
    await s.td.start([ACCT, SPARE], opts.md ? { market: { seed: 11, rate: 40, levels: 10 } } : {});
    await s.td.addAccount('acct', ACCT.apiKey, ACCT.secret);
    await s.td.addAccount('spare', SPARE.apiKey, SPARE.secret);
    s.ledger = s.spawn(['ledger']);
    await s.ledger.line(/system\/service\/ledger\/live ready/);
    if (opts.td !== false) await s.startTd();
    if (opts.md) {
      const md = s.spawn(['-l', 'info', 'md', '-s', 'binance', '--preset', `sim:${s.td.simPort}`]);
      await md.line(/md\/binance\/binance\/live ready/);
    }
    return s;
  }

  spawn(args: string[], env: Record<string, string> = {}): Child {
    const c = kfcProcess(args, { ...this.env, ...env });
    this.td.children.push(c);
    return c;
  }

  /** Starts the TD of `account` (default acct) and waits for it to be Ready. */
  async startTd(account = 'acct'): Promise<Child> {
    const td = await this.td.startTd(account);
    if (account === 'acct') this.tdProcess = td;
    return td;
  }

  /** `kfc -l info strategy -s NAME -p fixtures/FILE`, with KF_TEST_* settings for the fixture. */
  strategy(name: string, file: string, env: Record<string, string> = {}): Child {
    return this.spawn(['-l', 'info', 'strategy', '-s', name, '-p', fixture(file)], env);
  }

  /** The ids of the account's open orders at the exchange (the sim's engine, read directly). */
  openAtExchange(): bigint[] {
    return this.td.sim.engine.openOrders(ACCT.name).map((o) => fromClientId(o.clientOrderId));
  }

  /** The master's Deregister of a location, with its journal time. */
  deregistered(location: string): { time: bigint; reason: string } | undefined {
    const r = new JournalReader({ home: this.td.home, log: recordingLogger() });
    r.join(Locations.master());
    let found: { time: bigint; reason: string } | undefined;
    for (let f = r.next(); f; f = r.next()) {
      if (f.msgType !== MsgType.Deregister) continue;
      const d = f.decode(Deregister);
      if (d.location === location) found = { time: f.genTime, reason: d.reason };
    }
    r.close();
    return found;
  }
}

/** The order id in a client order id the TD made ("kf" + the id in base 36). */
function fromClientId(id: string): bigint {
  if (!id.startsWith('kf')) throw new Error(`not one of ours: ${id}`);
  let n = 0n;
  for (const ch of id.slice(2)) n = n * 36n + BigInt(parseInt(ch, 36));
  return n;
}

/** The message part of a fixture's "T ..." log lines. */
export function said(c: Child): string[] {
  return c.lines.map((l) => /\): T (.*)$/.exec(l)?.[1]).filter((m): m is string => m !== undefined);
}

/** Waits for a fixture's "T ..." line matching `re`; returns its regex match. */
export async function saw(c: Child, re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return waitFor(`a strategy line matching ${re}`, () => said(c).map((m) => re.exec(m)).find((m) => m !== null), timeoutMs);
}

/** Sends a command to a fixture driven by stdin (fixtures/driven.ts). */
export function command(c: Child, cmd: object): void {
  c.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
}
