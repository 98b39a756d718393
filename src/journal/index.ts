/** The journal: append (JournalWriter), tail and replay (JournalReader). Format: format.ts. */
export { JournalWriter, clearJournal, type WriterOptions } from './writer.js';
export { JournalReader, Frame, type FollowOptions, type ReaderOptions } from './reader.js';
export { JournalError } from './errors.js';
export { nowNs, formatTime, parseTime } from './clock.js';
export { Locations, makeLocation, parseLocation, resolveHome, journalDir, type Location } from './location.js';
