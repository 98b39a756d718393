/**
 * What the MD gateway's process tests share: a KF_HOME with a master (a kfc process), the
 * simulated exchange (in this process, so a test can stop its market and read its book), the
 * gateway as a real `kfc -l debug md -s binance` process, subscriber processes, and a reader of
 * the gateway's journal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFixture, type Child } from '../../fixtures/child.js';
import { kfcProcess, type KfcEnv } from '../../fixtures/kfc.js';
import { freePort, waitFor } from '../../helpers.js';
import { Locations } from '../../../src/journal/location.js';
import { JournalReader } from '../../../src/journal/reader.js';
import { BookState } from '../../../src/model/enums.js';
import { BrokerStateUpdate, Depth, Instrument, MsgType, Quote, SubscribeError, Transaction, Bar, Ticker } from '../../../src/model/events.js';
import type { BarEvent, BrokerStateEvent, DepthEvent, InstrumentEvent, QuoteEvent, TickerEvent, TransactionEvent } from '../../../src/model/events.js';
import type { SubscribeErrorEvent } from '../../../src/model/events.js';
import { startSimServer, type SimServer } from '../../../src/sim/sim-server.js';

export interface Stack {
  home: string;
  /** Stops what the stack started (the describe's after hook calls it). */
  close(): Promise<void>;
  env: KfcEnv;
  sim: SimServer;
  simPort: number;
  master: Child;
  /** Every gateway process started, oldest first. */
  gateways: Child[];
  /** Starts a gateway process (extra args after `md -s binance`). */
  md(args?: string[]): Child;
  subscriber(name: string): Promise<Subscriber>;
}

export interface Subscriber {
  child: Child;
  uid: number;
  send(line: string): Promise<void>;
}

const children: Child[] = [];

export async function startStack(opts: { market?: boolean; heartbeat?: { pingIntervalMs: number; pongTimeoutMs: number } } = {}): Promise<Stack> {
  // Not tmpHome(): its after() would run at the end of the hook that calls this.
  const home = mkdtempSync(join(tmpdir(), 'kfts-md-'));
  const env: KfcEnv = { KF_HOME: home, KF_MASTER_PORT: String(await freePort()) };
  const sim = await startSimServer({ host: '127.0.0.1', port: 0, market: opts.market === false ? false : { seed: 7, rate: 20, levels: 25 }, ...(opts.heartbeat ? { heartbeat: opts.heartbeat } : {}) });
  const simPort = (sim.server.address() as { port: number }).port;
  const master = kfcProcess(['master'], env);
  children.push(master);
  await master.line(/master listening/);
  const stack: Stack = {
    home,
    async close() {
      for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
      await Promise.all(children.map((c) => c.exited));
      children.length = 0;
      sim.market?.stop();
      sim.server.closeAllConnections();
      sim.server.close();
      rmSync(home, { recursive: true, force: true });
    },
    env,
    sim,
    simPort,
    master,
    gateways: [],
    md(args = []) {
      // debug, not trace: a line per exchange message would make the test process's pipe the bottleneck.
      const md = kfcProcess(['-l', 'debug', 'md', '-s', 'binance', '--preset', `sim:${simPort}`, ...args], env);
      children.push(md);
      stack.gateways.push(md);
      return md;
    },
    async subscriber(name) {
      const child = runFixture('./md-subscriber.ts', [name], env);
      children.push(child);
      await child.line(/^ready$/);
      let sent = 0;
      return {
        child,
        uid: Locations.strategy(name).uid,
        async send(line) {
          child.proc.stdin.write(`${line}\n`);
          const n = ++sent;
          await child.line(new RegExp(`^sent ${n}$`));
        },
      };
    },
  };
  return stack;
}

