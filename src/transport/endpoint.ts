// One thread's view of the mesh of rings: a ring to and from every other thread, its own
// doorbell, and the doorbells of its peers. Endpoints 0..k-1 are the workers; endpoint k is
// the main thread. Sends go straight into the destination's ring, or into a bounded outbox
// when that ring is full (backpressure: nothing is dropped, nothing grows without bound).
// flush() rings each destination's doorbell once per batch, not once per frame.
import { OUTBOX_FRAMES_MAX } from '../constants.js';
import { KvError } from '../errors.js';
import { SabRing } from './sab-ring.js';

/** Doorbell slots: SEQ is bumped by every producer after a batch; SLEEPING is set by the owner before it waits. */
const SEQ_INDEX = 0;
const SLEEPING_INDEX = 1;
const DOORBELL_BYTES = 8;
const KEEP_ALIVE_MS = 0x7fff_ffff;

/** The shared memory of the whole mesh, created once by the main thread and sent to each worker. */
export interface MeshLayout {
  endpointCount: number;
  /** rings[from][to]; null on the diagonal. */
  rings: (SharedArrayBuffer | null)[][];
  doorbells: SharedArrayBuffer[];
}

export function createMesh(endpointCount: number, ringBytes: number): MeshLayout {
  const rings: (SharedArrayBuffer | null)[][] = [];
  for (let from = 0; from < endpointCount; from++) {
    const row: (SharedArrayBuffer | null)[] = [];
    for (let to = 0; to < endpointCount; to++)
      row.push(from === to ? null : SabRing.create(ringBytes).buffer);
    rings.push(row);
  }
  const doorbells = Array.from({ length: endpointCount }, () => new SharedArrayBuffer(DOORBELL_BYTES));
  return { endpointCount, rings, doorbells };
}

const discard = () => {};

export type InboundHandler = (from: number, bytes: Uint8Array, offset: number, length: number) => void;

export class Endpoint {
  readonly self: number;
  private readonly outbound: (SabRing | null)[];
  private readonly inbound: (SabRing | null)[];
  private readonly bells: Int32Array[];
  private readonly ownBell: Int32Array;
  private readonly outboxes: Uint8Array[][];
  private readonly dirty: boolean[];
  private outboxFrames = 0;
  private flushQueued = false;
  /** Fault injection: while set, frames to and from this endpoint are dropped (a cut-off thread). */
  isolated = false;

  constructor(layout: MeshLayout, self: number) {
    this.self = self;
    const count = layout.endpointCount;
    this.outbound = [];
    this.inbound = [];
    for (let other = 0; other < count; other++) {
      const out = layout.rings[self]?.[other] ?? null;
      const into = layout.rings[other]?.[self] ?? null;
      this.outbound.push(out === null ? null : new SabRing(out));
      this.inbound.push(into === null ? null : new SabRing(into));
    }
    this.bells = layout.doorbells.map((buffer) => new Int32Array(buffer));
    this.ownBell = this.bells[self] as Int32Array;
    this.outboxes = Array.from({ length: count }, () => []);
    this.dirty = new Array<boolean>(count).fill(false);
  }

  /** Largest frame any outbound ring accepts. */
  frameBytesMax(): number {
    const ring = this.outbound.find((r) => r !== null);
    return ring === undefined || ring === null ? 0 : ring.frameBytesMax;
  }

  /**
   * Queues one frame for `to`. Throws KvError BUSY when that destination's outbox is full,
   * so the caller fails one request instead of the process running out of memory.
   */
  send(to: number, frame: Uint8Array): void {
    const ring = this.outbound[to];
    if (ring === null || ring === undefined) throw new Error(`no ring from ${this.self} to ${to}`);
    if (this.isolated) return;
    const outbox = this.outboxes[to] as Uint8Array[];
    if (outbox.length === 0 && ring.tryWrite(frame, 0, frame.length)) {
      this.dirty[to] = true;
      return;
    }
    if (outbox.length >= OUTBOX_FRAMES_MAX) {
      throw new KvError('BUSY', `ring to thread ${to} is full and ${outbox.length} frames wait for it`);
    }
    outbox.push(frame.slice());
    this.outboxFrames++;
  }

