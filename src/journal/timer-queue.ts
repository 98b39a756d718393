/**
 * The timers of an event loop (loop.ts): a min-heap by due time (journal time, ns), then by id, so
 * that of two timers due at once the first added runs first; cancelled ones are dropped when they
 * reach the top. The loop runs them; this only keeps their order.
 */

export interface Timer {
  id: number;
  at: bigint;
  period: bigint;
  callback: (now: bigint) => void;
}

export class TimerQueue {
  /** Min-heap by due time, then id (first added first). */
  private readonly heap: Timer[] = [];
  private readonly cancelled = new Set<number>();
  private nextTimerId = 1;

  /** The id for a new timer: ids grow, which orders timers due at the same time. */
  newId(): number {
    return this.nextTimerId++;
  }

  cancel(id: number): void {
    if (this.heap.some((t) => t.id === id)) this.cancelled.add(id);
  }

  /** Queues `timer` (a new one, or a periodic one again). */
  push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Takes the first timer out (cancelled or not). */
  pop(): Timer {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && earlier(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && earlier(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }

  /** The next live timer's due time, dropping cancelled ones. */
  nextAt(): bigint | undefined {
    while (this.heap.length > 0 && this.cancelled.has(this.heap[0]!.id)) this.cancelled.delete(this.pop().id);
    return this.heap[0]?.at;
  }
}

function earlier(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}
