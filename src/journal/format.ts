/**
 * The journal's on-disk format, in one place.
 *
 * A journal is the frames one writer (a location) addresses to one destination (`dest` uid; 0 for
 * the public journal everyone may read). It lives in
 *     $KF_HOME/journal/<category>/<group>/<name>/<mode>/
 * as page files `<dest:08x>.<page>.journal` (page numbers from 1), each exactly `page_size`
 * bytes, mapped MAP_SHARED by the writer (read-write) and by readers (read-only), plus
 *     <dest:08x>.lock   the writer's pid and start time (one writer per journal)
 *     <dest:08x>.ctl    a 64-byte control block: how many readers sleep waiting for a frame
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
 *     8  i64 gen_time        journal clock (ns) when the frame was committed; never decreases
 *    16  i64 trigger_time    time of the event that caused this frame (0 if none): latency per hop
 *    24  u32 source          writer's location uid
 *    28  u32 dest            destination uid
 *    32  payload             length - 32 bytes
 *
 * Commit protocol: the writer fills header fields after `length` and the payload, then stores
 * `length` last with a sequentially consistent store. A reader that sees length > 0 sees the whole
 * frame; a writer killed mid-frame leaves length 0 and the next writer overwrites the torn bytes.
 * A page always keeps room for one more header: when a frame does not fit, the writer appends a
 * PageEnd frame (msg_type 10000, no payload) and continues at the start of the next page.
 */

export const MAGIC = 0x314a464b;
export const VERSION = 1;
export const PAGE_HEADER_SIZE = 64;
export const FRAME_HEADER_SIZE = 32;
export const FRAME_ALIGN = 8;
export const CONTROL_SIZE = 64;
export const CONTROL_MAGIC = 0x434a464b; // "KFJC"

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

/** Control block: offset of the sleeping-readers counter (i32, updated with Atomics). */
export const Control = { magic: 0, sleepers: 4 } as const;

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
