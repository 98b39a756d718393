/**
 * bench:md's baseline: what a Node user would pick, ccxt pro's watchOrderBook (its own snapshot +
 * diff book maintenance), pointed at the replay server by overriding its URLs.
 *   ccxt-client.js <port> <last update id>
 * Prints one JSON line: {"msgs": n, "seconds": s} from its first book to the book at the last id.
 */
import { ccxtBinance } from '../common/ccxt.js';

const [portText, lastText] = process.argv.slice(2);
const last = Number(lastText);
const base = `127.0.0.1:${portText}`;
const exchange = await ccxtBinance({ rest: `http://${base}`, stream: `ws://${base}/ws` });
await exchange.loadMarkets();
let t0 = 0;
let first = 0;
for (;;) {
  const book = await exchange.watchOrderBook('BTC/USDT');
  const nonce = Number(book.nonce);
  if (t0 === 0) {
    t0 = performance.now();
    first = nonce;
  }
  if (nonce >= last) break;
}
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ msgs: last - first, seconds })}\n`);
await exchange.close();
process.exit(0);
