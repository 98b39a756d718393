/**
 * The ledger process (`kfc ledger`): the system's books and its order gate.
 *
 * At start it follows every journal it needs, those on disk and those of processes registered
 * before it (trading and market-data gateways' public journals, strategies' journals to the
 * ledger, the master's commands to the ledger, its own), replays them to now to rebuild its books
 * (ledger.ts), then runs live on its event loop (futex: journal-driven), joining the journals of
 * processes as they register. It writes the books as JSON for the master's API (state-file.ts),
 * re-reads its risk settings when they change, keeps a child process writing the history to SQLite
 * (history-writer.ts), and stops in the services phase.
 */
import { discoverJournals } from '../journal/discover.js';
import { nowNs } from '../journal/clock.js';
import { parseLocation, type Location } from '../journal/location.js';
import { MsgType } from '../model/events.js';
import { JournalWriter } from '../journal/writer.js';
import type { ServiceContext, ServiceHooks } from '../runtime/service.js';
import { HistoryChild } from './history-child.js';
import { Ledger } from './ledger.js';
import { Outbox } from './outbox.js';
import { RiskSettingsFile } from './settings.js';
import { StateFile, LedgerStateRenderer } from './state-file.js';
import { kept } from '../util/retention.js';

/** The part of a process's journal the ledger reads: gateways' public part, strategies' part to the ledger. */
export function ledgerReadPart(location: Location, ledgerUid: number): number | undefined {
  if (location.mode !== 'live') return undefined;
  if (location.category === 'td' || location.category === 'md') return 0;
  if (location.category === 'strategy') return ledgerUid;
  if (location.category === 'system' && location.name === 'master') return ledgerUid;
  return undefined;
}

/** How far back a restarting ledger reads the MD journals (for the last quote of each symbol). */
const MARKS_REPLAY_NS = 10n * 60n * 1_000_000_000n;

export function ledgerHooks(): ServiceHooks {
  let ledger: Ledger | undefined;
  let outbox: Outbox | undefined;
  let stateFile: StateFile | undefined;
  let history: HistoryChild | undefined;
  let historyStopped: Promise<void> | undefined;

  const follow = (ctx: ServiceContext, location: Location, from = 0n) => {
    const dest = ledgerReadPart(location, ctx.location.uid);
    if (dest !== undefined) ctx.reader.join(location, dest, from);
  };

  return {
    // Market data gives the books their marks through Quotes: order books, trades, bars and
    // tickers are read in passing when something else wakes the ledger, never worth a wake-up.
    wakeFor: { except: [MsgType.Depth, MsgType.Transaction, MsgType.Bar, MsgType.Ticker] },
    start(ctx) {
      const { home, log } = ctx;
      // Final orders are kept ten minutes for late fills (scaled by KF_RETENTION_SCALE), then forgotten (the history has them all).
      const keepFinalNs = BigInt(kept(600)) * 1_000_000_000n;
      const settings = new RiskSettingsFile(home, (m) => log.error(m), (m) => log.info(m));
      settings.refresh();
      // (CLEAR_JOURNAL, if set, already emptied every part of this location's journal at start.)
      outbox = new Outbox(ctx.journal, (dest) => JournalWriter.open({ home, location: ctx.location, dest, log }), log);
      ledger = new Ledger({ ledgerUid: ctx.location.uid, outbox, limits: (s, a) => settings.limitsFor(s, a), log, now: nowNs, onChange: () => stateFile?.changed() });
      const renderer = new LedgerStateRenderer(ledger);
      stateFile = new StateFile(home, () => renderer.render());

      // Everything that was written before now: on disk (a process may have left), and registered.
      // Market data only from the last minutes: the books take marks from it, and a day of quotes
      // would make a restart slow for nothing (orders, fills and balances are read from the start).
      const marksFrom = nowNs() - MARKS_REPLAY_NS;
      const own: number[] = [];
      for (const { location, dest } of discoverJournals(home)) {
        if (location.uid === ctx.location.uid) {
          ctx.reader.join(location, dest);
          own.push(dest);
        } else follow(ctx, location, location.category === 'md' ? marksFrom : 0n);
      }
      for (const p of ctx.master.registry) {
        try {
          follow(ctx, parseLocation(p.location));
        } catch {
          // not a location: the master validated it, nothing to follow
        }
      }
      let replayed = 0;
      const started = performance.now();
      for (let f = ctx.reader.next(); f; f = ctx.reader.next()) {
        ledger.onFrame(f);
        replayed++;
      }
      // Its own journals were only for the replay: live, the ledger knows what it writes.
      for (const dest of own) ctx.reader.leave(ctx.location, dest);
      ledger.endReplay();
      log.info(`ledger: replayed ${replayed} frames from ${ctx.reader.journals.length} journals in ${(performance.now() - started).toFixed(0)} ms; ${ledger.books.accounts.size} accounts, ${ledger.books.strategies.size} strategies, ${ledger.halts.list().length} halts`);
      stateFile.flush(true);
      // Orders, fills, balances and positions into SQLite, by a child process (history-writer.ts).
      history = new HistoryChild(home, log);
      history.start();

      ctx.loop.onFrame((f) => ledger!.onFrame(f));
      ctx.loop.addInterval(200_000_000n, () => stateFile!.flush());
      ctx.loop.addInterval(1_000_000_000n, () => {
        if (settings.refresh()) stateFile!.changed();
      });
      ctx.loop.addInterval(60_000_000_000n, (now) => ledger!.books.prune(now - keepFinalNs));
    },

    // The history writer finishes its last batch while the shutdown goes on; the ledger exits after it.
    afterDeregister: () => historyStopped,

    registry(ctx, change, p) {
      let location: Location;
      try {
        location = parseLocation(p.location);
      } catch {
        return;
      }
      if (change === 'register') follow(ctx, location);
      if (location.category !== 'system') ctx.log.info(`ledger: ${p.location} ${change === 'register' ? 'joined' : 'left'}`);
    },

    async stop(ctx) {
      stateFile?.flush(true);
      historyStopped = history?.stop();
      outbox?.close();
      const b = ledger?.books;
      ctx.log.info(`ledger: final state written (${b?.accounts.size ?? 0} accounts, ${b?.strategies.size ?? 0} strategies)`);
    },
  };
}

