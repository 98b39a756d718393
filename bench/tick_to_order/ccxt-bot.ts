/**
 * bench:tick_to_order's baseline: the bot a Node user would write instead of the stack, one process
 * with ccxt pro: `watchOrderBook` on the same replayed diffs, decision.ts on every book update,
 * `createOrderWs` (and `cancelOrderWs` for the oldest) to the same sim through the same proxy.
 *   ccxt-bot.js '{"replay": <port>, "wsApi": <port>, "apiKey": ..., "secret": ..., "lastUpdateId": n}'
 * Prints "ready" once its markets are loaded; for each order "o <clientOrderId> <received ns>
 * <book update id>", where received is CLOCK_MONOTONIC when the socket chunk that completed the
 * book arrived (a 'data' listener ahead of ccxt's own: the same point as the MD gateway's receive
 * time); "done <orders> <errors>" after the book reached lastUpdateId. Then idles until SIGTERM.
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ccxtBinance } from '../common/ccxt.js';
import { MAX_OPEN, VOLUME, restingBidFloat } from './decision.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as { replay: number; wsApi: number; apiKey: string; secret: string; lastUpdateId: number };
const SYMBOL = 'BTC/USDT';
const stream = `ws://127.0.0.1:${opts.replay}/ws`;
const ex = await ccxtBinance({ rest: `http://127.0.0.1:${opts.replay}`, stream, wsApi: `ws://127.0.0.1:${opts.wsApi}/ws-api/v3`, apiKey: opts.apiKey, secret: opts.secret });
await ex.loadMarkets();
const tick = ex.market(SYMBOL).precision.price!;
const volume = Number(VOLUME);
process.stdout.write('ready\n');

let received = 0n;
let hooked = false;
/** Stamps each chunk of the market stream's socket as it arrives, before ccxt sees it. */
function hookStream(): void {
  for (const [url, client] of Object.entries(ex.clients)) {
    const socket = (client as unknown as { connection?: { _socket?: Socket } }).connection?._socket;
    if (!url.startsWith(stream) || !socket) continue;
    socket.prependListener('data', () => (received = process.hrtime.bigint()));
    hooked = true;
  }
}

const open: string[] = [];
let orders = 0;
let errors = 0;
let lastError = '';
const failed = (err: Error) => {
  errors++;
  lastError = err.message.slice(0, 200);
};
for (;;) {
  let book;
  try {
    book = await ex.watchOrderBook(SYMBOL);
  } catch (err) {
    failed(err as Error);
    continue;
  }
  if (!hooked) hookStream();
  const bid = book.bids[0]?.[0];
  if (bid !== undefined && received > 0n) {
    const id = `tto${++orders}`;
    ex.createOrderWs(SYMBOL, 'limit', 'buy', volume, restingBidFloat(bid, tick), { newClientOrderId: id }).catch(failed);
    process.stdout.write(`o ${id} ${received} ${book.nonce}\n`);
    open.push(id);
    if (open.length > MAX_OPEN) ex.cancelOrderWs('', SYMBOL, { origClientOrderId: open.shift()! }).catch(failed);
  }
  if (Number(book.nonce) >= opts.lastUpdateId) break;
}
await sleep(500); // the last answers
if (errors > 0) process.stderr.write(`ccxt-bot: ${errors} errors, the last: ${lastError}\n`);
process.stdout.write(`done ${orders} ${errors}\n`);
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1 << 30);
