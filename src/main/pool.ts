// The main thread's side of the worker pool: it starts one worker thread per ring slot on
// its own LMDB directory, sends request frames through the mesh, matches replies to
// requests, and times requests out. It does no storage work itself.
//
// Workers are plain worker_threads, not piscina: each worker has an identity (its ring slot,
// its LMDB directory, its persisted worker id) and runs one long-lived serve loop fed by
// shared-memory rings, while piscina hands anonymous tasks to whichever thread is free and
// stops threads with terminate(), which aborted the process mid-LMDB-write on this machine.
import { join } from 'node:path';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import {
  DRAIN_FRAMES_PER_TURN_MAX,
  HEALTH_CHECK_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS_DEFAULT,
  IDLE_SPINS_BEFORE_SLEEP,
  MAIN_TIMEOUT_GRACE_MS,
  PENDING_REQUESTS_MAX,
  PROBE_ASLEEP_WORKER_AFTER_MS,
  PROBE_QUIET_WORKER_AFTER_MS,
  RESPAWN_BACKOFF_MS_MAX,
  RESPAWN_BACKOFF_MS_MIN,
  WORKER_START_TIMEOUT_MS,
} from '../constants.js';
import { DeadlineQueue } from '../coordinator/deadlines.js';
import { KvError, statusToErrorCode } from '../errors.js';
import type { Ring } from '../ring/index.js';
import {
  Control,
  createControl,
  HEALTH,
  HEARTBEAT,
  Health,
  type HealthState,
  ISOLATED,
  KILL,
  PAUSED,
  TIMED_OUT_AT,
} from '../transport/control.js';
import { createMesh, Endpoint, type MeshLayout } from '../transport/endpoint.js';
import { copyField, decodeFrame, FrameWriter, fieldText, MessageType } from '../transport/frames.js';
import { TreeGenerations } from '../transport/tree-generations.js';
import type { WorkerConfig, WorkerEvent } from '../worker/protocol.js';
import { EventHub } from './events.js';
import { Liveness } from './liveness.js';

/** A reply's fields, copied out of shared memory. */
export type ReplyFields = Buffer[];

interface Pending {
  resolve: (fields: ReplyFields) => void;
  reject: (error: KvError) => void;
  slot: number;
  /** Sends the request again through another coordinator; set only on a first attempt. */
  failover: (() => Promise<ReplyFields>) | undefined;
}

/** As often as the health check, so both timers fire in one wake of an idle main thread. */
const SWEEP_INTERVAL_MS = HEALTH_CHECK_INTERVAL_MS;
const IDLE_SLEEP_MS = 1000;

