/**
 * bench:md's exchange: a Binance look-alike on loopback that replays BTCUSDT depth diffs.
 *   replay-server.js flood <count>        after a subscription, as fast as the client takes them
 *   replay-server.js paced <count> <rate> [stamps file]
 *                                         after a subscription, `rate` a second; with a file, it
 *                                         writes there "<u> <CLOCK_MONOTONIC ns>" per diff (when
 *                                         its frame was handed to the socket) before "done"
 * REST: /api/v3/exchangeInfo (BTCUSDT), /api/v3/depth (the book as of the last diff handed to
 * the socket, so snapshot + buffered diffs are exact). Streams: /stream (combined, as the gateway
 * uses) and /ws/... (raw, as ccxt uses); SUBSCRIBE answered. Prints its port, then "done <last u>".
 *
 * The diffs are generated before anyone connects (a random walk touching the top levels of both
 * sides, Binance's decimal formats) and written as pre-built WebSocket frames in large chunks, so
 * this process is never what limits the rate.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';

const [mode = 'flood', countText = '300000', rateText = '10000', stampsFile] = process.argv.slice(2);
const COUNT = Number(countText);
const RATE = Number(rateText);
const START_ID = 1_000_000;

// ---- the book and its diffs ------------------------------------------------------------------
let seed = 42;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};
const bids = new Map<number, number>(); // price in cents -> qty in 1e-8
const asks = new Map<number, number>();
const mid = 6_000_000; // 60000.00
for (let i = 1; i <= 1000; i++) {
  bids.set(mid - i, 1 + rand(100_000_000));
  asks.set(mid + i, 1 + rand(100_000_000));
}
const price = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
const qty = (units: number) => `${Math.floor(units / 1e8)}.${String(units % 1e8).padStart(8, '0')}`;

interface Stream {
  all: Buffer;
  /** Where each frame ends in `all`. */
  ends: number[];
}

interface Diff {
  u: number;
  b: [number, number][];
  a: [number, number][];
}
const diffs: Diff[] = [];
const combinedFrames: Buffer[] = [];
const rawFrames: Buffer[] = [];

function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : Buffer.from([0x81, 126, n >> 8, n & 0xff]);
  return Buffer.concat([head, payload]);
}

/** Levels near the top of each side change (bids below the mid, asks above: never crossed). */
function nextDiff(u: number): Diff {
  const side = (book: Map<number, number>, dir: number): [number, number][] => {
    const out: [number, number][] = [];
    const n = 1 + rand(3);
    for (let i = 0; i < n; i++) {
      const p = mid + dir * (1 + rand(i === 0 ? 2 : 15));
      const q = rand(6) === 0 && book.size > 100 ? 0 : 1 + rand(200_000_000);
      if (out.some(([x]) => x === p)) continue;
      out.push([p, q]);
    }
    return out;
  };
  return { u, b: side(bids, -1), a: side(asks, 1) };
}

const generationStart = performance.now();
const initial = { bids: new Map(bids), asks: new Map(asks) };
for (let i = 0; i < COUNT; i++) {
  const u = START_ID + 1 + i;
  const d = nextDiff(u);
  diffs.push(d);
  for (const [p, q] of d.b) q === 0 ? bids.delete(p) : bids.set(p, q);
  for (const [p, q] of d.a) q === 0 ? asks.delete(p) : asks.set(p, q);
  const data = `{"e":"depthUpdate","E":${1_780_000_000_000 + i},"s":"BTCUSDT","U":${u},"u":${u},"b":[${d.b.map(([p, q]) => `["${price(p)}","${qty(q)}"]`).join(',')}],"a":[${d.a.map(([p, q]) => `["${price(p)}","${qty(q)}"]`).join(',')}]}`;
  combinedFrames.push(frame(`{"stream":"btcusdt@depth@100ms","data":${data}}`));
  rawFrames.push(frame(data));
}
/** Every frame of a stream in one Buffer, and where each ends: the flood writes slices of it, copying nothing. */
const joined = (frames: Buffer[]) => {
  const ends = new Array<number>(frames.length);
  let at = 0;
  frames.forEach((f, i) => (ends[i] = at += f.length));
  return { all: Buffer.concat(frames, at), ends };
};
const combined = joined(combinedFrames.splice(0));
const raw = joined(rawFrames.splice(0));
bids.clear();
asks.clear();
for (const [p, q] of initial.bids) bids.set(p, q);
for (const [p, q] of initial.asks) asks.set(p, q);
process.stderr.write(`replay: ${COUNT} diffs generated in ${Math.round(performance.now() - generationStart)} ms\n`);

// ---- serving ---------------------------------------------------------------------------------
let handed = 0; // diffs handed to the socket
let sent = 0; // diffs applied to the server's book: brought up to `handed` when a snapshot is asked for
let lastU = START_ID;

