// A worker's serve loop and frame dispatch. Each turn drains every inbound ring (bounded
// per ring), hands frames to the coordinator or replica role, flushes outgoing frames with
// one doorbell per destination, and yields to the event loop so lmdb-js commits complete.
// After a few idle turns it sleeps on its doorbell until a producer rings it.
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { DRAIN_FRAMES_PER_TURN_MAX, IDLE_SPINS_BEFORE_SLEEP } from '../constants.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { Replica } from '../replica/replica.js';
import type { Store } from '../storage/store.js';
import { Endpoint } from '../transport/endpoint.js';
import { decodeFrame, type Frame, FrameWriter, MessageType } from '../transport/frames.js';
import type { WorkerConfig } from './protocol.js';

/** How long a sleeping worker waits before it looks at its rings and deadlines anyway. */
const SLEEP_TIMEOUT_MS = 50;
/** Sleep while outboxes wait for ring space: the consumer does not ring us when it frees space. */
const OUTBOX_RETRY_MS = 1;

export class Node {
  private readonly endpoint: Endpoint;
  private readonly writer = new FrameWriter();
  private readonly coordinator: Coordinator;
  private readonly replica: Replica;
  private readonly mainEndpoint: number;
  private stopRequestId: number | null = null;

  constructor(config: WorkerConfig, store: Store) {
    this.endpoint = new Endpoint(config.layout, config.slot);
    this.mainEndpoint = config.workerCount;
    const links = {
      endpoint: this.endpoint,
      writer: this.writer,
      store,
      slot: config.slot,
      mainEndpoint: this.mainEndpoint,
    };
    this.replica = new Replica(links);
    this.coordinator = new Coordinator(links, this.replica, config.requestTimeoutMs);
  }

  async serve(): Promise<void> {
    let idleTurns = 0;
    const handle = (from: number, bytes: Uint8Array, offset: number, length: number) =>
      this.dispatch(from, decodeFrame(bytes, offset, length));
    while (this.stopRequestId === null) {
      const seq = this.endpoint.doorbellSeq();
      const frames = this.endpoint.drain(handle, DRAIN_FRAMES_PER_TURN_MAX);
      this.coordinator.sweep(Date.now());
      this.endpoint.flush();
      if (frames > 0 || idleTurns < IDLE_SPINS_BEFORE_SLEEP) {
        idleTurns = frames > 0 ? 0 : idleTurns + 1;
        await yieldTurn();
        continue;
      }
      await this.endpoint.sleep(seq, this.endpoint.hasOutbox() ? OUTBOX_RETRY_MS : SLEEP_TIMEOUT_MS);
      idleTurns = 0;
    }
    await this.coordinator.drainWrites();
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

  private replyStats(to: number, requestId: number): void {
    const stats = { ...this.replica.stats, pendingRequests: this.coordinator.pendingCount() };
    this.endpoint.send(
      to,
      this.writer.begin({ type: MessageType.REPLY, requestId }).stringField(JSON.stringify(stats)).finish(),
    );
  }

  private dispatch(from: number, frame: Frame): void {
    switch (frame.type) {
      case MessageType.GET:
        return this.coordinator.get(frame);
      case MessageType.PUT:
        return this.coordinator.put(frame);
      case MessageType.EXPLAIN:
        return this.replica.explain(from, frame);
      case MessageType.STATS:
        return this.replyStats(from, frame.requestId);
      case MessageType.STOP:
        this.stopRequestId = frame.requestId;
        return;
      case MessageType.REPLICATE:
        return this.replica.replicate(from, frame, true);
      case MessageType.REPAIR:
        return this.replica.replicate(from, frame, false);
      case MessageType.READ:
        return this.replica.read(from, frame);
      case MessageType.REPLICATE_ACK:
        return this.coordinator.onReplicateAck(from, frame);
      case MessageType.READ_REPLY:
        return this.coordinator.onReadReply(from, frame);
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
