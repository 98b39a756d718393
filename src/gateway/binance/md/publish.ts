/**
 * What the MD gateway writes to its journal (public, dest 0). Every market frame's trigger_time is
 * the time its WebSocket message arrived; its data_time the exchange's event time.
 *
 * Depth frames are encoded in place from the book (no event object, no bigint): a per-symbol
 * template carries the symbol and exchange bytes, the numbers go in as i64 halves (fixed.ts).
 */
import { nowNs } from '../../../journal/clock.js';
import type { JournalWriter } from '../../../journal/writer.js';
import { BookState, BrokerState } from '../../../model/enums.js';
import { Bar, BrokerStateUpdate, Depth, DEPTH_LEVELS, Instrument, MsgType, Quote, SubscribeError, Ticker, Transaction } from '../../../model/events.js';
import type { BarEvent, InstrumentEvent, QuoteEvent, TickerEvent, TransactionEvent } from '../../../model/events.js';
import { encodeToBuffer } from '../../../model/layout.js';
import type { BookSide, OrderBook } from './book.js';
import type { DepthDiff } from './depth-json.js';
import { writeMsAsNs } from './fixed.js';
import { EXCHANGE } from './mapping.js';

const O = Depth.offsets;
const TWO_32 = 4294967296;
const INV_2_32 = 1 / TWO_32;
// Depth's fields in 32-bit words (its layout is 8-byte aligned; checked at load).
const HEAD_WORDS = O.data_time / 4;
const DATA_TIME = O.data_time / 4;
const FIRST_ID = O.first_update_id / 4;
const UPDATE_ID = O.update_id / 4;
const COUNTS = O.bid_levels / 4;
const BID_PRICE = O.bid_price / 4;
const BID_VOLUME = O.bid_volume / 4;
const ASK_PRICE = O.ask_price / 4;
const ASK_VOLUME = O.ask_volume / 4;
if (O.ask_levels !== O.bid_levels + 1 || O.state !== O.bid_levels + 2 || O.bid_price !== O.bid_levels + 8 || O.data_time % 8 !== 0) {
  throw new Error('the Depth layout changed: update the hot-path writer in publish.ts');
}

/** A non-negative integer below 2^63 as a little-endian i64 at word `w`: two 32-bit halves. */
function putI64(i32: Int32Array<ArrayBufferLike>, w: number, n: number): void {
  // Multiplying by 2^-32 and flooring is exact for an integer, and much cheaper than `%` (fmod).
  const hi = Math.floor(n * INV_2_32);
  i32[w] = n - hi * TWO_32;
  i32[w + 1] = hi;
}

/** One side's top `count` levels into its price and volume arrays; the rest of the 20 zeroed. */
function side(i32: Int32Array<ArrayBufferLike>, s: BookSide, count: number, priceAt: number, volumeAt: number, tickUnits: number): void {
  const keys = s.keys;
  const qty = s.qty;
  const sign = s.sign;
  const top = s.size - 1;
  for (let i = 0; i < count; i++) {
    putI64(i32, priceAt + 2 * i, sign * keys[top - i]! * tickUnits);
    putI64(i32, volumeAt + 2 * i, qty[top - i]!);
  }
  if (count < DEPTH_LEVELS) {
    i32.fill(0, priceAt + 2 * count, priceAt + 2 * DEPTH_LEVELS);
    i32.fill(0, volumeAt + 2 * count, volumeAt + 2 * DEPTH_LEVELS);
  }
}

export class MdPublisher {
  private readonly templates = new Map<string, Int32Array>();

  constructor(
    private readonly journal: JournalWriter,
    readonly source: string,
  ) {}

  quote(q: QuoteEvent, receivedAt: bigint): void {
    this.journal.write(MsgType.Quote, Quote, q, receivedAt);
  }

  transaction(t: TransactionEvent, receivedAt: bigint): void {
    this.journal.write(MsgType.Transaction, Transaction, t, receivedAt);
  }

