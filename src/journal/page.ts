/**
 * Page files as they are on disk (format in format.ts): how a page file is mapped, opened and
 * validated, which pages a journal has, and a walk over a page's whole frames. Readers and the
 * writer use these; making new page files (the writer's side) is page-create.ts.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { native } from './native.js';
import { MsgType } from '../model/events.js';
import { JournalError } from './errors.js';
import {
  FRAME_HEADER_SIZE,
  FrameHeader,
  MAGIC,
  MAX_FRAME_SIZE,
  MAX_PAGE_SIZE,
  MIN_PAGE_SIZE,
  PAGE_HEADER_SIZE,
  PageHeader,
  VERSION,
  hex8,
  pageFileName,
  parsePageFileName,
} from './format.js';

export interface MappedPage {
  readonly id: number;
  readonly file: string;
  readonly pageSize: number;
  /** Bytes actually mapped: pageSize, or less for a truncated page (readers only). */
  readonly mapped: number;
  /** Where the page's data ends: `mapped`, or the cut of a truncated page a writer refilled. */
  readonly dataEnd: number;
  readonly buf: Buffer;
  readonly view: DataView;
  /** Int32 view of the whole mapping, for the Atomics load/store of commit words. */
  readonly i32: Int32Array;
  readonly beginTime: bigint;
  /** The file's inode when mapped: a reader notices a journal cleared and recreated under it. */
  readonly ino: number;
}

/**
 * Maps a page, lazily: memory is touched (and counted in the process's RSS) as frames are written.
 * Pages after the first are prepared in the background (preparePage), so their faults are cheap.
 */
export function mapFile(fd: number, size: number, writable: boolean): Buffer {
  return native().map(fd, size, writable);
}

export function wrap(id: number, file: string, pageSize: number, buf: Buffer, ino: number, dataEnd = buf.byteLength): MappedPage {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    id,
    file,
    pageSize,
    mapped: buf.byteLength,
    dataEnd,
    buf,
    view,
    i32: new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2),
    beginTime: view.getBigInt64(PageHeader.beginTime, true),
    ino,
  };
}

/**
 * A page's disk blocks, allocated now (native reserve: fallocate, no data written): the page is
 * written through memory, and a store into a hole on a full disk is a SIGBUS, not an error.
 */
export function reserveBlocks(fd: number, size: number, file: string): void {
  try {
    native().reserve(fd, size);
  } catch (err) {
    throw new JournalError(`cannot allocate journal page ${file} (${size} bytes): ${(err as Error).message}; free disk space under KF_HOME`, 'io');
  }
}

export interface OpenPageOptions {
  writable: boolean;
  /** Called once when the page is shorter than its header says (its tail was cut off). */
  onTruncated?: (message: string) => void;
}

/**
 * Opens and validates an existing page; undefined when it does not exist (yet).
 * A damaged header is a JournalError; a truncated page is reported, then mapped as far as it
 * goes (reader) or extended back to its size with zeros (writer).
 */
export function openPage(dir: string, dest: number, pageId: number, opts: OpenPageOptions): MappedPage | undefined {
  const file = join(dir, pageFileName(dest, pageId));
  let fd: number;
  try {
    fd = openSync(file, opts.writable ? constants.O_RDWR : constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new JournalError(`cannot open journal page ${file}: ${(err as Error).message}`, 'io');
  }
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(PAGE_HEADER_SIZE);
    const got = size >= PAGE_HEADER_SIZE ? readSync(fd, header, 0, PAGE_HEADER_SIZE, 0) : 0;
    const pageSize = validateHeader(file, header, got, size, pageId, dest);
    let mapSize = pageSize;
    if (size < pageSize) {
      opts.onTruncated?.(
        `journal page ${file} is truncated: ${size} of ${pageSize} bytes; frames past byte ${size} are lost` +
          (opts.writable ? ', refilling the page with zeros and appending after the last whole frame' : ''),
      );
      if (opts.writable) {
        ftruncateSync(fd, pageSize);
        reserveBlocks(fd, pageSize, file);
      }
      else mapSize = size & ~7;
    }
    return wrap(pageId, file, pageSize, mapFile(fd, mapSize, opts.writable), fstatSync(fd).ino, Math.min(size & ~7, mapSize));
  } finally {
    closeSync(fd);
  }
}

