/**
 * Making page files (format in format.ts): the writer's side of page.ts. A new page gets its
 * blocks allocated and its header written under a temporary name that readers ignore, and is
 * renamed into place, so a reader never sees a page without its header: synchronously for a
 * journal's first page (createPage), in the background for the next one while the writer fills
 * the current page (preparePage), which the rollover then only maps (mapPreparedPage).
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { close as closeCb, ftruncate as ftruncateCb, open as openCb, write as writeCb } from 'node:fs';
import { join } from 'node:path';
import { JournalError } from './errors.js';
import { FRAME_HEADER_SIZE, MAGIC, MAX_PAGE_SIZE, MIN_PAGE_SIZE, PAGE_HEADER_SIZE, PageHeader, VERSION, pageFileName } from './format.js';
import { mapFile, reserveBlocks, wrap, type MappedPage } from './page.js';

export function checkPageSize(pageSize: number): void {
  if (!Number.isInteger(pageSize) || pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || pageSize % 4096 !== 0) {
    throw new JournalError(`page size ${pageSize} is invalid: use a multiple of 4096 between ${MIN_PAGE_SIZE} and ${MAX_PAGE_SIZE} bytes`, 'bad-page-size');
  }
}

function pageHeader(source: number, dest: number, pageId: number, pageSize: number, beginTime: bigint): Buffer {
  const header = Buffer.alloc(PAGE_HEADER_SIZE);
  header.writeUInt32LE(MAGIC, PageHeader.magic);
  header.writeUInt32LE(VERSION, PageHeader.version);
  header.writeUInt32LE(PAGE_HEADER_SIZE, PageHeader.headerLength);
  header.writeUInt32LE(FRAME_HEADER_SIZE, PageHeader.frameHeaderLength);
  header.writeUInt32LE(pageSize, PageHeader.pageSize);
  header.writeUInt32LE(pageId, PageHeader.pageId);
  header.writeUInt32LE(source >>> 0, PageHeader.source);
  header.writeUInt32LE(dest >>> 0, PageHeader.dest);
  header.writeBigInt64LE(beginTime, PageHeader.beginTime);
  return header;
}

let tmpCounter = 0;

/** A name for a page being prepared: not matched by the page-file pattern, so readers ignore it. */
export function preparingFileName(file: string): string {
  return `${file}.${process.pid}.${++tmpCounter}.next`;
}

/** Leftovers of pages that were being prepared when a writer stopped. */
export function isPreparingFile(name: string): boolean {
  return /\.journal\.\d+\.\d+\.next$/.test(name);
}

/**
 * Creates page `pageId` synchronously and atomically (written under a temporary name, then
 * renamed), so a reader never sees a page without its header. Used for a journal's first page.
 */
export function createPage(dir: string, source: number, dest: number, pageId: number, pageSize: number, beginTime: bigint): MappedPage {
  checkPageSize(pageSize);
  const file = join(dir, pageFileName(dest, pageId));
  const tmp = preparingFileName(file);
  const header = pageHeader(source, dest, pageId, pageSize, beginTime);
  const fd = openSync(tmp, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    ftruncateSync(fd, pageSize);
    reserveBlocks(fd, pageSize, file);
    writeSync(fd, header, 0, header.length, 0);
    const page = wrap(pageId, file, pageSize, mapFile(fd, pageSize, true), fstatSync(fd).ino);
    renameSync(tmp, file);
    return page;
  } finally {
    closeSync(fd);
  }
}

/**
 * Prepares page `pageId` in the background: the file is created at its size with its blocks
 * allocated and its header written, so that the rollover only maps it (about 2 ms per 64 MB).
 * Its pages are not written out: the writer's populate-ahead faults them in as it goes, and
 * zero-filling 64 MB cost a busy gateway's two cores as much again. Resolves to the temporary
 * file's path; the writer renames it when it rolls over.
 */
export async function preparePage(dir: string, source: number, dest: number, pageId: number, pageSize: number): Promise<string> {
  const tmp = preparingFileName(join(dir, pageFileName(dest, pageId)));
  // Callback fs through promisify: node:fs/promises would load modules (readline, streams) that
  // every process would then carry in memory for this one use.
  const fd = await openAsync(tmp, 'w+', 0o600);
  try {
    await ftruncateAsync(fd, pageSize);
    reserveBlocks(fd, pageSize, tmp);
    const header = pageHeader(source, dest, pageId, pageSize, 0n);
    await writeAsync(fd, header, 0, header.length, 0);
  } finally {
    await closeAsync(fd);
  }
  return tmp;
}

const openAsync = promisify(openCb);
const writeAsync = promisify(writeCb) as unknown as (fd: number, buf: Buffer, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>;
const closeAsync = promisify(closeCb);
const ftruncateAsync = promisify(ftruncateCb);

/** Maps a prepared page (see preparePage), stamps its begin time, and returns it (not renamed yet). */
export function mapPreparedPage(tmp: string, pageId: number, pageSize: number, beginTime: bigint): MappedPage {
  const fd = openSync(tmp, constants.O_RDWR);
  try {
    const buf = mapFile(fd, pageSize, true);
    buf.writeBigInt64LE(beginTime, PageHeader.beginTime);
    return wrap(pageId, tmp.replace(/\.\d+\.\d+\.next$/, ''), pageSize, buf, fstatSync(fd).ino);
  } finally {
    closeSync(fd);
  }
}
