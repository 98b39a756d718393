/**
 * The benches' view of the wire: a pass-through TCP proxy in front of the exchange (`kfc sim`) that
 * stamps, on the journal clock, when the last byte of each order request was written, by its
 * newClientOrderId. The C proxy (bench/td/wire-proxy.c) stamps either by spinning on its sockets
 * ('spin': as recv() returns) or from the kernel's receive timestamps ('kernel': inside the sender's
 * write, with no busy core). Without a C compiler, a proxy in this process stamps when its 'data'
 * event runs (its own event-loop wake-up included), and `kind` says so.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { connect, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { clockAnchorNs, nowNs } from '../../src/journal/clock.js';
import { freePort, startChild } from './child.js';

/** clientOrderId -> journal-clock ns when its request's last byte was on the wire. */
export class WireStamps {
  readonly at = new Map<string, bigint>();
  private readonly waiters = new Map<string, (t: bigint) => void>();

  stamp(clientOrderId: string, at: bigint): void {
    this.at.set(clientOrderId, at);
    this.waiters.get(clientOrderId)?.(at);
    this.waiters.delete(clientOrderId);
  }

  /** The stamp of `clientOrderId`, once its request has gone through. */
  of(clientOrderId: string, timeoutMs = 15_000): Promise<bigint> {
    const s = this.at.get(clientOrderId);
    if (s !== undefined) return Promise.resolve(s);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no order request ${clientOrderId} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(clientOrderId, (t) => (clearTimeout(timer), resolve(t)));
    });
  }
}

export interface WireProxy {
  port: number;
  /** How it stamps, for the report. */
  kind: string;
  stamps: WireStamps;
}

const ORDER_ID_RE = /newClientOrderId["=:]+"?([A-Za-z0-9_-]{1,36})/;

/** Parses a client->server byte stream: HTTP requests, then (after an Upgrade) WebSocket frames. */
class RequestParser {
  private buf: Buffer = Buffer.alloc(0);
  private ws = false;

  constructor(private readonly stamps: WireStamps) {}

  push(chunk: Buffer, at: bigint): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const used = this.ws ? this.frame(at) : this.http(at);
      if (used === 0) return;
      this.buf = this.buf.subarray(used);
    }
  }

  private http(at: bigint): number {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return 0;
    const head = this.buf.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const total = end + 4 + length;
    if (this.buf.length < total) return 0;
    if (/^GET [^ ]+ HTTP\/1\.1\r\n/.test(head) && /\r\nupgrade: *websocket/i.test(head)) this.ws = true;
    const m = /^POST \/api\/v3\/order[? ]/.test(head) ? ORDER_ID_RE.exec(this.buf.subarray(0, total).toString('latin1')) : null;
    if (m) this.stamps.stamp(m[1]!, at);
    return total;
  }

  private frame(at: bigint): number {
    const b = this.buf;
    if (b.length < 2) return 0;
    let len = b[1]! & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return 0;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return 0;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    const masked = (b[1]! & 0x80) !== 0;
    const total = off + (masked ? 4 : 0) + len;
    if (b.length < total) return 0;
    if ((b[0]! & 0x0f) === 1) {
      const payload = Buffer.from(b.subarray(total - len, total));
      if (masked) for (let i = 0; i < len; i++) payload[i]! ^= b[off + (i & 3)]!;
      const text = payload.toString('utf8');
      if (text.includes('"order.place"')) {
        const m = ORDER_ID_RE.exec(text);
        if (m) this.stamps.stamp(m[1]!, at);
      }
    }
    return total;
  }
}

async function startNodeProxy(target: number, stamps: WireStamps): Promise<number> {
  const server = createServer((client: Socket) => {
    client.setNoDelay(true);
    const upstream = connect(target, '127.0.0.1');
    upstream.setNoDelay(true);
    const parser = new RequestParser(stamps);
    client.on('data', (chunk: Buffer) => {
      parser.push(chunk, nowNs()); // stamped before anything else happens to the bytes
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => (client.destroy(), upstream.destroy());
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return (server.address() as { port: number }).port;
}

/**
 * Starts the proxy in front of 127.0.0.1:`target`, built into `workDir`. The stamps are on the
 * journal clock of the KF_HOME this process has anchored (useHomeClock), like every frame's times.
 */
export async function startWireProxy(opts: { target: number; workDir: string; mode: 'spin' | 'kernel'; say: (line: string) => void }): Promise<WireProxy> {
  const stamps = new WireStamps();
  const exe = join(opts.workDir, 'wire-proxy');
  const src = fileURLToPath(new URL('../../../bench/td/wire-proxy.c', import.meta.url));
  const cc = spawnSync('cc', ['-O2', '-o', exe, src], { encoding: 'utf8' });
  if (cc.status !== 0) {
    opts.say(`  (no C compiler: ${(cc.stderr || String(cc.error)).split('\n')[0]}; using the Node proxy)`);
    return { port: await startNodeProxy(opts.target, stamps), kind: 'node (stamps include its event-loop wake-up)', stamps };
  }
  const port = await freePort();
  // "<monotonic ns> <id>": the journal clock is CLOCK_MONOTONIC plus the anchor (clock.ts).
  const onLine = (l: string) => {
    const [mono, id] = l.split(' ');
    if (id) stamps.stamp(id, BigInt(mono!) + clockAnchorNs());
  };
  const proxy = startChild([String(port), String(opts.target), opts.mode], { command: exe, onLine });
  await proxy.line(/^listening$/, 10_000);
  const kind = opts.mode === 'spin' ? 'C, spinning (stamps as recv() returns)' : "C, kernel receive timestamps (stamps inside the sender's write)";
  return { port, kind, stamps };
}
