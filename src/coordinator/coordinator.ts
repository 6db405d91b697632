// The coordinator role of a worker (the stateful half of Riak's put_fsm): it runs the put
// path for requests the main thread routes to it: local read, new version, local write,
// REPLICATE to the rest of the preference list, reply after W commits. Gets are served by the
// main thread from the replicas' storage (src/main/replica-reader.ts). The quorum arithmetic
// lives in quorum-core.ts; timeouts in one deadline queue.

import { randomInt } from 'node:crypto';
import {
  type CounterActor,
  decodeContext,
  encodeContextBytes,
  encodeRecord,
  incrementCounter,
  joinClocks,
  newestValue,
  newVersion,
  type VClock,
} from '../clock/index.js';
import { CLOCK_ENTRIES_MAX, SIBLINGS_MAX } from '../constants.js';
import { errorCodeToStatus, KvError, statusToErrorCode } from '../errors.js';
import type { Links } from '../replica/links.js';
import { frameToPolicy, type Replica } from '../replica/replica.js';
import type { Previous } from '../storage/store.js';
import {
  copyField,
  decodeTargets,
  type Frame,
  FrameFlag,
  fieldText,
  frameBytes,
  MessageType,
  NO_HINT,
} from '../transport/frames.js';
import { DeadlineQueue } from './deadlines.js';
import { addResult, allAnswered, failureCode, newTally, type Tally, type Verdict } from './quorum-core.js';

interface Base {
  readonly mainRequestId: number;
  readonly tally: Tally;
  readonly partition: number;
  /** Targets that have not answered yet: an answer counts once, and at the deadline these are suspect. */
  readonly pendingSlots: Set<number>;
  replied: boolean;
}

interface State extends Base {
  /** The written version's clock, as context bytes (the main thread makes the text if asked). */
  readonly context: Uint8Array;
  /**
   * Whether a replica that has answered held a live value before this write (DEL's reply):
   * a stand-in coordinator may hold nothing while the replicas hold the key.
   */
  existed: boolean;
  /** Replicas whose write failed with STORAGE (full disk), and the first one's message. */
  storageFailures: number;
  storageMessage: string;
  /** INCRBY's reply: the counter's new value in decimal; '' for other puts. */
  counterTotal: string;
}

/** Largest base record sent with a REPLICATE (see FrameFlag.BASED). */
const BASE_BYTES_MAX = 4096;
const EMPTY = new Uint8Array(0);
const EXISTED = Uint8Array.of(1);
const NOT_EXISTED = Uint8Array.of(0);

export class Coordinator {
  private readonly links: Links;
  private readonly replica: Replica;
  private readonly timeoutMs: number;
  private readonly states = new Map<number, State>();
  private readonly deadlines = new DeadlineQueue();
  private readonly localWrites = new Set<Promise<void>>();
  private nextId = 1;
  /**
   * The counter actor of this incarnation (clock/counter.ts): a worker killed before its last
   * counter write committed must not mint that entry again, so each start is a new actor.
   */
  private readonly counterActor: CounterActor;

  constructor(links: Links, replica: Replica, timeoutMs: number) {
    this.links = links;
    this.replica = replica;
    this.timeoutMs = timeoutMs;
    this.counterActor = { worker: links.store.workerId, incarnation: randomInt(0, 0xffff_ffff) };
  }

