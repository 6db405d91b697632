// The coordinator role of a worker (the stateful half of Riak's *_fsm): it runs the put and
// get paths for requests the main thread routes to it. put: local read, new version, local
// write, REPLICATE to the rest of the preference list, reply after W commits. get: local read
// plus READ to the others, reply after R answers, then read repair of every stale replica.
// The quorum arithmetic lives in quorum-core.ts; timeouts in one deadline queue.

import {
  decodeContext,
  decodeRecord,
  encodeContext,
  encodeRecord,
  joinClocks,
  mergeVersions,
  newestValue,
  newVersion,
  type Policy,
  sameVersions,
  type VClock,
  type Version,
} from '../clock/index.js';
import { CLOCK_ENTRIES_MAX, SIBLINGS_MAX } from '../constants.js';
import { errorCodeToStatus, KvError } from '../errors.js';
import type { Links } from '../replica/links.js';
import { frameToPolicy, type Replica } from '../replica/replica.js';
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
import { addResult, allAnswered, newTally, type Tally, type Verdict } from './quorum-core.js';

interface Base {
  readonly mainRequestId: number;
  readonly tally: Tally;
  readonly partition: number;
  /** Targets that have not answered yet: an answer counts once, and at the deadline these are suspect. */
  readonly pendingSlots: Set<number>;
  replied: boolean;
}

interface PutState extends Base {
  readonly kind: 'put';
  readonly context: string;
  /**
   * Whether a replica that has answered held a live value before this write (DEL's reply):
   * a stand-in coordinator may hold nothing while the replicas hold the key.
   */
  existed: boolean;
}

interface GetState extends Base {
  readonly kind: 'get';
  readonly key: Uint8Array;
  readonly policy: Policy;
  /** Each answering replica's versions, by slot, for the reply and for read repair. */
  readonly answers: Map<number, Version[]>;
}

type State = PutState | GetState;

const EMPTY = new Uint8Array(0);
const EXISTED = Uint8Array.of(1);
const NOT_EXISTED = Uint8Array.of(0);
const NEWEST_LIVE = Uint8Array.of(0);
const NEWEST_DELETED = Uint8Array.of(1);

export class Coordinator {
  private readonly links: Links;
  private readonly replica: Replica;
  private readonly timeoutMs: number;
  private readonly states = new Map<number, State>();
  private readonly deadlines = new DeadlineQueue();
  private readonly localWrites = new Set<Promise<void>>();
  private nextId = 1;

  constructor(links: Links, replica: Replica, timeoutMs: number) {
    this.links = links;
    this.replica = replica;
    this.timeoutMs = timeoutMs;
  }

  put(frame: Frame): void {
    const stats = this.replica.stats;
    stats.coordinatedPuts++;
    const key = copyField(frame.fields[0]);
    const targets = decodeTargets(frame.fields[1]);
    if (targets.length < frame.quorum) return this.replyTooFewTargets(frame, targets.length, 'write');
    const policy = frameToPolicy(frame.flags);
    const value = (frame.flags & FrameFlag.TOMBSTONE) !== 0 ? null : copyField(frame.fields[3]);
    let context: VClock;
    try {
      context = decodeContext(fieldText(frame.fields[2]));
    } catch (error) {
      return this.replyError(frame.requestId, error);
    }
    const local = this.replica.localVersions(key);
    const existed = newestValue(local) !== undefined;
    const workerId = this.links.store.workerId;
    const made = newVersion(
      local,
      context,
      workerId,
      Date.now(),
      value,
      policy,
      CLOCK_ENTRIES_MAX,
      (frame.flags & FrameFlag.REPLACE) !== 0,
    );
    const { versions, truncated } = made;
    stats.clockTruncations += truncated;
    const record = encodeRecord(versions);
    const problem = this.checkRecord(versions.length, key.length, record.length);
    if (problem !== null) return this.replyError(frame.requestId, problem);
    const id = this.track({
      kind: 'put',
      mainRequestId: frame.requestId,
      tally: newTally(frame.quorum, targets.length),
      partition: frame.partition,
      replied: false,
      pendingSlots: new Set(targets.map((target) => target.slot)),
      context: encodeContext(made.context),
      existed,
    });
    const self = targets.find((target) => target.slot === this.links.slot);
    const write = this.writeLocal(key, record, self?.hintOwner ?? NO_HINT);
    this.localWrites.add(write);
    write.then(
      () => this.onAnswer(id, this.links.slot, true),
      () => this.onAnswer(id, this.links.slot, false),
    );
    for (const { slot, hintOwner } of targets) {
      if (slot === this.links.slot) continue;
      const { writer } = this.links;
      writer.begin({
        type: MessageType.REPLICATE,
        requestId: id,
        partition: frame.partition,
        flags: frame.flags & FrameFlag.LWW,
      });
      writer.field(key).field(record);
      if (hintOwner !== NO_HINT) writer.field(Uint8Array.of(hintOwner));
      this.sendOrFail(slot, writer.finish(), id);
    }
  }