function applySent(upTo: number): void {
  for (; sent < upTo; sent++) {
    const d = diffs[sent]!;
    for (const [p, q] of d.b) q === 0 ? bids.delete(p) : bids.set(p, q);
    for (const [p, q] of d.a) q === 0 ? asks.delete(p) : asks.set(p, q);
    lastU = d.u;
  }
}

const SYMBOL = {
  symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', baseAssetPrecision: 8, quoteAsset: 'USDT', quotePrecision: 8, quoteAssetPrecision: 8,
  baseCommissionPrecision: 8, quoteCommissionPrecision: 8, orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET'], icebergAllowed: true, ocoAllowed: true,
  otoAllowed: true, quoteOrderQtyMarketAllowed: true, allowTrailingStop: false, cancelReplaceAllowed: false, isSpotTradingAllowed: true, isMarginTradingAllowed: false,
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
    { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
    { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
  ],
  permissions: [], permissionSets: [['SPOT']], defaultSelfTradePreventionMode: 'EXPIRE_MAKER', allowedSelfTradePreventionModes: ['NONE', 'EXPIRE_MAKER'],
};

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://replay');
  let body: unknown;
  if (url.pathname === '/api/v3/exchangeInfo') body = { timezone: 'UTC', serverTime: Date.now(), rateLimits: [], exchangeFilters: [], symbols: [SYMBOL] };
  else if (url.pathname === '/api/v3/depth') {
    applySent(handed);
    const limit = Math.min(5000, Number(url.searchParams.get('limit') ?? 100));
    const top = (m: Map<number, number>, dir: number) => [...m].sort((x, y) => dir * (x[0] - y[0])).slice(0, limit).map(([p, q]) => [price(p), qty(q)]);
    body = { lastUpdateId: lastU, bids: top(bids, -1), asks: top(asks, 1) };
  } else if (url.pathname === '/api/v3/time') body = { serverTime: Date.now() };
  else if (url.pathname === '/api/v3/ping') body = {};
  else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: -1000, msg: `not replayed: ${url.pathname}` }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
});

let streaming = false;

server.on('upgrade', (req, socket: Duplex) => {
  const key = String(req.headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const frames = (req.url ?? '').startsWith('/stream') ? combined : raw;
  let pending = Buffer.alloc(0);
  const start = () => {
    if (streaming) return;
    streaming = true;
    if (mode === 'flood') flood(socket, frames);
    else pace(socket, frames);
  };
  if ((req.url ?? '').includes('streams=')) start();
  socket.on('data', (chunk: Buffer) => {
    // Client frames are masked; the only ones we expect are SUBSCRIBE texts (and pings/pongs).
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 6) {
      const op = pending[0]! & 0x0f;
      let len = pending[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        len = pending.readUInt16BE(2);
        at = 4;
      }
      if (pending.length < at + 4 + len) break;
      const mask = pending.subarray(at, at + 4);
      const payload = Buffer.from(pending.subarray(at + 4, at + 4 + len)).map((b, i) => b ^ mask[i % 4]!);
      pending = pending.subarray(at + 4 + len);
      if (op === 0x1) {
        const msg = JSON.parse(Buffer.from(payload).toString()) as { id?: unknown };
        socket.write(frame(JSON.stringify({ result: null, id: msg.id ?? null })));
        start();
      } else if (op === 0x9) socket.write(Buffer.concat([Buffer.from([0x8a, payload.length]), payload]));
      else if (op === 0x8) socket.end();
    }
  });
  socket.on('error', () => {});
});

function flood(socket: Duplex, stream: Stream): void {
  const { all, ends } = stream;
  let i = 0;
  const pump = () => {
    while (i < ends.length) {
      const end = Math.min(ends.length, i + 2000);
      const chunk = all.subarray(i === 0 ? 0 : ends[i - 1]!, ends[end - 1]!);
      handed = end;
      i = end;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    applySent(handed);
    process.stdout.write(`done ${lastU}\n`);
  };
  pump();
}

function pace(socket: Duplex, { all, ends }: Stream): void {
  const t0 = performance.now();
  const sentAt = new BigInt64Array(ends.length);
  let i = 0;
  const step = () => {
    const due = Math.min(ends.length, Math.floor(((performance.now() - t0) / 1000) * RATE));
    while (i < due) {
      handed = i + 1;
      sentAt[i] = process.hrtime.bigint();
      socket.write(all.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!));
      i++;
    }
    if (i < ends.length) {
      // Sleep until the next diff is due when that is a millisecond or more away (a low rate must
      // not cost a busy core); at high rates look again at once.
      const wait = t0 + ((i + 1) * 1000) / RATE - performance.now();
      if (wait >= 1) setTimeout(step, Math.ceil(wait));
      else setImmediate(step);
      return;
    }
    applySent(handed);
    if (stampsFile) writeFileSync(stampsFile, diffs.map((d, k) => `${d.u} ${sentAt[k]}\n`).join(''));
    process.stdout.write(`done ${lastU}\n`);
  };
  step();
}

server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => process.exit(0));
