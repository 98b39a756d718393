/** A process's own journal, and the one place CLEAR_JOURNAL is honoured (every process, the master too). */
import { journalDir, type Location } from '../journal/location.js';
import { listPageIds, readBeginTime } from '../journal/page.js';
import { JournalReader } from '../journal/reader.js';
import { JournalWriter } from '../journal/writer.js';
import { MsgType } from '../model/events.js';
import type { Logger } from '../util/log.js';

/**
 * Opens a process's own journal; with CLEAR_JOURNAL=1 (development only) its pages are deleted
 * first, under the writer lock (so a duplicate process, refused by the master or the lock, can
 * never delete the live writer's pages). Only after a clean stop, though: if the last session
 * did not end (the process crashed and PM2 is restarting it, or its stop failed), the journal holds what the
 * restarted process must recover (a TD's orders in flight, the ledger's books), and is kept.
 */
export function openOwnJournal(home: string, location: Location, log: Logger): JournalWriter {
  const wanted = process.env.CLEAR_JOURNAL === '1';
  const crashed = wanted && lastSessionOpen(home, location, log);
  const clear = wanted && !crashed;
  const journal = JournalWriter.open({ home, location, log, clear });
  if (clear) log.warn(`CLEAR_JOURNAL=1: removed ${journal.cleared} journal pages of ${location.path} (development only)`);
  if (crashed) log.warn(`CLEAR_JOURNAL=1 ignored: the last session of ${location.path} did not end cleanly (a crash, or a stop that failed); its journal is kept, to recover from it`);
  return journal;
}

/** Whether the public journal's last session started and never ended (its last page is read). */
function lastSessionOpen(home: string, location: Location, log: Logger): boolean {
  const dir = journalDir(home, location);
  const last = listPageIds(dir, 0).at(-1);
  if (last === undefined) return false;
  // The last page holds the last session's start or end, unless that session spans pages: then all of them.
  return sessionOpen(home, location, log, readBeginTime(dir, 0, last) ?? 0n) ?? sessionOpen(home, location, log, 0n) ?? false;
}

/** The state of the last session marker read from `from` on, or undefined if there is none. */
function sessionOpen(home: string, location: Location, log: Logger, from: bigint): boolean | undefined {
  const reader = new JournalReader({ home, log });
  let open: boolean | undefined;
  try {
    reader.join(location, 0, from);
    for (let f = reader.next(); f; f = reader.next()) {
      if (f.msgType === MsgType.SessionStart) open = true;
      else if (f.msgType === MsgType.SessionEnd) open = false;
    }
  } finally {
    reader.close();
  }
  return open;
}