  put(frame: Frame): void {
    const stats = this.replica.stats;
    stats.coordinatedPuts++;
    const key = copyField(frame.fields[0]);
    const targets = decodeTargets(frame.fields[1]);
    if (targets.length < frame.quorum) return this.replyTooFewTargets(frame, targets.length);
    const policy = frameToPolicy(frame.flags);
    let value: Uint8Array | null =
      (frame.flags & FrameFlag.TOMBSTONE) !== 0 ? null : copyField(frame.fields[3]);
    let context: VClock;
    try {
      context = decodeContext(fieldText(frame.fields[2]));
    } catch (error) {
      return this.replyError(frame.requestId, error);
    }
    const read = this.replica.localVersions(key);
    // A record small enough to travel as REPLICATE's base is copied: the bytes may be LMDB's
    // shared read buffer. A larger one is only passed to the local write, in this same step.
    const small = read.record !== undefined && read.record.length <= BASE_BYTES_MAX;
    const previous = { record: small ? Buffer.from(read.record) : read.record, versions: read.versions };
    const local = previous.versions;
    let counterTotal = '';
    if ((frame.flags & FrameFlag.COUNTER) !== 0 && value !== null) {
      // The counter step: merge the local counter siblings, add the delta to this actor's entry,
      // and supersede exactly the local versions merged (concurrent ones elsewhere stay siblings).
      const step = incrementCounter(local, Buffer.from(value).readBigInt64BE(0), this.counterActor);
      if (!step.ok) return this.replyError(frame.requestId, new KvError('BAD_REQUEST', step.message));
      value = step.value;
      context = joinClocks(local);
      counterTotal = step.total.toString();
    }
    const existed = newestValue(local) !== undefined;
    const workerId = this.links.store.workerId;
    const made = newVersion(
      local,
      context,
      workerId,
      optionalTime(frame.fields[5]) ?? Date.now(),
      value,
      policy,
      CLOCK_ENTRIES_MAX,
      (frame.flags & FrameFlag.REPLACE) !== 0,
      optionalTime(frame.fields[4]),
    );
    const { versions, truncated } = made;
    stats.clockTruncations += truncated;
    const record = encodeRecord(versions);
    const problem = this.checkRecord(versions.length, key.length, record.length);
    if (problem !== null) return this.replyError(frame.requestId, problem);
    const id = this.track({
      mainRequestId: frame.requestId,
      tally: newTally(frame.quorum, targets.length),
      partition: frame.partition,
      replied: false,
      pendingSlots: new Set(targets.map((target) => target.slot)),
      context: encodeContextBytes(made.context),
      existed,
      storageFailures: 0,
      storageMessage: '',
      counterTotal,
    });
    const self = targets.find((target) => target.slot === this.links.slot);
    const write = this.writeLocal(key, record, previous, self?.hintOwner ?? NO_HINT);
    this.localWrites.add(write);
    write.then(
      () => this.onAnswer(id, this.links.slot, null),
      (error: unknown) => this.onAnswer(id, this.links.slot, toKvError(error)),
    );
    // The base lets replicas that hold what this coordinator held skip the merge. Left out
    // when clocks were truncated (a truncated clock may not dominate what the merge would drop)
    // or when large (it rides in every REPLICATE frame).
    const base = truncated === 0 && (previous.record?.length ?? 0) <= BASE_BYTES_MAX ? previous.record : null;
    for (const { slot, hintOwner } of targets) {
      if (slot === this.links.slot) continue;
      const { writer } = this.links;
      writer.begin({
        type: MessageType.REPLICATE,
        requestId: id,
        partition: frame.partition,
        flags: (frame.flags & FrameFlag.LWW) | (base === null ? 0 : FrameFlag.BASED),
      });
      writer.field(key).field(record);
      if (base !== null) writer.field(base ?? EMPTY);
      if (hintOwner !== NO_HINT) writer.field(Uint8Array.of(hintOwner));
      this.sendOrFail(slot, writer.finish(), id);
    }
  }

  /** The coordinator's own write, plus a durable hint when it stands in for a down worker. */
  private writeLocal(
    key: Uint8Array,
    record: Uint8Array,
    previous: Previous,
    hintOwner: number,
  ): Promise<void> {
    const store = this.links.store;
    if (hintOwner !== NO_HINT) this.replica.stats.hintsStored++;
    const write =
      hintOwner === NO_HINT
        ? store.write(key, record, previous)
        : Promise.all([store.write(key, record, previous), store.addHint(hintOwner, key)]).then(() => {});

    this.localWrites.add(write);
    write.finally(() => this.localWrites.delete(write)).catch(() => {});
    return write;
  }

  private replyTooFewTargets(frame: Frame, available: number): void {
    const message = `write quorum not met: ${available} replicas reachable; ${frame.quorum} needed`;
    this.replyError(frame.requestId, new KvError('QUORUM', message));
  }

  onReplicateAck(from: number, frame: Frame): void {
    const state = this.states.get(frame.requestId);
    if (frame.status === 0 && state !== undefined && frame.fields[0]?.[0] === 1) state.existed = true;
    // A failed ack carries its error's message (status 0: whether the replica held a value).
    const failure =
      frame.status === 0 ? null : new KvError(statusToErrorCode(frame.status), fieldText(frame.fields[0]));
    this.onAnswer(frame.requestId, from, failure);
  }

