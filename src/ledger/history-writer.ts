/**
 * The history writer: a child process of the ledger (`node history-writer.js <KF_HOME> <level>`)
 * that follows the same journals (the TDs' orders, fills and balances; the ledger's refusals and
 * positions) and writes them to SQLite (history-db.ts) in one transaction every 250 ms.
 *
 * Why a process of its own: SQLite's native library costs ~7 MB that would stay in the ledger for
 * good, and no write to disk may stand on the order path. Why it can be: the journals are the
 * record, so the writer needs nothing from the ledger: after a crash or a restart it goes on from
 * where its `progress` table says each journal was written (rows are upserts: frames read twice
 * change nothing). It exits when the ledger closes the IPC channel (a stop, or the ledger's death).
 */
import { fileURLToPath } from 'node:url';
import { discoverJournals } from '../journal/discover.js';
import { Locations, type Location } from '../journal/location.js';
import { JournalReader } from '../journal/reader.js';
import { ownerOf } from '../gateway/binance/common/ids.js';
import { OrderStatus } from '../model/enums.js';
import { Asset, MsgType, Order, Position, Trade } from '../model/events.js';
import { createLogger, isLogLevel, type Logger } from '../util/log.js';
import { HistoryDb } from './history-db.js';

const BATCH_MS = 250;
const DISCOVER_MS = 2000;

/** What the history reads: every TD's public journal and the ledger's. */
function wanted(location: Location, dest: number): boolean {
  if (location.mode !== 'live' || dest !== 0) return false;
  return location.category === 'td' || location.uid === Locations.ledger().uid;
}

export class HistoryWriter {
  private readonly reader: JournalReader;
  private readonly names = new Map<number, string>();
  private readonly progress: Map<string, bigint>;
  private lastDiscovery = Number.NEGATIVE_INFINITY;
  private lookedThisPump = false;
  rows = 0;

  constructor(
    private readonly home: string,
    private readonly db: HistoryDb,
    log: Logger,
  ) {
    this.reader = new JournalReader({ home, log });
    this.progress = db.progress();
  }

  /** Joins journals that appeared since the last look, each from where the history stopped. */
  private discover(): void {
    for (const { location, dest } of discoverJournals(this.home)) {
      if (location.category === 'strategy') this.names.set(location.uid, location.name);
      if (wanted(location, dest)) this.reader.join(location, dest, this.progress.get(location.path) ?? 0n);
    }
  }

  /** Only the strategies' names (safe while reading: joins nothing). */
  private discoverNames(): void {
    for (const { location } of discoverJournals(this.home)) if (location.category === 'strategy') this.names.set(location.uid, location.name);
  }

  private strategyOf(orderId: bigint): string {
    const uid = ownerOf(orderId);
    return uid === 0 ? '' : this.nameOf(uid); // 0: another client's order (the TD adopts it with id 0)
  }

  /** A strategy's name by its uid; one started since the last look is looked for at once (its journal came first). */
  private nameOf(uid: number): string {
    if (!this.names.has(uid) && !this.lookedThisPump) {
      this.lookedThisPump = true;
      this.discoverNames();
    }
    return this.names.get(uid) ?? `uid:${uid.toString(16)}`;
  }

  /** Everything written since the last call, in one transaction; returns the rows written. */
  pump(): number {
    const now = performance.now();
    this.lookedThisPump = false;
    if (now - this.lastDiscovery >= DISCOVER_MS) {
      this.lastDiscovery = now;
      this.discover();
    }
    this.reader.housekeep();
    let n = 0;
    this.db.batch(() => {
      const seen = new Map<string, bigint>();
      for (let f = this.reader.next(); f; f = this.reader.next()) {
        switch (f.msgType) {
          case MsgType.Order: {
            const o = f.decode(Order);
            // The ledger's own Order frames are its refusals; a TD's are every order's life.
            if (f.location.category === 'td' || o.status === OrderStatus.Error) this.db.order(o, this.strategyOf(o.order_id));
            break;
          }
          case MsgType.Trade: {
            const t = f.decode(Trade);
            this.db.trade(t, this.strategyOf(t.order_id));
            break;
          }
          case MsgType.Asset:
            this.db.asset(f.decode(Asset));
            break;
          case MsgType.Position: {
            const p = f.decode(Position);
            this.db.position(p, this.nameOf(p.strategy_uid));
            break;
          }
          default:
            continue;
        }
        n++;
        seen.set(f.location.path, f.genTime);
      }
      for (const [journal, gen] of seen) {
        this.db.setProgress(journal, gen);
        this.progress.set(journal, gen);
      }
    });
    this.rows += n;
    return n;
  }

  close(): void {
    this.reader.close();
  }
}

export const HISTORY_WRITER = fileURLToPath(import.meta.url);

if (process.argv[1] === HISTORY_WRITER) {
  const [home, level] = process.argv.slice(2) as [string, string];
  const log = createLogger({ name: 'ledger-history', level: isLogLevel(level) ? level : 'info' });
  // The ledger's end is this process's end: its IPC channel closing (a stop, or its death), or,
  // should that be missed (it closed before the listener was there), being orphaned.
  const parent = process.ppid;
  let finish = () => process.exit(0);
  process.on('disconnect', () => finish());
  process.on('SIGTERM', () => finish());
  process.on('SIGINT', () => {}); // the ledger's stop reaches the process group: stop when the ledger says so
  const ledgerGone = () => !process.connected || process.ppid !== parent;
  if (ledgerGone()) process.exit(0);
  let db: HistoryDb;
  try {
    db = HistoryDb.open(home, 'write')!;
  } catch (err) {
    log.error(`ledger history: ${(err as Error).message}; the ledger goes on without it`);
    process.exit(1);
  }
  const writer = new HistoryWriter(home, db, log);
  const tick = () => {
    try {
      writer.pump();
    } catch (err) {
      log.error(`ledger history: writing ${db.path} failed (${(err as Error).message}); trying again in ${BATCH_MS} ms`);
    }
  };
  tick();
  log.info(`ledger history: writing orders, trades, balances and positions to ${db.path}`);
  const timer = setInterval(() => (ledgerGone() ? finish() : tick()), BATCH_MS);
  finish = () => {
    clearInterval(timer);
    tick();
    writer.close();
    db.close();
    log.info(`ledger history: closed (${writer.rows} rows written this session)`);
    process.exit(0);
  };
}
