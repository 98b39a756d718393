/**
 * The mmap addon (@riaskov/mmap-io), typed for what we use. Its own typings declare an ES default
 * export, but it is a CommonJS module whose exports object is the API itself.
 */
import * as addon from '@riaskov/mmap-io';

interface MmapApi {
  map(size: number, protection: number, flags: number, fd: number, offset?: number): Buffer;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly MAP_SHARED: number;
}

const mod = addon as unknown as MmapApi & { default?: MmapApi };
export const mmap: MmapApi = typeof mod.map === 'function' ? mod : mod.default!;
