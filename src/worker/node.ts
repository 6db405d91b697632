// A worker's serve loop and frame dispatch. Each turn drains every inbound ring (bounded
// per ring), hands frames to the coordinator or replica role, flushes outgoing frames with
// one doorbell per destination, and yields to the event loop so lmdb-js commits complete.
// After a few idle turns it sleeps on its doorbell until a producer rings it.
import { setTimeout as delay, setImmediate as yieldTurn } from 'node:timers/promises';
import {
  DRAIN_FRAMES_PER_TURN_MAX,
  HEARTBEAT_FRAMES,
  IDLE_SPINS_BEFORE_SLEEP,
  WORKER_IDLE_SLEEP_MS,
  WORKER_IDLE_SLEEP_MS_MAX,
} from '../constants.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { errorCodeToStatus, KvError } from '../errors.js';
import { AntiEntropyDriver } from '../replica/anti-entropy-driver.js';
import { Handoff } from '../replica/handoff.js';
import { TombstonePurge } from '../replica/purge.js';
import { Replica } from '../replica/replica.js';
import type { Store } from '../storage/store.js';
import { Control, ISOLATED, KILL, PAUSED, STORAGE_FAILED } from '../transport/control.js';
import { Endpoint } from '../transport/endpoint.js';
import { decodeFrame, type Frame, FrameWriter, MessageType } from '../transport/frames.js';
import { TreeGenerations } from '../transport/tree-generations.js';
import type { WorkerConfig, WorkerStatsReply } from './protocol.js';

/** Sleep while outboxes wait for ring space: the consumer does not ring us when it frees space. */
const OUTBOX_RETRY_MS = 1;
const PAUSED_POLL_MS = 10;

export class Node {
  private readonly endpoint: Endpoint;
  private readonly writer = new FrameWriter();
  private readonly coordinator: Coordinator;
  private readonly replica: Replica;
  private readonly mainEndpoint: number;
  private readonly handoff: Handoff;
  private readonly antiEntropy: AntiEntropyDriver;
  private readonly purge: TombstonePurge;
  private readonly control: Control;
  private readonly store: Store;
  private readonly slot: number;
  private stopRequestId: number | null = null;

  constructor(config: WorkerConfig, store: Store) {
    this.endpoint = new Endpoint(config.layout, config.slot);
    this.mainEndpoint = config.workerCount;
    this.slot = config.slot;
    this.control = new Control(config.control);
    this.store = store;
    // A respawned worker starts on a store that has not failed yet; the flag may be its predecessor's.
    this.control.set(this.slot, STORAGE_FAILED, store.failed ? 1 : 0);
    store.onFailedChange = (failed) => this.control.set(this.slot, STORAGE_FAILED, failed ? 1 : 0);
    const links = {
      endpoint: this.endpoint,
      writer: this.writer,
      store,
      slot: config.slot,
      mainEndpoint: this.mainEndpoint,
      control: this.control,
    };
    this.replica = new Replica(links);
    this.coordinator = new Coordinator(links, this.replica, config.requestTimeoutMs);
    this.handoff = new Handoff(links, this.replica.stats, config.workerCount);
    const generations = new TreeGenerations(config.treeGenerations, config.ring.partitionCount);
    this.antiEntropy = new AntiEntropyDriver(links, this.replica, config.ring, config.n, generations);
    this.purge = new TombstonePurge(links, this.replica.stats, config.ring, config.tombstoneGraceMs);
    const trees = store.observer;
    store.observer = (key, before, after) => {
      trees?.(key, before, after);
      this.purge.noteWrite(key, after);
    };
  }

  async serve(): Promise<void> {
    let idleTurns = 0;
    let handled = 0;
    const handle = (from: number, bytes: Uint8Array, offset: number, length: number) => {
      // A turn under load can be long: beating within it tells the failure detector this
      // worker is working, not hung. (Frames dropped while isolated never get here.)
      if (++handled % HEARTBEAT_FRAMES === 0) this.control.beat(this.slot);
      this.dispatch(from, decodeFrame(bytes, offset, length));
    };
    while (this.stopRequestId === null) {
      if (this.control.get(this.slot, PAUSED) !== 0) {
        await delay(PAUSED_POLL_MS); // a hung worker: no draining, no heartbeat
        continue;
      }
      this.checkKill();
      this.endpoint.isolated = this.control.get(this.slot, ISOLATED) !== 0;
      // A cut-off worker's heartbeats do not reach the main thread either.
      if (!this.endpoint.isolated) this.control.beat(this.slot);
      const now = Date.now();
      if (!this.endpoint.isolated) {
        this.handoff.tick(now);
        this.antiEntropy.tick(now);
        this.purge.tick(now);
      }
      const seq = this.endpoint.doorbellSeq();
      const frames = this.endpoint.drain(handle, DRAIN_FRAMES_PER_TURN_MAX);
      this.coordinator.sweep(now);
      this.endpoint.flush();
      if (frames > 0 || idleTurns < IDLE_SPINS_BEFORE_SLEEP) {
        idleTurns = frames > 0 ? 0 : idleTurns + 1;
        await yieldTurn();
        continue;
      }
      // Woken by a doorbell, the turn that follows finds frames and spinning resumes; woken by
      // the timeout, the turn finds none and sleeps again at once: an idle worker costs one
      // turn per WORKER_IDLE_SLEEP_MS.
      await this.endpoint.sleep(seq, this.sleepMs());
    }
    await this.coordinator.drainWrites();
  }