  /** Moves waiting frames into rings that have room again, then rings every doorbell owed. */
  flush(): void {
    if (this.outboxFrames > 0) this.retryOutboxes();
    for (let to = 0; to < this.dirty.length; to++) {
      if (!this.dirty[to]) continue;
      this.dirty[to] = false;
      const bell = this.bells[to] as Int32Array;
      Atomics.add(bell, SEQ_INDEX, 1);
      // Only a thread that declared itself asleep needs the (costly) notify; see sleep().
      if (Atomics.load(bell, SLEEPING_INDEX) !== 0) Atomics.notify(bell, SEQ_INDEX);
    }
  }

  /**
   * Flushes once after the current batch of callbacks: frames sent from promise callbacks
   * (commit acknowledgements) arrive outside the serve loop's turn, and many resolve at once.
   */
  flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  hasOutbox(): boolean {
    return this.outboxFrames > 0;
  }

  /** Drops frames queued for one destination (it died; its requests fail by timeout). */
  discardOutbox(to: number): void {
    const outbox = this.outboxes[to] as Uint8Array[];
    this.outboxFrames -= outbox.length;
    outbox.length = 0;
  }

  /** Reads up to `maxPerRing` frames from each inbound ring; returns how many were read. */
  drain(handler: InboundHandler, maxPerRing: number): number {
    let total = 0;
    for (let from = 0; from < this.inbound.length; from++) {
      const ring = this.inbound[from];
      if (ring === null || ring === undefined) continue;
      const deliver = this.isolated
        ? discard
        : (bytes: Uint8Array, offset: number, length: number) => handler(from, bytes, offset, length);
      total += ring.drain(deliver, maxPerRing);
    }
    return total;
  }

  /**
   * Whether the thread at `endpoint` is waiting on its doorbell (it reached sleep() with its
   * rings empty), as opposed to working or stuck elsewhere. Any thread may ask.
   */
  isAsleep(endpoint: number): boolean {
    return Atomics.load(this.bells[endpoint] as Int32Array, SLEEPING_INDEX) !== 0;
  }

  /** Wakes the thread at `endpoint` without sending it a frame (it re-reads its control flags). */
  wake(endpoint: number): void {
    const bell = this.bells[endpoint] as Int32Array;
    Atomics.add(bell, SEQ_INDEX, 1);
    Atomics.notify(bell, SEQ_INDEX);
  }

  doorbellSeq(): number {
    return Atomics.load(this.ownBell, SEQ_INDEX);
  }

  /**
   * Sleeps until a producer rings this endpoint's doorbell past `seenSeq` (read before the
   * last drain), or `timeoutMs` passes. SLEEPING is set before the final check of the rings:
   * a producer either sees SLEEPING and notifies, or published its frame before our check.
   */
  async sleep(seenSeq: number, timeoutMs?: number): Promise<void> {
    Atomics.store(this.ownBell, SLEEPING_INDEX, 1);
    try {
      if (this.inbound.some((ring) => ring?.hasFrames())) return;
      const result = Atomics.waitAsync(this.ownBell, SEQ_INDEX, seenSeq, timeoutMs);
      if (!result.async) return;
      // A pending waitAsync does not keep Node's event loop alive; a timer does. It must
      // outlast the wait's own timeout, or the loop may find itself empty in between and exit.
      const keepAlive = setTimeout(() => {}, timeoutMs === undefined ? KEEP_ALIVE_MS : timeoutMs + 1000);
      await result.value;
      clearTimeout(keepAlive);
    } finally {
      Atomics.store(this.ownBell, SLEEPING_INDEX, 0);
    }
  }

  private retryOutboxes(): void {
    for (let to = 0; to < this.outboxes.length; to++) {
      const outbox = this.outboxes[to] as Uint8Array[];
      if (outbox.length === 0) continue;
      const ring = this.outbound[to] as SabRing;
      let sent = 0;
      while (sent < outbox.length) {
        const frame = outbox[sent] as Uint8Array;
        if (!ring.tryWrite(frame, 0, frame.length)) break;
        sent++;
      }
      if (sent > 0) {
        outbox.splice(0, sent);
        this.outboxFrames -= sent;
        this.dirty[to] = true;
      }
    }
  }
}