function validateHeader(file: string, header: Buffer, got: number, size: number, pageId: number, dest: number): number {
  const damaged = (what: string) =>
    new JournalError(`journal page ${file} is damaged (${what}); move it out of the way, or start with CLEAR_JOURNAL=1 to discard the journal`, 'bad-header');
  if (got < PAGE_HEADER_SIZE) throw damaged(`${size} bytes, shorter than the ${PAGE_HEADER_SIZE}-byte page header`);
  const magic = header.readUInt32LE(PageHeader.magic);
  if (magic !== MAGIC) throw damaged(`bad magic 0x${hex8(magic)}, not a kungfu-ts journal page`);
  const version = header.readUInt32LE(PageHeader.version);
  if (version !== VERSION) {
    throw new JournalError(
      `journal page ${file} has format version ${version}, but this kfc reads version ${VERSION}; read it with the kfc that wrote it, or move it out of the way`,
      'bad-version',
    );
  }
  if (header.readUInt32LE(PageHeader.headerLength) !== PAGE_HEADER_SIZE || header.readUInt32LE(PageHeader.frameHeaderLength) !== FRAME_HEADER_SIZE) {
    throw damaged('header lengths do not match format version 1');
  }
  const pageSize = header.readUInt32LE(PageHeader.pageSize);
  if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || pageSize % 4096 !== 0) throw damaged(`impossible page size ${pageSize}`);
  if (size > pageSize) {
    throw new JournalError(
      `journal page ${file} has the wrong size: ${size} bytes on disk but ${pageSize} in its header; move it out of the way, or start with CLEAR_JOURNAL=1`,
      'bad-size',
    );
  }
  if (header.readUInt32LE(PageHeader.pageId) !== pageId) throw damaged(`header says page ${header.readUInt32LE(PageHeader.pageId)}, file name says ${pageId}`);
  if (header.readUInt32LE(PageHeader.dest) !== dest >>> 0) throw damaged('header dest does not match the file name');
  return pageSize;
}

/**
 * A page's begin time from its header alone (no mapping): how a reader picks the page to replay
 * from. Undefined if the file is missing or too short; the page is validated when it is opened.
 */
export function readBeginTime(dir: string, dest: number, pageId: number): bigint | undefined {
  let fd: number;
  try {
    fd = openSync(join(dir, pageFileName(dest, pageId)), constants.O_RDONLY);
  } catch {
    return undefined;
  }
  try {
    const header = Buffer.alloc(PAGE_HEADER_SIZE);
    return readSync(fd, header, 0, PAGE_HEADER_SIZE, 0) === PAGE_HEADER_SIZE ? header.readBigInt64LE(PageHeader.beginTime) : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Page ids present for `dest`, ascending. */
export function listPageIds(dir: string, dest: number): number[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids: number[] = [];
  for (const f of files) {
    const p = parsePageFileName(f);
    if (p && p.dest === dest >>> 0) ids.push(p.pageId);
  }
  return ids.sort((a, b) => a - b);
}

/** Dest uids that have pages in `dir`. */
export function listDests(dir: string): number[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  const dests = new Set<number>();
  for (const f of files) {
    const p = parsePageFileName(f);
    if (p) dests.add(p.dest);
  }
  return [...dests].sort((a, b) => a - b);
}

export interface PageScan {
  /** Offset just past the last whole frame. */
  pos: number;
  lastGenTime: bigint;
  /** The page ends with a PageEnd frame. */
  ended: boolean;
  /** Why the scan stopped early, if the bytes there are not a frame. */
  problem?: string;
}

/** Walks the whole frames of a page (writer's restart path). */
export function scanPage(page: MappedPage): PageScan {
  let pos = PAGE_HEADER_SIZE;
  let lastGenTime = 0n;
  const limit = page.dataEnd;
  while (pos + FRAME_HEADER_SIZE <= limit) {
    const length = Atomics.load(page.i32, pos >>> 2);
    if (length === 0) return { pos, lastGenTime, ended: false };
    const problem = frameProblem(page, pos, length, lastGenTime);
    if (problem) return { pos, lastGenTime, ended: false, problem };
    lastGenTime = page.view.getBigInt64(pos + FrameHeader.genTime, true);
    if (page.view.getInt32(pos + FrameHeader.msgType, true) === MsgType.PageEnd) return { pos: pos + length, lastGenTime, ended: true };
    pos += length;
  }
  return { pos, lastGenTime, ended: false };
}

/**
 * Whether the frame at `pos` is structurally impossible (garbage, not a torn write: a torn write
 * leaves length 0). Cheap enough for the read path.
 */
export function frameProblem(page: MappedPage, pos: number, length: number, previousGenTime: bigint): string | undefined {
  if (length < FRAME_HEADER_SIZE || (length & 7) !== 0 || length > MAX_FRAME_SIZE) return `garbage where a frame should be (length ${length >>> 0})`;
  if (pos + length > page.dataEnd) return `a frame cut off by the truncation at byte ${page.dataEnd}`;
  const isPageEnd = page.view.getInt32(pos + FrameHeader.msgType, true) === MsgType.PageEnd;
  if (!isPageEnd && pos + length + FRAME_HEADER_SIZE > page.pageSize) return `garbage where a frame should be (length ${length} overruns the page)`;
  const gen = page.view.getBigInt64(pos + FrameHeader.genTime, true);
  if (gen < previousGenTime || gen < page.beginTime) return 'garbage where a frame should be (gen_time goes backwards)';
  return undefined;
}
