/** The journal: append (JournalWriter), read and replay (JournalReader), live (EventLoop). Format: format.ts. */
export { JournalWriter, type WriterOptions } from './writer.js';
export { JournalReader, Frame, type ReaderOptions, type WaitMode } from './reader.js';
export { EventLoop, follow, type EventLoopOptions } from './loop.js';
export { JournalError } from './errors.js';
export { nowNs, formatTime, parseTime } from './clock.js';
export { Locations, makeLocation, parseLocation, resolveHome, journalDir, type Location } from './location.js';
