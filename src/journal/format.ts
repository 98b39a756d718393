/**
 * The journal's on-disk format, in one place.
 *
 * A journal is the frames one writer (a location) addresses to one destination (`dest` uid; 0 for
 * the public journal everyone may read). It lives in
 *     $KF_HOME/journal/<category>/<group>/<name>/<mode>/
 * as page files `<dest:08x>.<page>.journal` (page numbers from 1), each exactly `page_size`
 * bytes, mapped MAP_SHARED by the writer (read-write) and by readers (read-only), plus
 *     <dest:08x>.lock   held with flock(2) by the one writer; holds its pid (lock.ts)
 *     <dest:08x>.ctl    the control block: which readers follow the journal (below, and wake.ts)
 * Directories are 0700 and files 0600: journals hold orders and balances.
 *
 * Page header (64 bytes, little-endian):
 *     0  u32 magic           0x314a464b ("KFJ1")
 *     4  u32 version         1
 *     8  u32 header_length   64
 *    12  u32 frame_header    32
 *    16  u32 page_size       bytes, including this header
 *    20  u32 page_id         1, 2, ...
 *    24  u32 source uid      the writer's location
 *    28  u32 dest uid
 *    32  i64 begin_time      journal clock (ns) when the page was created
 *    40  24 bytes reserved, zero
 *
 * Frame (from offset 64, each frame 8-byte aligned, back to back):
 *     0  u32 length          whole frame incl. header, multiple of 8; 0 = no frame (yet)
 *     4  i32 msg_type        see src/model/events.ts
 *     8  i64 gen_time        journal clock (ns) when the frame was committed; strictly increasing
 *    16  i64 trigger_time    time of the event that caused this frame (0 if none): latency per hop
 *    24  u32 source          writer's location uid
 *    28  u32 dest            destination uid
 *    32  payload             length - 32 bytes
 *
 * Commit protocol: the writer fills header fields after `length` and the payload, zeroes the
 * `length` word of the next frame, then stores this frame's `length` last with a sequentially
 * consistent store. So the word after the last committed frame is always 0: a reader that sees
 * length > 0 sees a whole frame, and stops at the first 0. A writer killed mid-frame leaves
 * length 0 (its bytes past it are ignored and overwritten by the next writer).
 * A page always keeps room for one more header: when a frame does not fit, the writer appends a
 * PageEnd frame (msg_type 10000, no payload) and continues at the start of the next page.
 * A frame's length is at most MAX_FRAME_SIZE and never more than a page can hold.
 * gen_time strictly increases within a journal, across pages and writer restarts, and is never
 * below its page's begin_time (a page's first frame may share its begin_time).
 *
 * Control block (CONTROL_SIZE bytes, little-endian i32 words, updated with Atomics):
 *     0  u32 magic           0x434a464b ("KFJC")
 *     4  u32 version         2
 *     8  i32 entries_used    entries [0, entries_used) may be non-zero
 *    64  i32 entries[240]    0 = free, else a follower: (generation << 10) | wake-table slot
 * A reader that may sleep adds an entry for itself in every journal it follows; after each commit
 * the writer looks at those readers' slots in the wake table and wakes the sleeping ones.
 *
 * Wake table (`$KF_HOME/journal/wake/table`, one per KF_HOME, WAKE_TABLE_SIZE bytes):
 *     header 64 bytes: 0 magic 0x544a464b ("KFJT"), 4 version 1, 8 slot count, 12 slot size
 *     slot i at 64 + 64 * i (one cache line each):
 *        0  i32 word          futex word, bumped by a writer that wakes the slot's reader
 *        4  i32 sleeping      1 while the reader waits and wants a wake-up; the waker clears it (a
 *                             writer whose frame the reader's filter excludes leaves it set)
 *        8  i32 pid           owner process (0 free, negative while being claimed)
 *       12  i32 generation    bumped at every claim, so entries of a former owner are told apart
 *       16  i32 mode          how to wake it: 1 futex on `word`, 2 one byte into wake/<i>.fifo
 *       24  i64 start_time    the owner's kernel start time (clock ticks): a recycled pid is not it
 *       32  i32 wake_filter   which commits wake the reader: 0 every one; 1 only frames whose msg_type
 *                             is in wake_types; 2 every frame but those (the reader still reads every
 *                             frame, in order, when something else wakes it)
 *       36  i32 wake_count    entries used in wake_types (0..6)
 *       40  i32 wake_types[6] msg_types
 *     A table written before wake_filter existed reads 0 there: every commit wakes, as it did.
 */

