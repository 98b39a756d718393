/**
 * The stack the chaos run works on: the simulated exchange in this process (so the run reads what
 * the exchange did), and master, ledger, MD, TD and the demo strategy under a PM2 of their own
 * (PM2_HOME and KF_HOME in a temp dir unless given), from the production ecosystem
 * (scripts/ecosystem.config.cjs: no CLEAR_JOURNAL, so a restarted process goes on from its journal).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { books, ledgerCommand, processes, type ProcessRow } from '../src/cli/master-api.js';
import type { MasterEndpoint } from '../src/cli/options.js';
import { AccountStore } from '../src/config/accounts.js';
import { simEndpoints } from '../src/gateway/binance/common/endpoints.js';
import { hmacCredentials } from '../src/gateway/binance/common/credentials.js';
import { BinanceRest } from '../src/gateway/binance/common/rest.js';
import { Locations } from '../src/journal/location.js';
import { JournalReader } from '../src/journal/reader.js';
import { BookState } from '../src/model/enums.js';
import { Depth, MsgType } from '../src/model/events.js';
import { DEMO_ACCOUNT, startSimServer, type SimServer } from '../src/sim/sim-server.js';
import { createLogger } from '../src/util/log.js';
import type { Pm2 } from '../src/deploy/pm2-apps.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ECOSYSTEM = join(ROOT, 'scripts', 'ecosystem.config.cjs');
export const SYMBOL = 'BTCUSDT';
export const ACCOUNT_ID = 'binance_my_account';

/** The stack's processes: PM2 app name and location. */
export const APPS = [
  { app: 'master', location: Locations.master().path },
  { app: 'ledger', location: Locations.ledger().path },
  { app: 'md_binance', location: Locations.md('binance').path },
  { app: 'td_binance', location: Locations.td('binance', 'my_account').path },
  { app: 'strategy_demo', location: Locations.strategy('demo_spot').path },
] as const;
export type AppName = (typeof APPS)[number]['app'];

/** The TD's waits, shortened so that faults heal within seconds (README: KF_TD_TIMINGS). */
export const TD_TIMINGS = { requestTimeoutMs: 2000, gapMs: 500, unknownCheckMs: 500, backoffMinMs: 200, backoffMaxMs: 2000, loginRetryMs: 5000 };

export interface BooksJson {
  accounts: { account: string; brokerState: string; balances: { asset: string; free: string; locked: string }[]; openOrders: number }[];
  strategies: { strategy: string; positions: { symbol: string; volume: string }[] }[];
}

export class ChaosStack {
  readonly master: MasterEndpoint;
  readonly exchange: BinanceRest;
  private readonly md: JournalReader;
  /** When the MD last published a live book of SYMBOL (ms), and its state then. */
  lastDepth = { at: 0, live: false };

  private constructor(
    readonly home: string,
    private readonly pm2Home: string,
    private readonly ownDirs: boolean,
    readonly sim: SimServer,
    readonly simPort: number,
    private readonly pm2: Pm2,
    masterPort: number,
  ) {
    this.master = { host: '127.0.0.1', port: masterPort, home };
    this.exchange = new BinanceRest({ base: `http://127.0.0.1:${simPort}`, credentials: hmacCredentials(DEMO_ACCOUNT.apiKey, DEMO_ACCOUNT.hmacSecret!), log: createLogger({ name: 'chaos', level: 'error', fd: 2 }) });
    this.md = new JournalReader({ home, log: createLogger({ name: 'chaos', level: 'error', fd: 2 }) });
    this.md.join(Locations.md('binance'));
  }

  static async start(opts: { seed: number; masterPort: number; home?: string; rate?: number }): Promise<ChaosStack> {
    const ownDirs = opts.home === undefined;
    const home = opts.home ?? mkdtempSync(join(tmpdir(), 'kfts-chaos-'));
    const pm2Home = mkdtempSync(join(tmpdir(), 'kfts-chaos-pm2-'));
    const sim = await startSimServer({ host: '127.0.0.1', port: 0, market: { seed: opts.seed, rate: opts.rate ?? 10, levels: 20 }, retention: { finishedOrders: 10_000_000, trades: 10_000_000 } });
    const simPort = (sim.server.address() as { port: number }).port;
    const store = AccountStore.open(home, { create: true })!;
    try {
      if (!store.get('binance', 'my_account')) {
        const e = simEndpoints('127.0.0.1', simPort);
        store.add('binance', 'my_account', { apiKey: DEMO_ACCOUNT.apiKey, hmacSecret: DEMO_ACCOUNT.hmacSecret!, restUrl: e.rest, streamUrl: e.stream, wsApiUrl: e.wsApi });
      }
    } finally {
      store.close();
    }
    // PM2 reads PM2_HOME when loaded; its daemon, and through it every app, gets this environment.
    Object.assign(process.env, { PM2_HOME: pm2Home, KF_HOME: home, KF_MASTER_PORT: String(opts.masterPort), KF_TD_TIMINGS: JSON.stringify(TD_TIMINGS) });
    const { connectPm2, startApp } = await import('../src/deploy/pm2-apps.js');
    const pm2 = await connectPm2();
    const stack = new ChaosStack(home, pm2Home, ownDirs, sim, simPort, pm2, opts.masterPort);
    await startApp(pm2, ECOSYSTEM);
    return stack;
  }

  registry(): Promise<ProcessRow[]> {
    return processes(this.master);
  }

  async books(): Promise<BooksJson> {
    return (await books(this.master)) as BooksJson;
  }

  admin(path: string): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.simPort}/admin/${path}`, { method: 'POST' });
  }

  halt(cancel: boolean): Promise<string> {
    return ledgerCommand(this.master, 'halt', { scope: 'strategy', name: 'demo_spot', cancel, reason: 'chaos: checking the invariants' });
  }

  resume(): Promise<string> {
    return ledgerCommand(this.master, 'resume', { scope: 'strategy', name: 'demo_spot', cancel: false });
  }

  /** PM2's view: app name -> pid (0 when not running) and status. */
  pm2List(): Promise<Map<string, { pid: number; status: string; restarts: number }>> {
    return new Promise((resolve, reject) =>
      this.pm2.list((err: Error | null, list: { name?: string; pid?: number; pm2_env?: { status?: string; restart_time?: number } }[]) => {
        if (err) return reject(err);
        resolve(new Map(list.map((p) => [p.name ?? '', { pid: p.pid ?? 0, status: p.pm2_env?.status ?? '', restarts: p.pm2_env?.restart_time ?? 0 }])));
      }),
    );
  }

  /** Reads what the MD published since the last call: whether the book of SYMBOL is live, and since when. */
  pollDepth(): void {
    this.md.housekeep();
    for (let f = this.md.next(); f; f = this.md.next()) {
      if (f.msgType !== MsgType.Depth) continue;
      const d = f.decode(Depth);
      if (d.symbol === SYMBOL) this.lastDepth = { at: Date.now(), live: d.state === BookState.Live };
    }
  }

  async close(keepHome = false): Promise<void> {
    this.md.close();
    await new Promise<void>((resolve) => this.pm2.killDaemon(() => resolve()));
    this.pm2.disconnect();
    this.sim.market?.stop();
    this.sim.server.closeAllConnections();
    await new Promise<void>((resolve) => this.sim.server.close(() => resolve()));
    rmSync(this.pm2Home, { recursive: true, force: true });
    if (this.ownDirs && !keepHome) rmSync(this.home, { recursive: true, force: true });
  }
}
