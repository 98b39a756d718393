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
    const bids = book.bids;
    const asks = book.asks;
    const tickUnits = book.tickUnits;
    const nb = Math.min(n, bids.size);
    const na = Math.min(n, asks.size);
    view.setUint8(at + O.bid_levels, nb);
    view.setUint8(at + O.ask_levels, na);
    view.setUint8(at + O.state, state);
    for (let i = 0; i < nb; i++) {
      writeI64(view, at + O.bid_price + 8 * i, bids.tickAt(i) * tickUnits);
      writeI64(view, at + O.bid_volume + 8 * i, bids.qtyAt(i));
    }
    for (let i = 0; i < na; i++) {
      writeI64(view, at + O.ask_price + 8 * i, asks.tickAt(i) * tickUnits);
      writeI64(view, at + O.ask_volume + 8 * i, asks.qtyAt(i));
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
