// Hinted handoff, the holder's side: versions this worker took in for a worker that was down
// are sent home in batches once the main thread publishes that owner as up again. A hint is
// deleted only after the owner acknowledged the merged version.
import { HANDOFF_BATCH_MAX, HANDOFF_INTERVAL_MS } from '../constants.js';
import { type Frame, MessageType } from '../transport/frames.js';
import type { Links, WorkerStats } from './links.js';

export class Handoff {
  private readonly links: Links;
  private readonly stats: WorkerStats;
  private readonly workerCount: number;
  /** Hints sent and not yet acknowledged, by owner and key, so a batch is not sent twice. */
  private readonly inFlight = new Map<string, number>();
  private lastRun = 0;

  constructor(links: Links, stats: WorkerStats, workerCount: number) {
    this.links = links;
    this.stats = stats;
    this.workerCount = workerCount;
  }

  /** Called every serve-loop turn; works at most every HANDOFF_INTERVAL_MS. */
  tick(now: number): void {
    if (now - this.lastRun < HANDOFF_INTERVAL_MS || this.links.store.hintCount() === 0) return;
    this.lastRun = now;
    // Sends whose ack never came (the owner went down again) are retried on a later pass.
    for (const [id, sentAt] of this.inFlight)
      if (now - sentAt > HANDOFF_INTERVAL_MS * 20) this.inFlight.delete(id);
    for (let owner = 0; owner < this.workerCount; owner++) {
      if (owner === this.links.slot || !this.links.control.isUp(owner)) continue;
      this.sendBatch(owner, now);
    }
  }

  onAck(from: number, frame: Frame): void {
    const key = frame.fields[0];
    if (key === undefined) return;
    const id = `${from}:${Buffer.from(key).toString('latin1')}`;
    if (!this.inFlight.delete(id) || frame.status !== 0) return;
    this.stats.hintsDelivered++;
    this.links.store.removeHint(from, Buffer.from(key)).catch(() => {});
  }

  private sendBatch(owner: number, now: number): void {
    const { store, writer, endpoint } = this.links;
    for (const key of store.hintsFor(owner, HANDOFF_BATCH_MAX)) {
      const id = `${owner}:${Buffer.from(key).toString('latin1')}`;
      if (this.inFlight.has(id)) continue;
      const record = store.read(key);
      if (record === undefined) {
        store.removeHint(owner, key).catch(() => {});
        continue;
      }
      writer.begin({ type: MessageType.HANDOFF, requestId: 0 }).field(key).field(record);
      try {
        endpoint.send(owner, writer.finish());
      } catch {
        return; // the ring and outbox to the owner are full: the next pass continues
      }
      this.inFlight.set(id, now);
    }
    endpoint.flushSoon();
  }
}
