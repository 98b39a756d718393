/**
 * A WebSocket client's frame (RFC 6455, 5.2) as one Buffer, for ws-client.ts: the header (FIN,
 * opcode, the mask bit and the 7-, 16- or 64-bit length), the masking key and the payload, masked
 * by it. With the zero key the payload goes as it is: no pass over its bytes.
 */

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