  /** How long to sleep when no frame comes: long only when nothing is in progress. */
  private sleepMs(): number {
    if (this.endpoint.hasOutbox()) return OUTBOX_RETRY_MS;
    const busy = this.coordinator.pendingCount() > 0 || this.store.hintCount() > 0 || this.antiEntropy.busy;
    return busy ? WORKER_IDLE_SLEEP_MS : WORKER_IDLE_SLEEP_MS_MAX;
  }

  /** Tells the main thread the stop finished: storage is closed, the thread exits next. */
  acknowledgeStop(): void {
    if (this.stopRequestId === null) return;
    this.endpoint.send(
      this.mainEndpoint,
      this.writer.begin({ type: MessageType.REPLY, requestId: this.stopRequestId }).finish(),
    );
    this.endpoint.flush();
  }

  /** Fault injection's crash: an uncaught error ends the thread as a real bug would. */
  private checkKill(): void {
    if (this.control.get(this.slot, KILL) === 0) return;
    this.control.set(this.slot, KILL, 0);
    setImmediate(() => {
      throw new Error(`worker ${this.slot} killed by fault injection`);
    });
  }

  private replyStats(to: number, requestId: number): void {
    const stats: WorkerStatsReply = {
      counters: {
        ...this.replica.stats,
        pendingRequests: this.coordinator.pendingCount(),
        hintsPending: this.store.hintCount(),
        records: this.store.recordCount(),
        tombstones: this.store.tombstoneCount(),
        asyncSyncs: this.store.syncsDone,
        ...prefixed('antiEntropy', this.antiEntropy.engine.stats),
        antiEntropyExchangesSkipped: this.antiEntropy.exchangesSkipped,
        ...prefixed('storage', this.store.storageCounters),
      },
      storageError: this.store.failureReason,
    };
    this.endpoint.send(
      to,
      this.writer.begin({ type: MessageType.REPLY, requestId }).stringField(JSON.stringify(stats)).finish(),
    );
  }

  private reply(to: number, requestId: number): void {
    this.endpoint.send(to, this.writer.begin({ type: MessageType.REPLY, requestId }).finish());
    this.endpoint.flushSoon();
  }

  private replyError(to: number, requestId: number, error: unknown): void {
    const failure = error instanceof KvError ? error : new KvError('INTERNAL', String(error));
    this.writer.begin({ type: MessageType.REPLY, requestId, status: errorCodeToStatus(failure.code) });
    this.endpoint.send(to, this.writer.stringField(failure.message).finish());
    this.endpoint.flushSoon();
  }

  private dispatch(from: number, frame: Frame): void {
    switch (frame.type) {
      case MessageType.PUT:
        return this.coordinator.put(frame);
      case MessageType.EXPLAIN:
        return this.replica.explain(from, frame);
      case MessageType.STATS:
        return this.replyStats(from, frame.requestId);
      case MessageType.DROP_HINTS:
        this.store.dropHints().then(
          () => this.reply(from, frame.requestId),
          (error: unknown) => this.replyError(from, frame.requestId, error),
        );
        return;
      case MessageType.HANDOFF:
        return this.replica.acceptHandoff(from, frame);
      case MessageType.HANDOFF_ACK:
        return this.handoff.onAck(from, frame);
      case MessageType.ANTI_ENTROPY:
        return this.antiEntropy.onMessage(from, frame.fields[0] ?? new Uint8Array(0));
      case MessageType.PURGE_CHECK:
        return this.purge.onCheck(from, frame);
      case MessageType.PURGE_CHECK_REPLY:
        return this.purge.onCheckReply(from, frame);
      case MessageType.PURGE:
        return this.purge.onPurge(frame);
      case MessageType.STOP:
        this.stopRequestId = frame.requestId;
        return;
      case MessageType.REPLICATE:
        return this.replica.replicate(from, frame, true);
      case MessageType.REPAIR:
        return this.replica.replicate(from, frame, false);
      case MessageType.REPLICATE_ACK:
        return this.coordinator.onReplicateAck(from, frame);
      case MessageType.REPLY:
        throw new Error(`worker received a REPLY frame from ${from}`);
      default:
        assertNever(frame.type);
    }
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected message type ${String(value)}`);
}

function prefixed(prefix: string, counters: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(counters)) {
    if (typeof value === 'number') out[`${prefix}${name[0]?.toUpperCase()}${name.slice(1)}`] = value;
  }
  return out;
}
