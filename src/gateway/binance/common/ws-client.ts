/**
 * A WebSocket client (RFC 6455) of our own, for the market streams and the WS API. Why not the `ws`
 * library: importing it costs a gateway ~5.5 MB of heap and ~13 MB of RSS (its server, stream
 * wrapper and permessage-deflate come along; the budget is 60 MB per process), each message costs
 * an EventEmitter dispatch and a Buffer, and its send takes three times a plain write on the order
 * path (stream corking, two writes). This client does what the gateways need and no more:
 *
 * - ws:// and wss:// (node:net, node:tls with SNI; the REST client loads tls anyway);
 * - the opening handshake, checking 101 and Sec-WebSocket-Accept; anything else is an error
 *   naming the HTTP status (a server that is not a WebSocket endpoint);
 * - frames: text and binary, fragmented messages (continuations, control frames in between),
 *   16- and 64-bit lengths, a cap on a message's size; server frames must not be masked, client
 *   frames are masked with a fresh random key, or with the zero key (`zeroMask`), which leaves
 *   the payload as it is: each frame is then one Buffer, written with one call;
 * - ping answered by a pong with the same payload; pong; close answered and reported with its
 *   code and reason; no extensions (none offered).
 *
 * A message is handed over as bytes [start, end) of a Buffer that may be the socket's read buffer,
 * which the next read overwrites: valid during the callback only (copy what you keep), with the
 * time its chunk arrived (journal ns, read once per chunk): no object is made per message. So are
 * the payloads given to ping and pong.
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { nowNs } from '../../../journal/clock.js';
import { clientFrame, upgradeRefusal, upgradeRequest } from './ws-frame.js';

/** Bytes written and not yet taken by the kernel past which the server is taken for stuck. */
const MAX_UNSENT = 4 * 1024 * 1024;
const MAX_HEADER = 16 * 1024;
/** Bytes a plain socket reads at once (what Node reads by default). */
const READ_BUFFER = 64 * 1024;

export interface WsHandlers {
  open(): void;
  message(buf: Buffer, start: number, end: number, binary: boolean, receivedAt: bigint): void;
  ping?(payload: Buffer): void;
  pong?(payload: Buffer): void;
  /**
   * The connection ended: `code` from the server's close frame (1006 when there was none), or an
   * error; `httpStatus` when the server answered the upgrade with something other than 101.
   */
  close(code: number, reason: string, error?: string, httpStatus?: string): void;
}

export interface WsOptions {
  maxPayload: number;
  handshakeTimeoutMs: number;
  /** Certificates to trust besides the system's (wss:// to a private CA; tests). */
  ca?: string | Buffer;
  /**
   * Mask client frames with the zero key: the payload goes as is, not XOR-ed byte by byte. Masking
   * protects browsers' proxies from scripted payloads (RFC 6455, 10.3); a gateway is not a browser,
   * and the server unmasks either way. The TD's order path uses it.
   */
  zeroMask?: boolean;
}

const randomMask = (key: Buffer) => void randomFillSync(key);

export class WsClient {
  private socket: Socket;
  private open = false;
  private ended = false;
  private header = '';
  /** The first bytes of a frame whose header a chunk cut (under 14 bytes). */
  private pendingHead: Buffer | undefined;
  /** A frame a chunk cut after its header: allocated at its whole size, filled chunk by chunk. */
  private partial: Buffer | undefined;
  private partialFilled = 0;
  /** Fragments of a message in progress. */
  private fragments: Buffer[] = [];
  private fragmentSize = 0;
  private fragmentBinary = false;
  private readonly key = randomBytes(16).toString('base64');
  private readonly timer: NodeJS.Timeout;
  private closeCode = 1006;
  private closeReason = '';
  private readonly mask: ((key: Buffer) => void) | undefined;