export const MAGIC = 0x314a464b;
export const VERSION = 1;
export const PAGE_HEADER_SIZE = 64;
export const FRAME_HEADER_SIZE = 32;
export const FRAME_ALIGN = 8;
export const CONTROL_SIZE = 1024;
export const CONTROL_MAGIC = 0x434a464b; // "KFJC"
export const CONTROL_VERSION = 2;
/** A frame longer than this is refused (a bug or an attack, never an event). */
export const MAX_FRAME_SIZE = 16 * 1024 * 1024;

export const PageHeader = {
  magic: 0,
  version: 4,
  headerLength: 8,
  frameHeaderLength: 12,
  pageSize: 16,
  pageId: 20,
  source: 24,
  dest: 28,
  beginTime: 32,
} as const;

export const FrameHeader = {
  length: 0,
  msgType: 4,
  genTime: 8,
  triggerTime: 16,
  source: 24,
  dest: 28,
} as const;

/** Control block word offsets (bytes). */
export const Control = { magic: 0, version: 4, entriesUsed: 8, entries: 64 } as const;
export const CONTROL_ENTRIES = (CONTROL_SIZE - Control.entries) / 4;

export const WAKE_MAGIC = 0x544a464b; // "KFJT"
export const WAKE_VERSION = 1;
export const WAKE_SLOTS = 1024;
export const WAKE_SLOT_SIZE = 64;
export const WAKE_HEADER_SIZE = 64;
export const WAKE_TABLE_SIZE = WAKE_HEADER_SIZE + WAKE_SLOTS * WAKE_SLOT_SIZE;
/** Byte offsets within a wake-table slot. */
export const WakeSlot = { word: 0, sleeping: 4, pid: 8, generation: 12, mode: 16, startTime: 24, wakeFilter: 32, wakeCount: 36, wakeTypes: 40 } as const;
/** The Int32 index in the wake table of a slot's field (a WakeSlot offset). */
export const slotWord = (slot: number, field: number): number => (WAKE_HEADER_SIZE + slot * WAKE_SLOT_SIZE + field) >>> 2;
export const WakeMode = { futex: 1, fifo: 2 } as const;
export const WakeFilterKind = { all: 0, only: 1, except: 2 } as const;
export const MAX_WAKE_TYPES = 6;
/** A follower entry: its slot (10 bits) and the slot's generation when it followed. */
export const followerEntry = (slot: number, generation: number): number => (((generation & 0x1fffff) << 10) | slot) >>> 0;
export const entrySlot = (entry: number): number => entry & 0x3ff;
export const entryGeneration = (entry: number): number => (entry >>> 10) & 0x1fffff;

export const MIN_PAGE_SIZE = 64 * 1024;
export const MAX_PAGE_SIZE = 1024 * 1024 * 1024;

/** Default page sizes: market data is bulky (Kungfu uses 128 MB), everything else is small. */
export function defaultPageSize(category: string): number {
  return category === 'md' ? 64 * 1024 * 1024 : 4 * 1024 * 1024;
}

export function pageFileName(dest: number, pageId: number): string {
  return `${hex8(dest)}.${pageId}.journal`;
}

export function lockFileName(dest: number): string {
  return `${hex8(dest)}.lock`;
}

export function controlFileName(dest: number): string {
  return `${hex8(dest)}.ctl`;
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

const PAGE_FILE_RE = /^([0-9a-f]{8})\.(\d+)\.journal$/;

export function parsePageFileName(file: string): { dest: number; pageId: number } | undefined {
  const m = PAGE_FILE_RE.exec(file);
  return m ? { dest: parseInt(m[1]!, 16), pageId: Number(m[2]) } : undefined;
}

export function alignFrame(length: number): number {
  return (length + FRAME_ALIGN - 1) & ~(FRAME_ALIGN - 1);
}
