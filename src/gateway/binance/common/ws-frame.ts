/**
 * What a WebSocket client (ws-client.ts) writes and checks on the wire (RFC 6455): the opening
 * handshake's request and the check of the server's answer (4.1, 4.2.2), and a client's frame as
 * one Buffer (5.2): the header (FIN, opcode, the mask bit and the 7-, 16- or 64-bit length), the
 * masking key and the payload, masked by it. With the zero key the payload goes as it is: no pass
 * over its bytes.
 */
import { createHash } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The opening handshake's request for `url`, with the client's base64 `key`. */
export function upgradeRequest(url: URL, key: string): string {
  return (
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: kungfu-ts\r\n\r\n`
  );
}

/**
 * Why the server's answer `head` (status line and headers, without the blank line) does not open
 * the connection, or undefined when it does: 101, Upgrade: websocket and the Sec-WebSocket-Accept
 * of `key`. `status` is the HTTP status of an answer that is not 101.
 */
export function upgradeRefusal(head: string, key: string): { error: string; status?: string } | undefined {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1];
  if (status !== '101') return { error: `unexpected-response ${status ?? 'not HTTP'}`, status: status ?? 'not HTTP' };
  const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  if (headers.get('sec-websocket-accept') !== accept) return { error: 'invalid Sec-WebSocket-Accept: not a WebSocket server' };
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return { error: 'the answer does not upgrade to websocket' };
  return undefined;
}

/** `mask` writes the 4-byte key; without it the key is zero. */
export function clientFrame(opcode: number, payload: string | Buffer, mask?: (key: Buffer) => void): Buffer {
  const n = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const head = n < 126 ? 6 : n < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(n / 4294967296), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  if (typeof payload === 'string') out.write(payload, head, 'utf8');
  else payload.copy(out, head);
  const key = out.subarray(head - 4, head);
  if (mask === undefined) key.fill(0);
  else {
    mask(key);
    for (let i = head; i < out.length; i++) out[i]! ^= key[(i - head) & 3]!;
  }
  return out;
}