export class WorkerPool {
  readonly workerCount: number;
  readonly workerIds: number[] = [];
  readonly alive: boolean[] = [];
  /** Each worker's health as the failure detector sees it; true in allUp when every one is UP. */
  readonly health: HealthState[] = [];
  allUp = false;
  readonly control: Control;
  readonly respawns: number[] = [];
  /** Health changes as they happen (suspect, failed, respawned, recovered). */
  readonly events = new EventHub();
  /** Why each worker's thread last ended, for the log line of its exit. */
  private readonly lastError: (string | null)[] = [];
  readonly writer = new FrameWriter();
  private readonly endpoint: Endpoint;
  private readonly layout: MeshLayout;
  private readonly threads: Worker[] = [];
  private readonly exited: Promise<void>[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly deadlines = new DeadlineQueue();
  private readonly timeoutMs: number;
  private readonly sweepTimer: NodeJS.Timeout;
  private nextRequestId = 1;
  private pumping = true;
  private readonly pumpDone: Promise<void>;
  private readonly config: Config;
  private readonly ring: Ring;
  private readonly controlBuffer: SharedArrayBuffer;
  private readonly treeGenerations: TreeGenerations;
  private readonly liveness: Liveness[] = [];
  /** Requests in `pending` per worker: what it owes the main thread (the detector's evidence). */
  private readonly outstanding: number[] = [];
  private readonly backoffMs: number[] = [];
  private readonly probing: boolean[] = [];
  /** A liveness probe is in flight to the worker (see checkHealth). */
  private readonly nudging: boolean[] = [];
  private readonly probeFailed: boolean[] = [];
  private readonly healthTimer: NodeJS.Timeout;
  private closing = false;

  private constructor(config: Config, ring: Ring) {
    const workerCount = ring.workerCount;
    this.config = config;
    this.ring = ring;
    this.workerCount = workerCount;
    this.controlBuffer = createControl(workerCount);
    this.control = new Control(this.controlBuffer);
    this.treeGenerations = TreeGenerations.create(workerCount, ring.partitionCount);
    for (let slot = 0; slot < workerCount; slot++) {
      this.health.push(Health.DOWN);
      this.control.set(slot, HEALTH, Health.DOWN);
      this.backoffMs.push(RESPAWN_BACKOFF_MS_MIN);
      this.respawns.push(0);
      this.liveness.push(
        new Liveness({ stallMs: HEARTBEAT_TIMEOUT_MS_DEFAULT, probeAfterMs: PROBE_QUIET_WORKER_AFTER_MS }, 0),
      );
      this.outstanding.push(0);
      this.nudging.push(false);
      this.probing.push(false);
      this.probeFailed.push(false);
    }
    this.healthTimer = setInterval(() => this.checkHealth(), HEALTH_CHECK_INTERVAL_MS);
    this.timeoutMs = config.requestTimeoutMs + MAIN_TIMEOUT_GRACE_MS;
    this.layout = createMesh(workerCount + 1, config.ringBytes);
    this.endpoint = new Endpoint(this.layout, workerCount);
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.pumpDone = this.pump();
  }

  static async start(config: Config, ring: Ring): Promise<WorkerPool> {
    const pool = new WorkerPool(config, ring);
    const workerCount = ring.workerCount;
    try {
      await Promise.all(Array.from({ length: workerCount }, (_, slot) => pool.startWorker(slot)));
      pool.checkHealth();
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Largest frame a ring takes; requests above it are refused before they are built. */
  frameBytesMax(): number {
    return this.endpoint.frameBytesMax();
  }

  /**
   * Sends the frame just built in `writer` (with `requestId` from nextId()) to a worker and
   * resolves with the reply's fields, or rejects with the worker's error or a TIMEOUT.
   */
  send(
    slot: number,
    requestId: number,
    frame: Uint8Array,
    failover?: () => Promise<ReplyFields>,
  ): Promise<ReplyFields> {
    if (!this.pumping) return Promise.reject(new KvError('CLOSED', 'the database is closed'));
    if (this.pending.size >= PENDING_REQUESTS_MAX) {
      return Promise.reject(
        new KvError('BUSY', `${this.pending.size} requests in flight; the limit is ${PENDING_REQUESTS_MAX}`),
      );
    }
    return new Promise<ReplyFields>((resolve, reject) => {
      try {
        this.endpoint.send(slot, frame);
      } catch (error) {
        reject(error as KvError);
        return;
      }
      this.pending.set(requestId, { resolve, reject, slot, failover });
      this.outstanding[slot] = (this.outstanding[slot] as number) + 1;
      this.deadlines.push(requestId, Date.now() + this.timeoutMs);
      this.endpoint.flushSoon();
    });
  }

  nextId(): number {
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0xffff_fffe ? 1 : id + 1;
    return id;
  }

  /** Stops every worker from inside (a STOP frame: commit, close LMDB, exit), then the pump. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.healthTimer);
    // Heal every injected fault first, so each worker reads its STOP frame.
    for (let slot = 0; slot < this.workerCount; slot++) this.heal(slot);
    const stops: Promise<unknown>[] = [];
    for (let slot = 0; slot < this.threads.length; slot++) {
      if (!this.alive[slot]) continue;
      const id = this.nextId();
      stops.push(
        this.send(slot, id, this.writer.begin({ type: MessageType.STOP, requestId: id }).finish()).catch(
          () => {},
        ),
      );
    }
    await Promise.all(stops);
    await Promise.all(this.exited);
    this.pumping = false;
    clearInterval(this.sweepTimer);
    Atomics.add(new Int32Array(this.layout.doorbells[this.workerCount] as SharedArrayBuffer), 0, 1);
    Atomics.notify(new Int32Array(this.layout.doorbells[this.workerCount] as SharedArrayBuffer), 0);
    await this.pumpDone;
    for (const [, request] of this.pending) request.reject(new KvError('CLOSED', 'the database closed'));
    this.pending.clear();
    this.outstanding.fill(0);
  }

  /** Fault injection: the worker crashes (an uncaught error) and is respawned. */
  kill(slot: number): void {
    this.control.set(slot, KILL, 1);
    this.endpoint.wake(slot); // an idle worker reads its fault switches when it wakes
  }

  /** Fault injection: the worker stops draining its rings and heartbeating, as if hung. */
  pause(slot: number): void {
    this.control.set(slot, PAUSED, 1);
    this.endpoint.wake(slot);
  }

  /** Fault injection: every frame to and from the worker is dropped, as if cut off. */
  isolate(slot: number): void {
    this.control.set(slot, ISOLATED, 1);
    this.endpoint.wake(slot);
  }

  heal(slot: number): void {
    this.control.set(slot, PAUSED, 0);
    this.control.set(slot, ISOLATED, 0);
    this.endpoint.wake(slot);
  }

  /**
   * Whether the main thread may read a worker's storage for a get: the failure detector sees it
   * up and no fault is injected into it (a paused or cut-off worker is unreachable at once,
   * before the detector notices, so fault injection keeps its meaning).
   */
  reachable(slot: number): boolean {
    return (
      this.health[slot] === Health.UP &&
      this.control.get(slot, PAUSED) === 0 &&
      this.control.get(slot, ISOLATED) === 0
    );
  }

  /** Sends the frame just built in `writer` to a worker without waiting for a reply; false when its ring is full. */
  post(slot: number, frame: Uint8Array): boolean {
    if (!this.pumping) return false;
    try {
      this.endpoint.send(slot, frame);
    } catch {
      return false;
    }
    this.endpoint.flushSoon();
    return true;
  }

  /** The thread id of the worker's current thread (a respawn gets a new one); -1 once it exited. */
  threadId(slot: number): number {
    return this.threads[slot]?.threadId ?? -1;
  }

  private startWorker(slot: number): Promise<void> {
    const config = this.config;
    const workerConfig: WorkerConfig = {
      slot,
      workerCount: this.workerCount,
      path: join(config.dir, `worker-${slot}`),
      durability: config.durability,
      mapBytes: config.mapBytes,
      requestTimeoutMs: config.requestTimeoutMs,
      tombstoneGraceMs: config.tombstoneGraceMs,
      layout: this.layout,
      control: this.controlBuffer,
      treeGenerations: this.treeGenerations.buffer,
      ring: this.ring,
      n: config.defaultBucket.n,
    };
    const thread = new Worker(new URL('../worker/entry.js', import.meta.url), { workerData: workerConfig });
    this.threads[slot] = thread;
    this.alive[slot] = false;
    this.exited[slot] = new Promise((resolve) => thread.once('exit', () => resolve()));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new KvError('INTERNAL', `worker ${slot} did not start within ${WORKER_START_TIMEOUT_MS} ms`));
      }, WORKER_START_TIMEOUT_MS);
      thread.on('message', (event: WorkerEvent) => {
        if (event.type === 'ready') {
          this.workerIds[slot] = event.workerId;
          this.alive[slot] = true;
          this.probeFailed[slot] = false;
          (this.liveness[slot] as Liveness).restart(Date.now(), this.control.get(slot, HEARTBEAT));
          clearTimeout(timer);
          resolve();
        } else {
          process.emitWarning(`ringkv worker ${slot}: ${event.message}`);
        }
      });
      thread.on('error', (error) => {
        if (process.env.RINGKV_DEBUG) console.error(`worker ${slot} error ${error.stack}`);
        this.lastError[slot] = error.message;
        clearTimeout(timer);
        if (!this.closing && error.message.includes('fault injection') === false) {
          process.emitWarning(`ringkv worker ${slot} died: ${error.stack ?? error.message}`);
        }
        reject(new KvError('INTERNAL', `worker ${slot} failed: ${error.message}`));
      });
      thread.on('exit', (code) => {
        if (process.env.RINGKV_DEBUG) console.error(`worker ${slot} exit ${code}`);
        clearTimeout(timer);
        this.onExit(slot, code);
      });
    });
  }

  /**
   * A worker thread ended. Its requests fail now rather than at their timeout, and unless the
   * pool is closing it is started again on its own data directory after a growing backoff
   * (the ring does not change for a temporary failure).
   */
  private onExit(slot: number, code: number): void {
    this.alive[slot] = false;
    this.endpoint.discardOutbox(slot);
    this.publishHealth(slot, Health.DOWN);
    if (this.closing) return;
    const delayMs = this.backoffMs[slot] as number;
    this.backoffMs[slot] = Math.min(delayMs * 2, RESPAWN_BACKOFF_MS_MAX);
    const reason = this.lastError[slot] ?? `its thread exited with code ${code}`;
    this.lastError[slot] = null;
    this.events.emit({ kind: 'failed', worker: slot, reason, retryInMs: delayMs });
    setTimeout(() => {
      if (this.closing) return;
      this.respawns[slot] = (this.respawns[slot] as number) + 1;
      this.startWorker(slot).then(
        () => {
          this.backoffMs[slot] = RESPAWN_BACKOFF_MS_MIN;
          const respawns = this.respawns[slot] as number;
          this.events.emit({ kind: 'respawned', worker: slot, respawns, threadId: this.threadId(slot) });
        },
        () => {}, // its exit schedules the next try
      );
    }, delayMs).unref();
  }

  /**
   * The failure detector (liveness.ts): a worker that owes the main thread answers and whose
   * heartbeat has not moved for the stall bound, or that a request timed out on recently and
   * has not answered a probe since, is SUSPECT and routed around; a worker whose thread is
   * gone is DOWN. A quiet worker that is not asleep on its doorbell gets a probe, so a hung
   * worker comes to owe an answer.
   */
  private checkHealth(): void {
    const now = Date.now();
    for (let slot = 0; slot < this.workerCount; slot++) {
      if (!this.alive[slot]) {
        this.publishHealth(slot, Health.DOWN);
        continue;
      }
      const owed = (this.outstanding[slot] as number) > 0;
      const verdict = (this.liveness[slot] as Liveness).observe(now, this.control.get(slot, HEARTBEAT), owed);
      // A worker asleep on its doorbell is idle, not hung: it is probed only once quiet for
      // longer than it ever sleeps, which is also how a cut-off idle worker is found.
      const liveness = this.liveness[slot] as Liveness;
      const asleep = this.endpoint.isAsleep(slot);
      if (verdict === 'quiet' && (!asleep || liveness.quietForMs(now) >= PROBE_ASLEEP_WORKER_AFTER_MS)) {
        this.nudge(slot);
      }
      const stalled = verdict === 'suspect';
      if (this.control.get(slot, TIMED_OUT_AT) !== 0 && !stalled) this.probe(slot);
      if (stalled) this.publishHealth(slot, Health.SUSPECT, 'owes answers and its heartbeat stalled');
      else if (this.probeFailed[slot])
        this.publishHealth(slot, Health.SUSPECT, 'a request timed out and a probe went unanswered');
      else this.publishHealth(slot, Health.UP);
    }
    this.allUp = this.health.every((state) => state === Health.UP);
  }

  /** A liveness probe: its answer does not matter, only that the worker owes one until it reads it. */
  private nudge(slot: number): void {
    if (this.nudging[slot]) return;
    this.nudging[slot] = true;
    (this.liveness[slot] as Liveness).probed(Date.now());
    const id = this.nextId();
    const done = () => {
      this.nudging[slot] = false;
    };
    this.send(slot, id, this.writer.begin({ type: MessageType.STATS, requestId: id }).finish()).then(
      done,
      done,
    );
  }

  /** Removes a request from `pending` and from its worker's count of owed answers. */
  private take(id: number): Pending | undefined {
    const request = this.pending.get(id);
    if (request === undefined) return undefined;
    this.pending.delete(id);
    this.outstanding[request.slot] = (this.outstanding[request.slot] as number) - 1;
    return request;
  }

  /**
   * A request timed out on this worker somewhere: ask it for its stats. An answer clears the
   * report; no answer makes it SUSPECT. One coordinator's timeout alone does not: a cut-off
   * worker times out on every healthy peer, and must not get them all routed around.
   */
  private probe(slot: number): void {
    if (this.probing[slot]) return;
    this.probing[slot] = true;
    const id = this.nextId();
    this.send(slot, id, this.writer.begin({ type: MessageType.STATS, requestId: id }).finish()).then(
      () => {
        this.probing[slot] = false;
        this.probeFailed[slot] = false;
        this.control.set(slot, TIMED_OUT_AT, 0);
      },
      () => {
        this.probing[slot] = false;
        this.probeFailed[slot] = true;
      },
    );
  }

  private publishHealth(slot: number, state: HealthState, reason = ''): void {
    const previous = this.health[slot];
    if (previous === state) return;
    this.health[slot] = state;
    if (!this.closing && state === Health.SUSPECT)
      this.events.emit({ kind: 'suspect', worker: slot, reason });
    if (!this.closing && state === Health.UP && previous === Health.SUSPECT) {
      this.events.emit({ kind: 'recovered', worker: slot });
    }
    this.control.set(slot, HEALTH, state);
    this.allUp = this.health.every((s) => s === Health.UP);
    if (state !== Health.UP) this.failOver(slot);
  }

  /**
   * Requests waiting on a coordinator that just died or became suspect go once more through
   * the next healthy coordinator (the health just published already routes around this one);
   * a second failure is the caller's. A late reply from the first coordinator is ignored, so
   * a write may be applied twice: as siblings, never as a loss.
   */
  private failOver(slot: number): void {
    const down = !this.alive[slot];
    for (const [id, request] of this.pending) {
      if (request.slot !== slot) continue;
      // Only client requests move on a mere suspicion; the rest wait for an answer or their timeout.
      if (request.failover === undefined && !down) continue;
      this.take(id);
      if (request.failover !== undefined) {
        request.failover().then(request.resolve, request.reject);
      } else {
        const state = this.alive[slot] ? 'stopped answering' : 'died';
        request.reject(
          new KvError('TIMEOUT', `worker ${slot} ${state}; the request may or may not have been applied`),
        );
      }
    }
  }

  /** Drains reply rings on every turn while replies flow; sleeps on the doorbell when idle. */
  private async pump(): Promise<void> {
    const handle = (_from: number, bytes: Uint8Array, offset: number, length: number) => {
      const frame = decodeFrame(bytes, offset, length);
      const request = this.take(frame.requestId);
      if (request === undefined) return; // timed out already
      if (frame.status === 0) request.resolve(frame.fields.map(copyField));
      else request.reject(new KvError(statusToErrorCode(frame.status), fieldText(frame.fields[0])));
    };
    let idleTurns = 0;
    while (this.pumping) {
      const seq = this.endpoint.doorbellSeq();
      const frames = this.endpoint.drain(handle, DRAIN_FRAMES_PER_TURN_MAX);
      this.endpoint.flush();
      // While requests are in flight, poll a few turns before sleeping: a sleeping main
      // thread costs every worker a futex wake per reply batch.
      if (frames > 0 || (this.pending.size > 0 && idleTurns < IDLE_SPINS_BEFORE_SLEEP)) {
        idleTurns = frames > 0 ? 0 : idleTurns + 1;
        await yieldTurn();
        continue;
      }
      idleTurns = 0;
      await this.endpoint.sleep(seq, this.endpoint.hasOutbox() ? 1 : IDLE_SLEEP_MS);
    }
  }

  private sweep(): void {
    this.deadlines.sweep(Date.now(), (id) => {
      const request = this.take(id);
      if (request === undefined) return;
      this.control.noteTimeout(request.slot);
      const state = this.alive[request.slot] ? 'did not answer' : 'is down';
      request.reject(new KvError('TIMEOUT', `worker ${request.slot} ${state} within ${this.timeoutMs} ms`));
    });
  }
}