/** Everything the gateway journaled, read as it comes. */
export class MdJournal {
  private readonly reader: JournalReader;
  readonly quotes: QuoteEvent[] = [];
  readonly depths: { gen: bigint; trigger: bigint; d: DepthEvent }[] = [];
  readonly trades: TransactionEvent[] = [];
  readonly bars: BarEvent[] = [];
  readonly tickers: TickerEvent[] = [];
  readonly instruments: InstrumentEvent[] = [];
  readonly states: BrokerStateEvent[] = [];
  readonly errors: SubscribeErrorEvent[] = [];
  /** Frame counts after each SessionStart of the gateway (one entry per session). */
  readonly sessions: { quotes: number }[] = [];
  /** Where the gateway's latest session starts in `depths`. */
  private sessionDepths = 0;

  constructor(home: string) {
    this.reader = new JournalReader({ home });
    this.reader.join(Locations.md('binance'));
  }

  close(): void {
    this.reader.close();
  }

  poll(): this {
    this.reader.housekeep();
    for (let f = this.reader.next(); f; f = this.reader.next()) {
      switch (f.msgType) {
        case MsgType.Quote:
          this.quotes.push(f.decode(Quote));
          if (this.sessions.length) this.sessions.at(-1)!.quotes++;
          break;
        case MsgType.Depth:
          this.depths.push({ gen: f.genTime, trigger: f.triggerTime, d: f.decode(Depth) });
          break;
        case MsgType.Transaction:
          this.trades.push(f.decode(Transaction));
          break;
        case MsgType.Bar:
          this.bars.push(f.decode(Bar));
          break;
        case MsgType.Ticker:
          this.tickers.push(f.decode(Ticker));
          break;
        case MsgType.Instrument:
          this.instruments.push(f.decode(Instrument));
          break;
        case MsgType.BrokerState:
          this.states.push(f.decode(BrokerStateUpdate));
          break;
        case MsgType.SubscribeError:
          this.errors.push(f.decode(SubscribeError));
          break;
        case MsgType.SessionStart:
          this.sessions.push({ quotes: 0 });
          this.sessionDepths = this.depths.length;
          break;
      }
    }
    return this;
  }

  /** Waits until `condition` holds on what was read so far. */
  async until<T>(what: string, condition: (j: this) => T, timeoutMs = 30_000): Promise<NonNullable<T>> {
    return waitFor(what, () => condition(this.poll()), timeoutMs);
  }

  /**
   * Waits until the book of `symbol` has applied a diff that lies wholly after its last snapshot.
   * Before that, a sequence gap that the sim injects into the next diff (skip-depth) may go unseen:
   * the diff in flight when the snapshot was taken lies inside it, and the gateway rightly drops it.
   * The snapshot's id is read from the journal (the first Live frame after a Stale one, or the
   * first of the gateway's latest session, carries it), not from the gateway's log: its "in sync" line can reach this
   * process after the frame does, and the previous resync's line would then pass for this one's.
   */
  async untilPastSnapshot(symbol: string): Promise<void> {
    await this.until(`a diff of ${symbol} after its snapshot`, () => {
      const mine = this.depths.slice(this.sessionDepths).filter((e) => e.d.symbol === symbol).map((e) => e.d);
      let synced: DepthEvent | undefined;
      for (let i = 0; i < mine.length; i++) if (mine[i]!.state === BookState.Live && mine[i - 1]?.state !== BookState.Live) synced = mine[i];
      const last = mine.at(-1);
      return synced && last?.state === BookState.Live && last.first_update_id > synced.update_id ? true : undefined;
    });
  }

  lastDepth(symbol: string): DepthEvent | undefined {
    for (let i = this.depths.length - 1; i >= 0; i--) if (this.depths[i]!.d.symbol === symbol) return this.depths[i]!.d;
    return undefined;
  }
}

/** The sim's GET /depth, as the exchange answers it. */
export async function restDepth(port: number, symbol: string, limit: number): Promise<{ lastUpdateId: number; bids: [string, string][]; asks: [string, string][] }> {
  const r = await fetch(`http://127.0.0.1:${port}/api/v3/depth?symbol=${symbol}&limit=${limit}`);
  return (await r.json()) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
}

export const admin = async (port: number, path: string) => {
  const r = await fetch(`http://127.0.0.1:${port}/admin/${path}`, { method: 'POST' });
  if (!r.ok) throw new Error(`admin ${path}: ${r.status} ${await r.text()}`);
};