  constructor(
    url: string,
    private readonly opts: WsOptions,
    private readonly on: WsHandlers,
  ) {
    this.mask = opts.zeroMask ? undefined : randomMask;
    const u = new URL(url);
    const secure = u.protocol === 'wss:';
    const port = Number(u.port || (secure ? 443 : 80));
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const chunk = (data: Buffer) => (this.open ? this.frames(data) : this.handshake(data));
    // A plain socket reads into one buffer of this client's (every byte of it is copied or used
    // before the callback returns): no new 64 KB buffer, and no stream machinery, per read. TLS
    // sockets have no such option.
    const reads = secure ? undefined : Buffer.allocUnsafe(READ_BUFFER);
    this.socket = secure
      ? tlsConnect({ host, port, servername: host, ALPNProtocols: ['http/1.1'], ...(opts.ca ? { ca: opts.ca } : {}) })
      : netConnect({
          host,
          port,
          onread: {
            buffer: reads!,
            callback: (n: number, buf: Uint8Array) => {
              chunk((buf as Buffer).subarray(0, n));
              return true; // false would pause the socket
            },
          },
        });
    this.socket.setNoDelay(true);
    this.timer = setTimeout(() => this.fail('no WebSocket handshake within the deadline'), opts.handshakeTimeoutMs);
    this.socket.once(secure ? 'secureConnect' : 'connect', () => {
      this.socket.write(upgradeRequest(u, this.key));
    });
    if (secure) this.socket.on('data', chunk);
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.fail(err.code ?? err.message));
    this.socket.on('close', () => this.finish());
  }

  private handshake(chunk: Buffer): void {
    this.header += chunk.toString('latin1');
    const end = this.header.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.header.length > MAX_HEADER) this.fail('the handshake answer is too long');
      return;
    }
    const refused = upgradeRefusal(this.header.slice(0, end), this.key);
    if (refused) return this.fail(refused.error, refused.status);
    clearTimeout(this.timer);
    this.open = true;
    const rest = Buffer.from(this.header.slice(end + 4), 'latin1');
    this.header = '';
    this.on.open();
    if (rest.length > 0) this.frames(rest);
  }

  /**
   * Reads every whole frame of `chunk`, after the frame an earlier chunk began. That frame was
   * given a buffer of its whole size when its header came, and only the bytes it lacks are copied
   * into it: joining chunks would copy every byte of a busy stream once more (frames straddle
   * nearly every chunk), and a large frame's bytes once per chunk.
   */
  private frames(chunk: Buffer): void {
    const receivedAt = nowNs();
    let at = 0;
    const partial = this.partial;
    if (partial) {
      at = chunk.copy(partial, this.partialFilled, 0, Math.min(chunk.length, partial.length - this.partialFilled));
      this.partialFilled += at;
      if (this.partialFilled < partial.length) return;
      this.partial = undefined;
      this.scan(partial, 0, receivedAt);
    } else if (this.pendingHead) {
      const head = this.pendingHead;
      this.pendingHead = undefined;
      return this.scan(Buffer.concat([head, chunk]), 0, receivedAt); // a cut header: rare, and at most 13 bytes
    }
    this.scan(chunk, at, receivedAt);
  }

  /** Reads the whole frames of `buf` from `at`; keeps what it has of the frame it ends in the middle of. */
  private scan(buf: Buffer, at: number, receivedAt: bigint): void {
    let size = 0;
    while (!this.ended && buf.length - at >= 2) {
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0) return this.protocolError('reserved bits set (no extension was agreed)');
      if ((b1 & 0x80) !== 0) return this.protocolError('a server frame is masked');
      let length = b1 & 0x7f;
      let head = 2;
      if (length === 126) {
        if (buf.length - at < 4) break;
        length = buf.readUInt16BE(at + 2);
        head = 4;
      } else if (length === 127) {
        if (buf.length - at < 10) break;
        const hi = buf.readUInt32BE(at + 2);
        if (hi > 0x1fffff) return this.protocolError('a frame longer than 2^53 bytes');
        length = hi * 4294967296 + buf.readUInt32BE(at + 6);
        head = 10;
      }
      if (length > this.opts.maxPayload) return this.protocolError(`a frame of ${length} bytes, more than ${this.opts.maxPayload}`, 1009);
      if (opcode >= 0x8 && (!fin || length > 125)) return this.protocolError('a fragmented or long control frame');
      if (buf.length - at < head + length) {
        size = head + length;
        break;
      }
      const start = at + head;
      at += head + length;
      if (opcode >= 0x8) {
        this.control(opcode, buf.subarray(start, at));
      } else if (fin && (opcode === 0x1 || opcode === 0x2) && this.fragments.length === 0) {
        this.on.message(buf, start, at, opcode === 0x2, receivedAt); // the usual case: a whole message in one frame
      } else this.data(opcode, fin, buf.subarray(start, at), receivedAt);
    }
    if (at < buf.length && !this.ended) {
      if (size === 0) this.pendingHead = Buffer.from(buf.subarray(at));
      else {
        this.partial = Buffer.allocUnsafe(size);
        this.partialFilled = buf.copy(this.partial, 0, at);
      }
    }
  }

  private data(opcode: number, fin: boolean, payload: Buffer, receivedAt: bigint): void {
    if (opcode === 0x0) {
      if (this.fragments.length === 0) return this.protocolError('a continuation frame without a message');
    } else if (opcode === 0x1 || opcode === 0x2) {
      if (this.fragments.length > 0) return this.protocolError('a new message inside a fragmented one');
      if (fin) return this.on.message(payload, 0, payload.length, opcode === 0x2, receivedAt);
      this.fragmentBinary = opcode === 0x2;
    } else return this.protocolError(`unknown opcode ${opcode}`);
    this.fragmentSize += payload.length;
    if (this.fragmentSize > this.opts.maxPayload) return this.protocolError(`a message of more than ${this.opts.maxPayload} bytes`, 1009);
    this.fragments.push(Buffer.from(payload));
    if (!fin) return;
    const whole = Buffer.concat(this.fragments, this.fragmentSize);
    this.fragments = [];
    this.fragmentSize = 0;
    this.on.message(whole, 0, whole.length, this.fragmentBinary, receivedAt);
  }

  private control(opcode: number, payload: Buffer): void {
    if (opcode === 0x9) {
      this.frame(0xa, payload); // pong with the same payload
      this.on.ping?.(payload);
    } else if (opcode === 0xa) this.on.pong?.(payload);
    else if (opcode === 0x8) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.closeReason = payload.length > 2 ? payload.toString('utf8', 2) : '';
      this.frame(0x8, payload.subarray(0, 2));
      this.socket.end();
      this.finish();
    } else this.protocolError(`unknown control opcode ${opcode}`);
  }

  /** Sends one frame (client frames are always masked), in one write. */
  private frame(opcode: number, payload: string | Buffer): boolean {
    if (!this.isOpen) return false;
    // A server that sends (pings) and never reads would otherwise grow this buffer without bound.
    if (this.socket.writableLength > MAX_UNSENT) {
      this.fail(`the server has not read the last ${this.socket.writableLength} bytes sent to it`);
      return false;
    }
    this.socket.write(clientFrame(opcode, payload, this.mask));
    return true;
  }

  /** Whether the handshake is done and the connection not ended: what is sent now goes out. */
  get isOpen(): boolean {
    return this.open && !this.ended && !this.socket.destroyed;
  }

  /** Sends a text message; false when the connection is not open (nothing was sent). */
  send(text: string): boolean {
    return this.frame(0x1, text);
  }

  ping(payload: Buffer = Buffer.alloc(0)): void {
    this.frame(0x9, payload);
  }

  /** Closes politely (a close frame, then the socket after a grace period). */
  close(code = 1000): void {
    if (this.ended) return;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code, 0);
    this.frame(0x8, body);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.closeCode = code;
    this.finish();
  }

  terminate(): void {
    this.socket.destroy();
    this.finish();
  }

  private protocolError(why: string, code = 1002): void {
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code, 0);
    this.frame(0x8, body);
    this.fail(`protocol error: ${why}`);
  }

  private fail(error: string, httpStatus?: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.socket.destroy();
    this.on.close(1006, '', error, httpStatus);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.on.close(this.closeCode, this.closeReason);
  }
}