  /** The coordinator's own write, plus a durable hint when it stands in for a down worker. */
  private writeLocal(key: Uint8Array, record: Uint8Array, hintOwner: number): Promise<void> {
    const store = this.links.store;
    if (hintOwner !== NO_HINT) this.replica.stats.hintsStored++;
    const write =
      hintOwner === NO_HINT
        ? store.write(key, record)
        : Promise.all([store.write(key, record), store.addHint(hintOwner, key)]).then(() => {});

    this.localWrites.add(write);
    write.finally(() => this.localWrites.delete(write)).catch(() => {});
    return write;
  }

  private replyTooFewTargets(frame: Frame, available: number, what: 'read' | 'write'): void {
    const message = `${what} quorum not met: ${available} replicas reachable; ${frame.quorum} needed`;
    this.replyError(frame.requestId, new KvError('QUORUM', message));
  }

  get(frame: Frame): void {
    this.replica.stats.coordinatedGets++;
    const key = copyField(frame.fields[0]);
    const targets = decodeTargets(frame.fields[1]);
    if (targets.length < frame.quorum) return this.replyTooFewTargets(frame, targets.length, 'read');
    const state: GetState = {
      kind: 'get',
      mainRequestId: frame.requestId,
      tally: newTally(frame.quorum, targets.length),
      pendingSlots: new Set(targets.map((target) => target.slot)),
      partition: frame.partition,
      replied: false,
      key,
      policy: frameToPolicy(frame.flags),
      answers: new Map(),
    };
    const id = this.track(state);
    for (const { slot } of targets) {
      if (slot === this.links.slot) continue;
      const { writer } = this.links;
      writer.begin({ type: MessageType.READ, requestId: id, partition: frame.partition }).field(key);
      this.sendOrFail(slot, writer.finish(), id);
    }
    this.onReadAnswer(id, this.links.slot, this.replica.localVersions(key));
  }

  onReplicateAck(from: number, frame: Frame): void {
    const state = this.states.get(frame.requestId);
    if (frame.status === 0 && state?.kind === 'put' && frame.fields[0]?.[0] === 1) state.existed = true;
    this.onAnswer(frame.requestId, from, frame.status === 0);
  }