  /** Fails every request whose deadline passed: the replicas that did not answer in time count as failed. */
  sweep(now: number): void {
    this.deadlines.sweep(now, (id) => {
      const state = this.states.get(id);
      if (state === undefined) return;
      this.states.delete(id);
      for (const slot of state.pendingSlots) this.links.control.noteTimeout(slot);
      if (!state.replied) {
        const { ok, needed, total } = state.tally;
        const message = `${ok} of ${total} replicas answered within ${this.timeoutMs} ms; ${needed} needed`;
        this.replyError(state.mainRequestId, new KvError('TIMEOUT', message));
      }
    });
  }

  pendingCount(): number {
    return this.states.size;
  }

  /** Waits for local writes in flight, so a stop commits everything it acknowledged. */
  async drainWrites(): Promise<void> {
    await Promise.allSettled([...this.localWrites]);
  }

  private track(state: State): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_fffe ? 1 : this.nextId + 1;
    this.states.set(id, state);
    this.deadlines.push(id, Date.now() + this.timeoutMs);
    return id;
  }

  /** A replica's answer to a put: null when its write committed, else why it failed. */
  private onAnswer(id: number, from: number, failure: KvError | null): void {
    const state = this.states.get(id);
    if (state === undefined || !state.pendingSlots.delete(from)) return;
    if (failure?.code === 'STORAGE' && state.storageFailures++ === 0) {
      state.storageMessage = `worker ${from}: ${failure.message}`;
    }
    const verdict = addResult(state.tally, failure === null);
    if (!state.replied) this.settlePut(state, verdict);
    if (allAnswered(state.tally)) this.states.delete(id);
  }

  private settlePut(state: State, verdict: Verdict): void {
    if (verdict === 'waiting') return;
    state.replied = true;
    if (verdict === 'unreachable') return this.replyQuorumFailure(state);
    const { writer, endpoint, mainEndpoint } = this.links;
    writer.begin({ type: MessageType.REPLY, requestId: state.mainRequestId }).field(state.context);
    writer.field(state.existed ? EXISTED : NOT_EXISTED);
    if (state.counterTotal !== '') writer.stringField(state.counterTotal);
    endpoint.send(mainEndpoint, writer.finish());
    endpoint.flushSoon();
  }

  private sendOrFail(slot: number, frame: Uint8Array, id: number): void {
    try {
      this.links.endpoint.send(slot, frame);
    } catch (error) {
      this.onAnswer(id, slot, toKvError(error));
    }
  }

  private checkRecord(siblings: number, keyBytes: number, recordBytes: number): KvError | null {
    if (siblings > SIBLINGS_MAX) {
      return new KvError('SIBLINGS', `the key would hold ${siblings} siblings; the limit is ${SIBLINGS_MAX}`);
    }
    const bytes = frameBytes([keyBytes, recordBytes]);
    const most = this.links.endpoint.frameBytesMax();
    if (bytes > most) {
      return new KvError(
        'TOOLARGE',
        `the record with its siblings is ${bytes} bytes; a frame holds at most ${most}`,
      );
    }
    return null;
  }

  private replyQuorumFailure(state: State): void {
    const { ok, needed, total } = state.tally;
    const message = `write quorum not met: ${ok} of ${total} replicas succeeded; ${needed} needed`;
    if (failureCode(state.tally, state.storageFailures) === 'STORAGE') {
      const detail = `${state.storageFailures} could not commit (first, ${state.storageMessage})`;
      return this.replyError(state.mainRequestId, new KvError('STORAGE', `${message}; ${detail}`));
    }
    this.replyError(state.mainRequestId, new KvError('QUORUM', message));
  }

  private replyError(requestId: number, error: unknown): void {
    this.replica.stats.failedRequests++;
    const failure = toKvError(error);
    const { writer, endpoint, mainEndpoint } = this.links;
    writer.begin({ type: MessageType.REPLY, requestId, status: errorCodeToStatus(failure.code) });
    endpoint.send(mainEndpoint, writer.stringField(failure.message).finish());
    endpoint.flushSoon();
  }
}

/** A PUT's optional time field (expiry, timestamp): an f64 of ms, or undefined when absent or empty. */
function optionalTime(field: Uint8Array | undefined): number | undefined {
  if (field === undefined || field.length === 0) return undefined;
  return new DataView(field.buffer, field.byteOffset, field.byteLength).getFloat64(0);
}

function toKvError(error: unknown): KvError {
  return error instanceof KvError ? error : new KvError('INTERNAL', String(error));
}
