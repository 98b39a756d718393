/**
 * `kfc journal`: journals as JSON lines, filtered by location, message type and time; `--follow`
 * to keep reading live; `--latency` for a per-hop latency report from gen_time - trigger_time.
 */
import { join } from 'node:path';
import { formatTime, parseTime } from '../journal/clock.js';
import { hex8 } from '../journal/format.js';
import { parseLocation, type Location } from '../journal/location.js';
import { discoverJournals } from '../journal/discover.js';
import { follow } from '../journal/loop.js';
import { JournalReader, type Frame } from '../journal/reader.js';
import { LAYOUTS, msgTypeName, parseMsgType } from '../model/events.js';
import { eventToJson } from '../model/json.js';
import { getLogger } from '../util/log.js';
import { UserError } from './errors.js';

export interface JournalCommandOptions {
  home: string;
  location?: string[];
  type?: string[];
  from?: string;
  to?: string;
  follow?: boolean;
  latency?: boolean;
  /** Stop after this many frames (validated by the CLI). */
  limit?: number;
  lowLatency?: boolean;
}

function frameToJson(f: Frame): string {
  const layout = LAYOUTS.get(f.msgType);
  const line: Record<string, unknown> = {
    gen_time: f.genTime.toString(),
    time: formatTime(f.genTime),
    trigger_time: f.triggerTime.toString(),
    source: f.location.path,
    dest: hex8(f.dest),
    msg_type: f.msgType,
    type: msgTypeName(f.msgType),
  };
  if (layout && f.payloadLength >= layout.size) line.data = eventToJson(layout, f.decode(layout));
  else line.bytes = f.payload().toString('hex');
  return JSON.stringify(line);
}

/** Latency samples per hop (source location and message type), in ns. */
class LatencyReport {
  private readonly hops = new Map<string, number[]>();

  add(f: Frame): void {
    if (f.triggerTime <= 0n || f.triggerTime > f.genTime) return;
    const key = `${f.location.path} ${msgTypeName(f.msgType)}`;
    let samples = this.hops.get(key);
    if (!samples) this.hops.set(key, (samples = []));
    samples.push(Number(f.genTime - f.triggerTime));
  }

  print(out: (line: string) => void): void {
    if (this.hops.size === 0) {
      out('no frames with a trigger_time: nothing to report');
      return;
    }
    const rows = [['hop (writer, message)', 'count', 'p50 us', 'p99 us', 'max us']];
    for (const [key, samples] of [...this.hops].sort()) {
      samples.sort((a, b) => a - b);
      const q = (p: number) => (samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]! / 1000).toFixed(1);
      rows.push([key, String(samples.length), q(0.5), q(0.99), (samples[samples.length - 1]! / 1000).toFixed(1)]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) out(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  }
}

export async function journalCommand(opts: JournalCommandOptions): Promise<void> {
  const log = getLogger();
  const types = new Set<number>();
  for (const t of opts.type ?? []) {
    const code = parseMsgType(t);
    if (code === undefined) throw new UserError(`unknown message type "${t}": use a name like Quote or Order, or a number`);
    types.add(code);
  }
  const parse = (text: string | undefined) => {
    if (text === undefined) return undefined;
    try {
      return parseTime(text);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  };
  const from = parse(opts.from) ?? 0n;
  const to = parse(opts.to);
  const limit = opts.limit ?? Infinity;

  let wanted: Location[] | undefined;
  try {
    wanted = opts.location?.map(parseLocation);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  const reader = new JournalReader({ home: opts.home, log });
  const joinAvailable = () => {
    for (const { location, dest } of discoverJournals(opts.home)) {
      if (!wanted || wanted.some((w) => w.uid === location.uid)) reader.join(location, dest, from);
    }
  };
  joinAvailable();
  if (!opts.follow && reader.journals.length === 0) {
    throw new UserError(`no journals ${wanted ? `for ${opts.location!.join(', ')} ` : ''}under ${join(opts.home, 'journal')}; check -H/KF_HOME`);
  }

  const report = opts.latency ? new LatencyReport() : undefined;
  let printed = 0;
  const controller = new AbortController();
  // A reader that went away (kfc journal | head -1): stop reading; kfc then exits quietly.
  const out = (line: string) => {
    if (!process.stdout.errored) process.stdout.write(line + '\n');
    if (process.stdout.errored) controller.abort();
  };
  const onFrame = (f: Frame) => {
    if (to !== undefined && f.genTime > to) {
      if (!opts.follow) controller.abort();
      return;
    }
    if (types.size > 0 && !types.has(f.msgType)) return;
    if (report) report.add(f);
    else out(frameToJson(f));
    if (++printed >= limit) controller.abort();
  };

  if (!opts.follow) {
    for (let f = reader.next(); f && !controller.signal.aborted; f = reader.next()) onFrame(f);
  } else {
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // New processes create new journals: look for them every second.
    const rescan = setInterval(joinAvailable, 1000);
    try {
      await follow(reader, onFrame, { signal: controller.signal, mode: opts.lowLatency ? 'spin' : 'loop' });
    } finally {
      clearInterval(rescan);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
  reader.close();
  report?.print(out);
}