  bar(b: BarEvent, receivedAt: bigint): void {
    this.journal.write(MsgType.Bar, Bar, b, receivedAt);
  }

  ticker(t: TickerEvent, receivedAt: bigint): void {
    this.journal.write(MsgType.Ticker, Ticker, t, receivedAt);
  }

  instrument(i: InstrumentEvent): void {
    this.journal.write(MsgType.Instrument, Instrument, i);
  }

  /** The symbol and exchange fields of a Depth, as 32-bit words. */
  private template(symbol: string): Int32Array {
    let t = this.templates.get(symbol);
    if (!t) {
      const e = Depth.empty();
      e.symbol = symbol;
      e.exchange = EXCHANGE;
      const b = encodeToBuffer(Depth, e);
      this.templates.set(symbol, (t = new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + HEAD_WORDS * 4))));
    }
    return t;
  }

  /** An Int32Array over the journal's current page (frames and i64 fields are 8-byte aligned). */
  private i32Of(buf: Buffer): Int32Array<ArrayBufferLike> {
    if (this.i32Buf !== buf) {
      this.i32Buf = buf;
      this.i32 = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
    }
    return this.i32;
  }
  private i32Buf: Buffer | undefined;
  private i32: Int32Array<ArrayBufferLike> = new Int32Array(0);

  /**
   * The top `levels` of `book` as a Depth frame. The event time (exchange ms) and first update id
   * come from `diff`, the diff that changed it, if one did (a double argument would be boxed on
   * the heap: the diff's fields are read here instead). Every byte of the payload is written
   * (zeros where nothing is), 32 bits at a time: the hot path's one copy of the book.
   */
  depth(symbol: string, book: OrderBook, levels: number, state: BookState, diff: DepthDiff | undefined, receivedAt: bigint): void {
    const eventTime = diff === undefined ? 0 : diff.eventTime;
    const firstUpdateId = diff === undefined ? book.updateId : diff.first;
    const j = this.journal;
    const at = j.beginFrame(MsgType.Depth, Depth.size);
    const i32 = this.i32Of(j.buf);
    const w = at >>> 2;
    const t = this.template(symbol);
    for (let k = 0; k < HEAD_WORDS; k++) i32[w + k] = t[k]!; // symbol, exchange
    if (eventTime > 0) writeMsAsNs(j.view, at + O.data_time, eventTime);
    else i32[w + DATA_TIME] = i32[w + DATA_TIME + 1] = 0;
    putI64(i32, w + FIRST_ID, firstUpdateId);
    putI64(i32, w + UPDATE_ID, book.updateId);
    const n = Math.min(levels, DEPTH_LEVELS);
    const nb = Math.min(n, book.bids.size);
    const na = Math.min(n, book.asks.size);
    i32[w + COUNTS] = nb | (na << 8) | (state << 16); // bid_levels, ask_levels, state, padding
    i32[w + COUNTS + 1] = 0;
    side(i32, book.bids, nb, w + BID_PRICE, w + BID_VOLUME, book.tickUnits);
    side(i32, book.asks, na, w + ASK_PRICE, w + ASK_VOLUME, book.tickUnits);
    j.commitFrame(receivedAt);
  }

  brokerState(state: BrokerState, message: string): void {
    const e = BrokerStateUpdate.empty();
    e.update_time = nowNs();
    e.source = this.source;
    e.state = state;
    e.message = message;
    this.journal.write(MsgType.BrokerState, BrokerStateUpdate, e);
  }

  subscribeError(requester: number, symbol: string, data: number, code: number, message: string): void {
    const e = SubscribeError.empty();
    e.requester = requester >>> 0;
    e.source = this.source;
    e.symbol = symbol;
    e.data = data >>> 0;
    e.error_id = code;
    e.error_msg = message;
    this.journal.write(MsgType.SubscribeError, SubscribeError, e);
  }
}

export { BookState, BrokerState };
