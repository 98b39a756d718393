/**
 * How a sleeping reader learns of a new frame without polling.
 *
 * Each journal has a 64-byte control block (mapped by writer and readers) whose `sleepers` counter
 * a reader raises before it sleeps and lowers when it wakes. After every commit the writer loads
 * that counter (one memory read): only if someone sleeps does it ring, by writing one byte to each
 * reader connected to its doorbell, an abstract Unix socket named after the journal. A busy stack
 * therefore pays no system call per frame, and an idle one sleeps in epoll.
 *
 * No lost wake-ups: the reader raises the counter and then re-checks the journal; the writer stores
 * the commit word and then loads the counter. Both are sequentially consistent Atomics, so at least
 * one of them sees the other (the classic Dekker pairing). Readers also sleep with a timeout, so a
 * writer that died mid-ring, or one not started yet, costs latency, never a hang.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { mmap } from './mmap.js';
import { CONTROL_MAGIC, CONTROL_SIZE, Control, controlFileName } from './format.js';

/** The shared control block of one journal. */
export class ControlBlock {
  private readonly i32: Int32Array;
  // Keeps the mapping alive as long as this object lives.
  private readonly buf: Buffer;

  constructor(dir: string, dest: number) {
    const fd = openSync(join(dir, controlFileName(dest)), constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      if (fstatSync(fd).size < CONTROL_SIZE) ftruncateSync(fd, CONTROL_SIZE);
      this.buf = mmap.map(CONTROL_SIZE, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd, 0);
    } finally {
      closeSync(fd);
    }
    this.i32 = new Int32Array(this.buf.buffer, this.buf.byteOffset, CONTROL_SIZE >>> 2);
    if (Atomics.load(this.i32, Control.magic >>> 2) !== CONTROL_MAGIC) Atomics.store(this.i32, Control.magic >>> 2, CONTROL_MAGIC);
  }

  sleepers(): number {
    return Atomics.load(this.i32, Control.sleepers >>> 2);
  }

  addSleeper(): void {
    Atomics.add(this.i32, Control.sleepers >>> 2, 1);
  }

  removeSleeper(): void {
    // Never below zero: a reader killed while asleep leaves the count high (costing the writer a
    // harmless ring per frame), and a writer resets it at start (see resetSleepers).
    if (Atomics.sub(this.i32, Control.sleepers >>> 2, 1) <= 0) Atomics.store(this.i32, Control.sleepers >>> 2, 0);
  }

  /** Called by a starting writer: readers that still sleep re-raise it on their next sleep. */
  resetSleepers(): void {
    Atomics.store(this.i32, Control.sleepers >>> 2, 0);
  }
}

/** Abstract-namespace socket name (Linux): no file to clean up, no 108-byte path limit. */
export function doorbellAddress(dir: string, dest: number): string {
  const digest = createHash('sha1').update(`${resolve(dir)}\0${dest >>> 0}`).digest('hex').slice(0, 32);
  return `\0kf-ts-bell-${digest}`;
}

const BELL = Buffer.from([1]);

/** The writer's side: accepts readers and rings them. */
export class DoorbellServer {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(address: string, onError: (err: Error) => void) {
    this.server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.on('data', () => {}); // readers send nothing; keep the stream flowing
      socket.on('error', () => socket.destroy());
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('error', onError);
    this.server.listen(address);
    // The doorbell must not keep a process alive by itself.
    this.server.unref();
  }

  /**
   * Rings every connected reader with a synchronous write(2) on the socket's descriptor. Not
   * socket.write(): its completion is only processed when the event loop turns, and a writer in a
   * tight loop (a gateway draining a burst) would leave it pending and skip or queue later rings.
   * A full socket buffer (EAGAIN) means that reader has unread rings already: nothing is lost.
   */
  ring(): void {
    for (const socket of this.sockets) {
      const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
      if (fd === undefined || fd < 0) {
        if (socket.writableLength === 0) socket.write(BELL);
        continue;
      }
      try {
        writeSync(fd, BELL, 0, 1);
      } catch {
        // EAGAIN: already rung; EPIPE and the like: the 'close' handler removes the socket.
      }
    }
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.server.close();
  }
}

/** The reader's side: one connection to one journal's writer, reconnected when lost. */
export class DoorbellClient {
  private socket: Socket | undefined;
  private connecting = false;
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly onRing: () => void,
  ) {
    this.connect();
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.connecting;
  }

  /** Tries to (re)connect when not connected; cheap to call on every wake-up. */
  ensure(): void {
    if (!this.socket && !this.connecting && !this.closed) this.connect();
  }

  private connect(): void {
    this.connecting = true;
    const socket = createConnection({ path: this.address, noDelay: true });
    socket.unref();
    socket.on('connect', () => {
      this.connecting = false;
      this.socket = socket;
    });
    socket.on('data', this.onRing);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connecting = false;
      const wasConnected = this.socket === socket;
      if (wasConnected) this.socket = undefined;
      // Wake the reader when a writer goes away: there may be a last frame or a new writer. A
      // failed connect (no writer yet) wakes nobody; the reader's sleep timeout retries it.
      if (wasConnected && !this.closed) this.onRing();
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
  }
}
