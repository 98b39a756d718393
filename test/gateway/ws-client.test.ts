/**
 * The gateway's own WebSocket client (ws-client.ts) against the `ws` library's server (which
 * refuses unmasked client frames) and hand-made servers: messages both ways, fragmentation with a
 * ping in between, 16- and 64-bit lengths, pings answered with their payload, close codes, TLS,
 * and refusals of what is not a WebSocket or breaks the protocol.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createTcp, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { WsClient, type WsOptions } from '../../src/gateway/binance/common/ws-client.js';
import { clientFrame } from '../../src/gateway/binance/common/ws-frame.js';
import { waitFor } from '../helpers.js';

const OPTS: WsOptions = { maxPayload: 1 << 20, handshakeTimeoutMs: 5000 };
const closers: (() => void)[] = [];
after(() => closers.forEach((c) => c()));

interface Seen {
  opened: boolean;
  messages: string[];
  closed?: { code: number; reason: string; error?: string };
  pings: string[];
}

function client(url: string, opts: WsOptions = OPTS): { ws: WsClient; seen: Seen } {
  const seen: Seen = { opened: false, messages: [], pings: [] };
  const ws = new WsClient(url, opts, {
    open: () => void (seen.opened = true),
    message: (buf, start, end, binary) => void seen.messages.push(binary ? `binary:${buf.toString('hex', start, end)}` : buf.toString('utf8', start, end)),
    ping: (p) => void seen.pings.push(p.toString()),
    close: (code, reason, error) => void (seen.closed = { code, reason, ...(error ? { error } : {}) }),
  });
  closers.push(() => ws.terminate());
  return { ws, seen };
}

async function wsServer(): Promise<{ url: string; next: () => Promise<WebSocket> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  closers.push(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  const sockets: WebSocket[] = [];
  wss.on('connection', (s) => sockets.push(s));
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/stream?streams=a`, next: () => waitFor('a connection', () => sockets.shift()) };
}

describe('WebSocket client', () => {
  it('exchanges text both ways (its frames masked: ws refuses unmasked ones), with 7-, 16- and 64-bit lengths, and binary', async () => {
    const srv = await wsServer();
    const { ws, seen } = client(srv.url);
    const s = await srv.next();
    await waitFor('open', () => seen.opened);
    const got: string[] = [];
    s.on('message', (d) => got.push(String(d)));
    ws.send('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}');
    ws.send('x'.repeat(300));
    ws.send('y'.repeat(70_000));
    await waitFor('the server got them', () => got.length === 3);
    assert.deepEqual(got.map((m) => m.length), [56, 300, 70_000]);
    for (const m of ['hello', 'z'.repeat(200), 'w'.repeat(100_000)]) s.send(m);
    s.send(Buffer.from([1, 2, 3]), { binary: true });
    await waitFor('the client got them', () => seen.messages.length === 4);
    assert.deepEqual(seen.messages.map((m) => m.length), [5, 200, 100_000, 'binary:010203'.length]);
    assert.equal(seen.messages[3], 'binary:010203');
    ws.close();
  });

  it('frames every length class at its edges, text beyond ASCII included, with a random or the zero mask, each frame in one write', async () => {
    const texts = ['', 'x'.repeat(125), 'y'.repeat(126), 'é'.repeat(100), 'z'.repeat(65_535), 'w'.repeat(65_536), JSON.stringify({ id: 1, method: 'order.place' })];
    for (const zeroMask of [false, true]) {
      const srv = await wsServer();
      const { ws, seen } = client(srv.url, { ...OPTS, zeroMask });
      const s = await srv.next();
      await waitFor('open', () => seen.opened);
      const got: string[] = [];
      s.on('message', (d, binary) => got.push(binary ? 'binary!' : String(d)));
      s.on('error', (err) => got.push(`error: ${err.message}`));
      for (const t of texts) assert.equal(ws.send(t), true);
      await waitFor('every frame', () => got.length >= texts.length, 10_000);
      assert.deepEqual(got, texts, zeroMask ? 'zero mask' : 'random mask');
      ws.close();
      assert.equal(ws.send('after close'), false, 'nothing is sent on a closed connection');
    }
    // The zero key leaves the payload as it is; a random one changes it (the frame is one Buffer).
    const plain = clientFrame(0x1, 'order');
    assert.deepEqual([...plain.subarray(0, 6)], [0x81, 0x85, 0, 0, 0, 0]);
    assert.equal(plain.toString('utf8', 6), 'order');
    const masked = clientFrame(0x1, 'order', (key) => void key.set([1, 2, 3, 4]));
    assert.deepEqual([...masked.subarray(2)], [1, 2, 3, 4, ...[...Buffer.from('order')].map((b, i) => b ^ [1, 2, 3, 4][i & 3]!)]);
  });

  it('reassembles a fragmented message with a ping in between, and answers the ping with its payload', async () => {
    const srv = await wsServer();
    const { seen } = client(srv.url);
    const s = await srv.next();
    await waitFor('open', () => seen.opened);
    const pongs: string[] = [];
    s.on('pong', (p) => pongs.push(String(p)));
    s.send('{"stream":', { fin: false });
    s.ping('are you there');
    s.send('"a","data"', { fin: false });
    s.send(':1}', { fin: true });
    await waitFor('the whole message', () => seen.messages.length === 1);
    assert.equal(seen.messages[0], '{"stream":"a","data":1}');
    await waitFor('the pong', () => pongs.length === 1);
    assert.deepEqual(pongs, ['are you there']);
    assert.deepEqual(seen.pings, ['are you there']);
  });

  it('reports the server\'s close code and reason; its own close reaches the server as 1000', async () => {
    const srv = await wsServer();
    const a = client(srv.url);
    const sa = await srv.next();
    await waitFor('open', () => a.seen.opened);
    sa.close(4001, 'bye now');
    await waitFor('closed', () => a.seen.closed);
    assert.deepEqual(a.seen.closed, { code: 4001, reason: 'bye now' });
    const b = client(srv.url);
    const sb = await srv.next();
    await waitFor('open', () => b.seen.opened);
    const code = new Promise<number>((r) => sb.on('close', (c) => r(c)));
    b.ws.close();
    assert.equal(await code, 1000);
  });

  it('refuses a server that is not a WebSocket endpoint, or does not prove it understood the key', async () => {
    const http = createHttp((_req, res) => res.writeHead(404).end('nope')).listen(0, '127.0.0.1');
    const fake = createTcp((s) => s.once('data', () => s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n'))).listen(0, '127.0.0.1');
    closers.push(() => http.closeAllConnections(), () => http.close(), () => fake.close());
    await new Promise((r) => setTimeout(r, 50));
    const a = client(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/stream`);
    await waitFor('refused', () => a.seen.closed);
    assert.equal(a.seen.closed?.error, 'unexpected-response 404');
    const b = client(`ws://127.0.0.1:${(fake.address() as AddressInfo).port}/stream`);
    await waitFor('refused', () => b.seen.closed);
    assert.match(b.seen.closed!.error!, /invalid Sec-WebSocket-Accept/);
  });

  it('refuses masked server frames and messages over the size cap', async () => {
    const accept = (key: string) => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const rogue = createTcp((s) =>
      s.once('data', (d) => {
        const key = /sec-websocket-key: (\S+)/i.exec(String(d))![1]!;
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
        s.write(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x41 ^ 1])); // a masked "A"
      }).on('error', () => {}),
    ).listen(0, '127.0.0.1');
    closers.push(() => rogue.close());
    await new Promise((r) => setTimeout(r, 50));
    const a = client(`ws://127.0.0.1:${(rogue.address() as AddressInfo).port}/`);
    await waitFor('refused', () => a.seen.closed);
    assert.match(a.seen.closed!.error!, /protocol error: a server frame is masked/);
    assert.deepEqual(a.seen.messages, []);
    const srv = await wsServer();
    const b = client(srv.url, { ...OPTS, maxPayload: 1000 });
    const s = await srv.next();
    await waitFor('open', () => b.seen.opened);
    s.send('q'.repeat(1001));
    await waitFor('refused', () => b.seen.closed);
    assert.match(b.seen.closed!.error!, /a frame of 1001 bytes, more than 1000/);
  });

  it('reads frames cut anywhere across the socket\'s chunks: in a header, in a payload, longer than a chunk', async () => {
    const accept = (key: string) => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const serverFrame = (text: string) => {
      const payload = Buffer.from(text);
      const n = payload.length;
      const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 0xff]) : Buffer.from([0x81, 127, 0, 0, 0, 0, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
      return Buffer.concat([head, payload]);
    };
    const texts = Array.from({ length: 300 }, (_, i) => `${i}:${'abcdefghij'.repeat(i % 7 === 0 ? 13 : (i * 37) % 50)}`);
    texts.splice(100, 0, 'L'.repeat(70_000)); // 64-bit length, longer than most chunks
    const stream = Buffer.concat(texts.map(serverFrame));
    // Pieces of 1 to 13 bytes, then larger ones: cuts fall inside headers and payloads alike.
    const cuts: number[] = [];
    for (let at = 0, i = 0; at < stream.length; i++) cuts.push((at += i < 400 ? 1 + (i % 13) : 1 + ((i * 7919) % 9000)));
    const feeder = createTcp((s) =>
      s.once('data', async (d) => {
        s.setNoDelay(true);
        const key = /sec-websocket-key: (\S+)/i.exec(String(d))![1]!;
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
        let from = 0;
        for (const to of cuts) {
          s.write(stream.subarray(from, Math.min(to, stream.length)));
          from = to;
          await new Promise((r) => setImmediate(r)); // most pieces arrive as chunks of their own
        }
      }).on('error', () => {}),
    ).listen(0, '127.0.0.1');
    closers.push(() => feeder.close());
    await new Promise((r) => feeder.once('listening', r));
    const { seen } = client(`ws://127.0.0.1:${(feeder.address() as AddressInfo).port}/`);
    await waitFor('every message', () => seen.messages.length >= texts.length || seen.closed, 20_000);
    assert.equal(seen.closed, undefined);
    assert.deepEqual(seen.messages, texts);
  });

  it('on the wire: zero-mask frames carry the payload as is, random-mask ones a fresh key', async () => {
    const accept = (key: string) => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const received: Buffer[] = [];
    const raw = createTcp((s) => {
      let handshaken = false;
      const got: Buffer[] = [];
      received.push(Buffer.alloc(0));
      const slot = received.length - 1;
      s.on('data', (d: Buffer) => {
        if (!handshaken) {
          handshaken = true;
          const key = /sec-websocket-key: (\S+)/i.exec(String(d))![1]!;
          s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
          return;
        }
        got.push(d);
        received[slot] = Buffer.concat(got);
      });
      s.on('error', () => {});
    }).listen(0, '127.0.0.1');
    closers.push(() => raw.close());
    await new Promise((r) => raw.once('listening', r));
    const url = `ws://127.0.0.1:${(raw.address() as AddressInfo).port}/`;
    for (const zeroMask of [true, false]) {
      const { ws, seen } = client(url, { ...OPTS, zeroMask });
      await waitFor('open', () => seen.opened);
      assert.equal(ws.send('abc'), true);
      const slot = received.length - 1;
      await waitFor('the frame', () => (received[slot]!.length >= 9 ? received[slot] : undefined));
      const frame = received[slot]!;
      assert.deepEqual([...frame.subarray(0, 2)], [0x81, 0x83], 'FIN, text, masked, 3 bytes');
      const key = frame.subarray(2, 6);
      const payload = Buffer.from(frame.subarray(6, 9).map((b, i) => b ^ key[i]!));
      assert.equal(payload.toString(), 'abc');
      if (zeroMask) assert.deepEqual([...frame.subarray(2, 9)], [0, 0, 0, 0, 0x61, 0x62, 0x63], 'the zero key, the payload as is');
      else assert.notDeepEqual([...key], [0, 0, 0, 0], 'a random key');
      ws.terminate();
    }
  });

  it('gives up on a server that floods pings and never reads the pongs', async () => {
    const accept = (key: string) => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const ping = Buffer.concat([Buffer.from([0x89, 125]), Buffer.alloc(125, 0x70)]);
    const flood = Buffer.concat(Array.from({ length: 2000 }, () => ping));
    const rogue = createTcp((s) =>
      s.once('data', (d) => {
        const key = /sec-websocket-key: (\S+)/i.exec(String(d))![1]!;
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n\r\n`);
        s.pause(); // never reads again
        const more = () => {
          if (!s.destroyed) s.write(flood, () => setImmediate(more));
        };
        more();
      }).on('error', () => {}),
    ).listen(0, '127.0.0.1');
    closers.push(() => rogue.close());
    await new Promise((r) => rogue.once('listening', r));
    const { seen } = client(`ws://127.0.0.1:${(rogue.address() as AddressInfo).port}/`);
    await waitFor('given up', () => seen.closed, 60_000);
    assert.match(seen.closed!.error!, /the server has not read the last \d+ bytes sent to it/);
    assert.ok(seen.pings.length > 10_000, `${seen.pings.length} pings answered first`);
  });

  it('speaks TLS (wss://)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfts-tls-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    const https = createHttps({ key: readFileSync(join(dir, 'key.pem')), cert }).listen(0, '127.0.0.1');
    const wss = new WebSocketServer({ server: https });
    closers.push(() => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      https.closeAllConnections();
      https.close();
    });
    wss.on('connection', (s) => s.send('over tls'));
    await new Promise((r) => setTimeout(r, 50));
    const url = `wss://localhost:${(https.address() as AddressInfo).port}/stream`;
    const untrusted = client(url);
    await waitFor('an untrusted certificate refused', () => untrusted.seen.closed);
    assert.match(untrusted.seen.closed!.error!, /SELF_SIGNED|self.signed|UNABLE_TO_VERIFY/i);
    const trusted = client(url, { ...OPTS, ca: cert });
    await waitFor('a message over TLS', () => trusted.seen.messages.length === 1);
    assert.equal(trusted.seen.messages[0], 'over tls');
    trusted.ws.close();
  });
});
