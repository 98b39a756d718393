/**
 * The `<s>@kline_<interval>[@+hh:mm]` streams: the current kline every second (1s) or two
 * (others), and a kline that closed once more with `x` true. A stream starts with the kline open
 * at its subscription: it is pushed, and closed, from there on.
 */
import { openTimeOf } from '../engine/klines.js';
import type { Tape } from '../engine/tape.js';
import { klineEvent } from './market-json.js';
import { parseStream } from './stream-names.js';

export class KlineStreams {
  /** Per kline stream with subscribers: the open time of the kline last sent. */
  private readonly sent = new Map<string, number>();

  constructor(private readonly tape: Tape) {}

  start(streams: Iterable<string>, now: number): void {
    for (const stream of streams) {
      const name = parseStream(stream);
      if (name?.kind === 'kline' && !this.sent.has(stream)) this.sent.set(stream, openTimeOf(name.interval, now, name.offset));
    }
  }

  /** Pushes the kline streams in `live` (every stream with a subscriber) through `send`. */
  push(live: ReadonlySet<string>, evenSecond: boolean, now: number, send: (stream: string, data: unknown) => void): void {
    for (const stream of this.sent.keys()) if (!live.has(stream)) this.sent.delete(stream);
    for (const stream of live) {
      const name = parseStream(stream);
      if (name?.kind !== 'kline' || (name.interval !== '1s' && !evenSecond)) continue;
      const store = this.tape.klines(name.symbol);
      const current = store.query(name.interval, now, { limit: 1, offset: name.offset }).at(-1);
      if (!current) continue; // no trade yet
      const sent = this.sent.get(stream);
      if (sent !== undefined && sent < current.openTime) {
        const closed = store.query(name.interval, now, { startTime: sent, limit: 1, offset: name.offset })[0];
        if (closed && closed.openTime === sent) send(stream, klineEvent(name.symbol, name.interval, closed, true, now));
      }
      this.sent.set(stream, current.openTime);
      send(stream, klineEvent(name.symbol, name.interval, current, false, now));
    }
  }
}
