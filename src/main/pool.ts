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
  IDLE_SPINS_BEFORE_SLEEP,
  MAIN_TIMEOUT_GRACE_MS,
  PENDING_REQUESTS_MAX,
  WORKER_START_TIMEOUT_MS,
} from '../constants.js';
import { DeadlineQueue } from '../coordinator/deadlines.js';
import { KvError, statusToErrorCode } from '../errors.js';
import { createMesh, Endpoint, type MeshLayout } from '../transport/endpoint.js';
import { copyField, decodeFrame, FrameWriter, fieldText, MessageType } from '../transport/frames.js';
import type { WorkerConfig, WorkerEvent } from '../worker/protocol.js';

/** A reply's fields, copied out of shared memory. */
export type ReplyFields = Buffer[];

interface Pending {
  resolve: (fields: ReplyFields) => void;
  reject: (error: KvError) => void;
  slot: number;
}

const SWEEP_INTERVAL_MS = 50;
const IDLE_SLEEP_MS = 1000;

export class WorkerPool {
  readonly workerCount: number;
  readonly workerIds: number[] = [];
  readonly alive: boolean[] = [];
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

  private constructor(config: Config, workerCount: number) {
    this.workerCount = workerCount;
    this.timeoutMs = config.requestTimeoutMs + MAIN_TIMEOUT_GRACE_MS;
    this.layout = createMesh(workerCount + 1, config.ringBytes);
    this.endpoint = new Endpoint(this.layout, workerCount);
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.pumpDone = this.pump();
  }

  static async start(config: Config, workerCount: number): Promise<WorkerPool> {
    const pool = new WorkerPool(config, workerCount);
    try {
      await Promise.all(Array.from({ length: workerCount }, (_, slot) => pool.startWorker(config, slot)));
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
  send(slot: number, requestId: number, frame: Uint8Array): Promise<ReplyFields> {
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
      this.pending.set(requestId, { resolve, reject, slot });
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
  }

  private startWorker(config: Config, slot: number): Promise<void> {
    const workerConfig: WorkerConfig = {
      slot,
      workerCount: this.workerCount,
      path: join(config.dir, `worker-${slot}`),
      durability: config.durability,
      mapBytes: config.mapBytes,
      requestTimeoutMs: config.requestTimeoutMs,
      layout: this.layout,
    };
    const thread = new Worker(new URL('../worker/entry.js', import.meta.url), { workerData: workerConfig });
    this.threads[slot] = thread;
    this.alive[slot] = false;
    this.exited[slot] = new Promise((resolve) => thread.once('exit', () => resolve()));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new KvError('INTERNAL', `worker ${slot} did not start within ${WORKER_START_TIMEOUT_MS} ms`),
          ),
        WORKER_START_TIMEOUT_MS,
      );
      thread.on('message', (event: WorkerEvent) => {
        if (event.type === 'ready') {
          this.workerIds[slot] = event.workerId;
          this.alive[slot] = true;
          clearTimeout(timer);
          resolve();
        } else {
          process.emitWarning(`ringkv worker ${slot}: ${event.message}`);
        }
      });
      thread.on('error', (error) => {
        clearTimeout(timer);
        this.alive[slot] = false;
        process.emitWarning(`ringkv worker ${slot} died: ${error.stack ?? error.message}`);
        reject(new KvError('INTERNAL', `worker ${slot} failed: ${error.message}`));
      });
      thread.on('exit', () => {
        this.alive[slot] = false;
        this.endpoint.discardOutbox(slot);
      });
    });
  }

  /** Drains reply rings on every turn while replies flow; sleeps on the doorbell when idle. */
  private async pump(): Promise<void> {
    const handle = (_from: number, bytes: Uint8Array, offset: number, length: number) => {
      const frame = decodeFrame(bytes, offset, length);
      const request = this.pending.get(frame.requestId);
      if (request === undefined) return; // timed out already
      this.pending.delete(frame.requestId);
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
      const request = this.pending.get(id);
      if (request === undefined) return;
      this.pending.delete(id);
      const state = this.alive[request.slot] ? 'did not answer' : 'is down';
      request.reject(new KvError('TIMEOUT', `worker ${request.slot} ${state} within ${this.timeoutMs} ms`));
    });
  }
}
