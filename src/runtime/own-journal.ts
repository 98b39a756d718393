/** A process's own journal, and the one place CLEAR_JOURNAL is honoured (every process, the master too). */
import type { Location } from '../journal/location.js';
import { JournalWriter } from '../journal/writer.js';
import type { Logger } from '../util/log.js';

/**
 * Opens a process's own journal; with CLEAR_JOURNAL=1 (development only) its pages are deleted
 * first, under the writer lock (so a duplicate process, refused by the master or the lock, can
 * never delete the live writer's pages).
 */
export function openOwnJournal(home: string, location: Location, log: Logger): JournalWriter {
  const clear = process.env.CLEAR_JOURNAL === '1';
  const journal = JournalWriter.open({ home, location, log, clear });
  if (clear) log.warn(`CLEAR_JOURNAL=1: removed ${journal.cleared} journal pages of ${location.path} (development only)`);
  return journal;
}
