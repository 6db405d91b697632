// Request timeouts without one timer per request: every request of a thread has the same
// timeout, so deadlines arrive in insertion order and a FIFO swept by one interval suffices.
// Entries whose request already finished are skipped when they reach the front.

export interface Deadline {
  readonly at: number;
  readonly id: number;
}

export class DeadlineQueue {
  private readonly items: Deadline[] = [];
  private head = 0;

  push(id: number, at: number): void {
    this.items.push({ id, at });
  }

  /** Calls `expire` for every id whose deadline is at or before `now`, in order. */
  sweep(now: number, expire: (id: number) => void): void {
    while (this.head < this.items.length) {
      const item = this.items[this.head] as Deadline;
      if (item.at > now) break;
      this.head++;
      expire(item.id);
    }
    // Compact once the consumed prefix dominates, so the array does not grow forever.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.items.length - this.head;
  }
}
