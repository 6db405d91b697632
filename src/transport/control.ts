// The control block: a small SharedArrayBuffer every thread maps, one row of Int32 slots per
// worker. Workers bump HEARTBEAT each serve-loop turn and read the fault switches; the main
// thread publishes each worker's HEALTH so workers know when a hint's owner is back; any
// thread records a request that timed out on a worker in TIMED_OUT_AT (seconds, low bits),
// which the main thread's failure detector reads as suspicion. A worker whose storage
// failed (full disk) says so in STORAGE_FAILED, which /health reads without a round trip.

export const HEARTBEAT = 0;
export const HEALTH = 1;
/** Fault injection: the worker stops draining its rings and heartbeating (a hang). */
export const PAUSED = 2;
/** Fault injection: the worker's frames to and from other threads are dropped (a cut-off). */
export const ISOLATED = 3;
/** Fault injection: the worker throws from its serve loop (a crash). */
export const KILL = 4;
export const TIMED_OUT_AT = 5;
/** 1 while the worker refuses writes because a commit failed, else 0 (set by the worker). */
export const STORAGE_FAILED = 6;
/** Hints the worker holds for others, published so no tombstone is purged while an older version waits in a hint. */
export const HINTS_PENDING = 7;
const SLOTS_PER_WORKER = 8;

export const Health = { UP: 0, SUSPECT: 1, DOWN: 2 } as const;
export type HealthState = (typeof Health)[keyof typeof Health];

export function createControl(workerCount: number): SharedArrayBuffer {
  return new SharedArrayBuffer(workerCount * SLOTS_PER_WORKER * 4);
}

export class Control {
  private readonly words: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
  }

  get(worker: number, slot: number): number {
    return Atomics.load(this.words, worker * SLOTS_PER_WORKER + slot);
  }

  set(worker: number, slot: number, value: number): void {
    Atomics.store(this.words, worker * SLOTS_PER_WORKER + slot, value);
  }

  beat(worker: number): void {
    Atomics.add(this.words, worker * SLOTS_PER_WORKER + HEARTBEAT, 1);
  }

  /** Records that a request to `worker` timed out now (coarse seconds are enough). */
  noteTimeout(worker: number): void {
    this.set(worker, TIMED_OUT_AT, Math.floor(Date.now() / 1000) & 0x7fff_ffff);
  }

  isUp(worker: number): boolean {
    return this.get(worker, HEALTH) === Health.UP;
  }
}
