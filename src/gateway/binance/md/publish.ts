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
import type { OrderBook } from './book.js';
import { writeI64, writeMsAsNs } from './fixed.js';
import { EXCHANGE } from './mapping.js';

const O = Depth.offsets;
const TWO_32 = 4294967296;

export class MdPublisher {
  private readonly templates = new Map<string, Buffer>();

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

  private template(symbol: string): Buffer {
    let t = this.templates.get(symbol);
    if (!t) {
      const e = Depth.empty();
      e.symbol = symbol;
      e.exchange = EXCHANGE;
      this.templates.set(symbol, (t = encodeToBuffer(Depth, e)));
    }
    return t;
  }

  /** An Int32Array over the journal's current page (frames and i64 fields are 8-byte aligned). */
  private i32Of(buf: Buffer): Int32Array {
    if (this.i32Buf !== buf) {
      this.i32Buf = buf;
      this.i32 = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
    }
    return this.i32;
  }
  private i32Buf: Buffer | undefined;
  private i32: Int32Array<ArrayBufferLike> = new Int32Array(0);

  /**
   * The top `levels` of `book` as a Depth frame. `eventTime` (exchange ms, 0 if none) and
   * `firstUpdateId` come from the diff that changed it.
   */
  depth(symbol: string, book: OrderBook, levels: number, state: BookState, eventTime: number, firstUpdateId: number, receivedAt: bigint): void {
    const j = this.journal;
    const at = j.beginFrame(MsgType.Depth, Depth.size);
    const buf = j.buf;
    const view = j.view;
    buf.set(this.template(symbol), at);
    if (eventTime > 0) writeMsAsNs(view, at + O.data_time, eventTime);
    writeI64(view, at + O.first_update_id, firstUpdateId);
    writeI64(view, at + O.update_id, book.updateId);
    const n = Math.min(levels, DEPTH_LEVELS);
    const nb = Math.min(n, book.bids.size);
    const na = Math.min(n, book.asks.size);
    view.setUint8(at + O.bid_levels, nb);
    view.setUint8(at + O.ask_levels, na);
    view.setUint8(at + O.state, state);
    // Prices and quantities are non-negative integers below 2^63: two 32-bit halves each, stored
    // through an Int32Array (the same bits as the u32 halves; faster than DataView here).
    const i32 = this.i32Of(buf);
    const tickUnits = book.tickUnits;
    for (const [side, count, priceAt, qtyAt, sign] of [
      [book.bids, nb, at + O.bid_price, at + O.bid_volume, 1],
      [book.asks, na, at + O.ask_price, at + O.ask_volume, -1],
    ] as const) {
      const keys = side.keys;
      const qty = side.qty;
      const top = side.size - 1;
      let p = priceAt >>> 2;
      let q = qtyAt >>> 2;
      for (let i = 0; i < count; i++, p += 2, q += 2) {
        const price = sign * keys[top - i]! * tickUnits;
        const plo = price % TWO_32;
        i32[p] = plo;
        i32[p + 1] = (price - plo) / TWO_32;
        const volume = qty[top - i]!;
        const qlo = volume % TWO_32;
        i32[q] = qlo;
        i32[q + 1] = (volume - qlo) / TWO_32;
      }
    }
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