  onReadReply(from: number, frame: Frame): void {
    if (frame.status !== 0) return this.onReadAnswer(frame.requestId, from, null);
    const record = frame.fields[0] ?? EMPTY;
    this.onReadAnswer(frame.requestId, from, record.length === 0 ? [] : decodeRecord(record));
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
      if (state.kind === 'get') this.readRepair(state);
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

  private onAnswer(id: number, from: number, ok: boolean): void {
    const state = this.states.get(id);
    if (state === undefined || state.kind !== 'put' || !state.pendingSlots.delete(from)) return;
    const verdict = addResult(state.tally, ok);
    if (!state.replied) this.settlePut(state, verdict);
    if (allAnswered(state.tally)) this.states.delete(id);
  }

  private settlePut(state: PutState, verdict: Verdict): void {
    if (verdict === 'waiting') return;
    state.replied = true;
    if (verdict === 'unreachable') return this.replyQuorumFailure(state, 'write');
    const { writer, endpoint, mainEndpoint } = this.links;
    writer.begin({ type: MessageType.REPLY, requestId: state.mainRequestId }).stringField(state.context);
    writer.field(state.existed ? EXISTED : NOT_EXISTED);
    endpoint.send(mainEndpoint, writer.finish());
    endpoint.flushSoon();
  }

  private onReadAnswer(id: number, from: number, versions: Version[] | null): void {
    const state = this.states.get(id);
    if (state === undefined || state.kind !== 'get' || !state.pendingSlots.delete(from)) return;
    if (versions !== null) state.answers.set(from, versions);
    const verdict = addResult(state.tally, versions !== null);
    if (!state.replied && verdict !== 'waiting') {
      state.replied = true;
      if (verdict === 'unreachable') this.replyQuorumFailure(state, 'read');
      else this.replyValues(state.mainRequestId, this.mergedAnswers(state));
    }
    if (allAnswered(state.tally)) {
      this.states.delete(id);
      this.readRepair(state);
    }
  }

  private mergedAnswers(state: GetState): Version[] {
    let merged: Version[] = [];
    for (const versions of state.answers.values()) merged = mergeVersions(merged, versions, state.policy);
    return merged;
  }

  /** Sends the reconciled record to every replica that answered with something older or nothing. */
  private readRepair(state: GetState): void {
    const merged = this.mergedAnswers(state);
    if (merged.length === 0) return;
    let record: Uint8Array | null = null;
    for (const [slot, versions] of state.answers) {
      if (sameVersions(versions, merged)) continue;
      this.replica.stats.readRepairs++;
      if (slot === this.links.slot) {
        this.replica.mergeAndWrite(state.key, merged, state.policy).catch(() => {});
        continue;
      }
      record ??= encodeRecord(merged);
      const { writer, endpoint } = this.links;
      const flags = state.policy === 'lww' ? FrameFlag.LWW : 0;
      writer.begin({ type: MessageType.REPAIR, requestId: 0, partition: state.partition, flags });
      try {
        endpoint.send(slot, writer.field(state.key).field(record).finish());
      } catch {
        // A full ring only delays repair: the next read or anti-entropy finds the difference again.
      }
    }
    this.links.endpoint.flushSoon();
  }

  private sendOrFail(slot: number, frame: Uint8Array, id: number): void {
    try {
      this.links.endpoint.send(slot, frame);
    } catch {
      const state = this.states.get(id);
      if (state?.kind === 'put') this.onAnswer(id, slot, false);
      else if (state?.kind === 'get') this.onReadAnswer(id, slot, null);
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

  /**
   * A get's reply: the joined context, whether the newest version is a tombstone (then plain
   * GET answers nil, although older concurrent values remain siblings), then every live value
   * oldest first. The worker does this work so the main thread, which bounds reads, only
   * copies bytes out.
   */
  private replyValues(requestId: number, versions: readonly Version[]): void {
    const { writer, endpoint, mainEndpoint } = this.links;
    writer.begin({ type: MessageType.REPLY, requestId }).stringField(encodeContext(joinClocks(versions)));
    writer.field(versions.length > 0 && newestValue(versions) === undefined ? NEWEST_DELETED : NEWEST_LIVE);
    for (const version of versions) if (version.value !== null) writer.field(version.value);
    endpoint.send(mainEndpoint, writer.finish());
    endpoint.flushSoon();
  }

  private replyQuorumFailure(state: State, what: 'read' | 'write'): void {
    const { ok, needed, total } = state.tally;
    const message = `${what} quorum not met: ${ok} of ${total} replicas succeeded; ${needed} needed`;
    this.replyError(state.mainRequestId, new KvError('QUORUM', message));
  }

  private replyError(requestId: number, error: unknown): void {
    this.replica.stats.failedRequests++;
    const failure = error instanceof KvError ? error : new KvError('INTERNAL', String(error));
    const { writer, endpoint, mainEndpoint } = this.links;
    writer.begin({ type: MessageType.REPLY, requestId, status: errorCodeToStatus(failure.code) });
    endpoint.send(mainEndpoint, writer.stringField(failure.message).finish());
    endpoint.flushSoon();
  }
}
