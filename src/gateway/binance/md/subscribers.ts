/**
 * Following the processes that may subscribe: for each registered process (but the master and
 * this gateway), its public journal (for SessionStart) and its journal addressed to this gateway
 * (Subscribe, Unsubscribe). Only the current session counts: frames before the SessionStart of the
 * pid the master registered are history (a restarted strategy subscribes again). So a restarted
 * gateway resumes every live subscription by replaying from each subscriber's latest SessionStart.
 */

import { journalDir, parseLocation, type Location } from '../../../journal/location.js';
import { listPageIds, readBeginTime } from '../../../journal/page.js';
import { JournalReader, type Frame } from '../../../journal/reader.js';
import { MsgType, SessionStart, Subscribe, type SubscribeEvent } from '../../../model/events.js';
import type { ProcessInfo } from '../../../master/protocol.js';
import type { Logger } from '../../../util/log.js';

export interface SubscriberEvents {
  request(subscriber: Location, event: SubscribeEvent, unsubscribe: boolean): void;
  /** A subscriber's earlier subscriptions are void: it left, or began a new session. */
  reset(subscriber: Location): void;
}

interface Follower {
  location: Location;
  pid: number;
  /** The SessionStart of `pid` was read: its requests count. */
  active: boolean;
}

/** The gen_time of the latest SessionStart of `pid` in a location's public journal, if any. */
export function latestSessionStart(home: string, location: Location, pid: number, log: Logger): bigint | undefined {
  const dir = journalDir(home, location);
  const ids = listPageIds(dir, 0);
  for (let i = ids.length - 1; i >= 0; i--) {
    const reader = new JournalReader({ home, log });
    try {
      reader.join(location, 0, readBeginTime(dir, 0, ids[i]!) ?? 0n);
      let found: bigint | undefined;
      for (let f = reader.next(); f; f = reader.next()) {
        if (f.msgType === MsgType.SessionStart && f.decode(SessionStart).pid === pid) found = f.genTime;
      }
      if (found !== undefined) return found;
    } finally {
      reader.close();
    }
  }
  return undefined;
}

export class Subscribers {
  private readonly followers = new Map<number, Follower>();

  constructor(
    private readonly home: string,
    private readonly reader: JournalReader,
    private readonly self: Location,
    private readonly log: Logger,
    private readonly events: SubscriberEvents,
  ) {}

  private followable(p: ProcessInfo): Location | undefined {
    let l: Location;
    try {
      l = parseLocation(p.location);
    } catch {
      return undefined;
    }
    return l.uid === this.self.uid || (l.category === 'system' && l.group === 'master') ? undefined : l;
  }

  /** A process registered (or was registered when this gateway started). */
  add(p: ProcessInfo): void {
    const location = this.followable(p);
    if (!location) return;
    const known = this.followers.get(location.uid);
    if (known && known.pid === p.pid) return;
    if (known) this.events.reset(location); // a new process at that location
    const from = latestSessionStart(this.home, location, p.pid, this.log);
    this.followers.set(location.uid, { location, pid: p.pid, active: from !== undefined });
    // Not found: its SessionStart is still to come (it registers first); until then its frames are history.
    this.reader.join(location, 0, from ?? 0n);
    this.reader.join(location, this.self.uid, from ?? 0n);
    this.log.debug(`following ${location.path} (pid ${p.pid}) from ${from === undefined ? 'its next session' : `its session start ${from}`}`);
  }

  remove(p: ProcessInfo): void {
    const location = this.followable(p);
    const f = location && this.followers.get(location.uid);
    if (!f || f.pid !== p.pid) return;
    this.followers.delete(f.location.uid);
    this.reader.leave(f.location, 0);
    this.reader.leave(f.location, this.self.uid);
    this.events.reset(f.location);
  }

  /** A frame from the reader; false if it is none of ours. */
  frame(f: Frame): boolean {
    const follower = this.followers.get(f.location.uid);
    if (!follower) return false;
    if (f.msgType === MsgType.SessionStart && f.dest === 0) {
      const active = f.decode(SessionStart).pid === follower.pid;
      if (follower.active || active) this.events.reset(follower.location);
      follower.active = active;
      return true;
    }
    if ((f.msgType === MsgType.Subscribe || f.msgType === MsgType.Unsubscribe) && f.dest === this.self.uid) {
      if (follower.active && f.payloadLength >= Subscribe.size) this.events.request(follower.location, f.decode(Subscribe), f.msgType === MsgType.Unsubscribe);
      return true;
    }
    return false;
  }
}

