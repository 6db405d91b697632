// Anti-entropy between two replicas of one partition (Dynamo §4.7): compare Merkle roots,
// descend level by level only into branches that differ, then for the differing leaves trade
// an 8-byte digest per key and ship only the records that differ, in both directions. It is
// a state machine over AntiEntropyHost (tree, range scan, merge, send), so the same code runs
// in unit tests with in-memory hosts and in the worker over its frames and LMDB.
//
// One exchange, A initiating with B (leaf depth 2, as with 1024 leaves and fanout 32):
//   A → B  START    shape and A's root                 B: equal → DONE, the end
//   B → A  NODES 1  B's children of the root           A: compares them
//   A → B  NODES 2  A's children of differing nodes    B: compares leaves, finds leaf set L
//   B → A  DIGESTS  per leaf of L, B's key digests     A: scans L, matches digests
//   A → B  WANT     digests of B it has no match for (so B must send those records)
//   A → B  RECORDS  A's records B has no match for, the last one flagged LAST
//   B → A  RECORDS  the records A wanted               both sides merge what they receive
//   B → A  DONE                                        each side ends when its merges settle
// Whoever compares the leaves sends DIGESTS, so with another depth the roles swap. Messages
// between two workers arrive in order or not at all; a per-exchange sequence number turns a
// gap into an abandoned exchange, and sweep() abandons exchanges whose peer went silent.
//
// Wire form (big-endian):
//   header  = u8 kind | u8 flags | u32 exchange id | u32 seq | u16 partition
//   START   = header | u32 leaf count | u16 fanout | root hash (16)
//   NODES   = header | u8 depth | u32 groups | (u32 parent index | child hash (16) per child)*
//   DIGESTS = header | u32 entries | (u32 leaf | u8 leaf flags | u32 n | digest (8) × n)*
//   WANT    = as DIGESTS
//   RECORDS = header | u32 entries | (u16 key bytes | key | u32 record bytes | record)*
//   DONE    = header
//   ABORT   = header | u8 reason
import assert from 'node:assert/strict';
import { ByteReader } from '../clock/record.js';
import { entryHash, type KeyedRecord, NODE_HASH_BYTES, type PartitionTree } from './merkle.js';

/** Bound on one message; a single record larger than this still travels, alone in its message. */
export const AE_MESSAGE_BYTES_MAX_DEFAULT = 256 * 1024;
/** Smallest bound accepted: a NODES group at the widest fanout (4 + 256 × 16 bytes) must fit. */
export const AE_MESSAGE_BYTES_MIN = 8 * 1024;
/** Records per RECORDS message, so one message never asks the receiver for too many merges at once. */
export const AE_KEYS_PER_MESSAGE_MAX_DEFAULT = 1024;
/** An exchange that hears nothing for this long is abandoned by sweep(). */
export const AE_EXCHANGE_TIMEOUT_MS_DEFAULT = 5_000;
/** Exchanges one worker takes part in at once, either role; more are refused. */
export const AE_EXCHANGES_MAX_DEFAULT = 32;
/** Bytes of MD5(key ‖ record) sent per key at a differing leaf: collisions need ~2^32 keys in one leaf. */
export const KEY_DIGEST_BYTES = 8;

const HEADER_BYTES = 12;
const FLAGS_OFFSET = 1;
const SEQ_OFFSET = 6;
const NODE_GROUP_HEADER_BYTES = 4;
const LEAF_ENTRY_HEADER_BYTES = 4 + 1 + 4;
const RECORD_ENTRY_HEADER_BYTES = 2 + 4;
const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffff_ffff;

enum Kind {
  START = 1,
  NODES = 2,
  DIGESTS = 3,
  WANT = 4,
  RECORDS = 5,
  DONE = 6,
  ABORT = 7,
}

enum Flag {
  /** The sender is the exchange's initiator (so the id is the sender's, not the receiver's). */
  FROM_INITIATOR = 1,
  /** The last message of the sender's current phase. */
  LAST = 2,
}

/** DIGESTS leaf flag: the leaf's digests go on in the sender's next message. */
const LEAF_CONTINUED = 1;

export type AbandonReason =
  | 'timeout'
  | 'busy'
  | 'conflict'
  | 'shape'
  | 'protocol'
  | 'unknown'
  | 'aborted'
  | 'not-replica';
/** ABORT carries the reason as its index here: append only. */
const ABORT_REASONS: readonly AbandonReason[] = [
  'aborted',
  'timeout',
  'busy',
  'conflict',
  'shape',
  'protocol',
  'unknown',
  'not-replica',
];

export interface AntiEntropyHost {
  /** This worker's slot. */
  readonly slot: number;
  /** The partition's tree, kept current by the store's write hook. */
  tree(partition: number): PartitionTree;
  /** The records of the partition whose keys fall in `leaves` (tree.leafOf), read synchronously. */
  recordsInLeaves(partition: number, leaves: ReadonlySet<number>): Iterable<KeyedRecord>;
  /** Reconciles a peer's record into local storage; resolves true when the local record changed. */
  merge(key: Uint8Array, record: Uint8Array): Promise<boolean>;
  /** Carries one message to the peer's AntiEntropy.onMessage, in order with earlier ones or not at all. */
  send(peer: number, message: Uint8Array): void;
  /**
   * Whether to answer `peer`'s exchange of `partition`: false when either is not (or no longer)
   * a replica of it, so no worker is handed a partition it does not hold. Absent: always.
   */
  accepts?(partition: number, peer: number): boolean;
}

export interface ExchangeSummary {
  readonly id: number;
  readonly partition: number;
  readonly peer: number;
  readonly initiator: boolean;
  readonly outcome: 'done' | 'abandoned';
  readonly reason: AbandonReason | null;
  readonly differingLeaves: number;
  readonly keysSent: number;
  readonly keysReceived: number;
  readonly keysRepaired: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly durationMs: number;
}

export interface AntiEntropyOptions {
  readonly messageBytesMax?: number;
  readonly keysPerMessageMax?: number;
  readonly exchangeTimeoutMs?: number;
  readonly exchangesMax?: number;
  /** The clock of touch times and durations (tests pass a fake one). */
  readonly now?: () => number;
  /** Called as each exchange ends, either role, done or abandoned. */
  readonly onFinish?: (summary: ExchangeSummary) => void;
}

export interface AntiEntropyStats {
  /** Exchanges this worker initiated. */
  exchangesStarted: number;
  /** Exchanges this worker initiated that ran to the end. */
  exchanges: number;
  /** Of those, the ones that found differing leaves. */
  exchangesWithDifferences: number;
  /** Exchanges a peer initiated that ran to the end. */
  exchangesServed: number;
  /** Either role: timed out, aborted by the peer, broken by a lost or bad message, or yielded. */
  exchangesAbandoned: number;
  /** Starts refused: one already under way with that peer for that partition, or too many. */
  exchangesRefused: number;
  leavesDiffering: number;
  keysSent: number;
  keysReceived: number;
  /** Received records whose merge changed the local record. */
  keysRepaired: number;
  mergeFailures: number;
  bytesSent: number;
  bytesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  /** Summed duration of finished exchanges, either role. */
  exchangeMsTotal: number;
}

type Phase =
  /** Comparing levels; waiting for the peer's NODES at `expectedDepth` (DIGESTS past the leaves) or DONE. */
  | 'descending'
  /** Receiving the peer's DIGESTS (more are coming). */
  | 'receiving-digests'
  /** Sent DIGESTS; answering WANTs and merging RECORDS until the peer's last RECORDS. */
  | 'awaiting-records'
  /** Sent the last RECORDS; merging the records wanted until the peer's DONE. */
  | 'awaiting-done'
  /** The peer is finished; waiting for local merges to settle. */
  | 'draining';

interface Exchange {
  readonly id: number;
  readonly key: string;
  readonly pairKey: string;
  readonly partition: number;
  readonly peer: number;
  readonly initiator: boolean;
  readonly startedAt: number;
  touchedAt: number;
  phase: Phase;
  sendSeq: number;
  receiveSeq: number;
  expectedDepth: number;
  /** Differing nodes found at expectedDepth in NODES messages before the last one. */
  differing: number[];
  /** The peer's digests by leaf, while the leaf is split over several DIGESTS messages. */
  partial: Map<number, Set<string>>;
  pendingMerges: number;
  differingLeaves: number;
  keysSent: number;
  keysReceived: number;
  keysRepaired: number;
  bytesSent: number;
  bytesReceived: number;
}

class MalformedMessage extends Error {}

function failMessage(message: string): never {
  throw new MalformedMessage(`anti-entropy message is malformed: ${message}`);
}

/** One message under construction; grows as written, copied out exactly sized. */
class MessageWriter {
  #bytes = new Uint8Array(4096);
  #view = new DataView(this.#bytes.buffer);
  length = 0;

  begin(kind: Kind, exchange: Exchange): this {
    this.length = 0;
    this.#reserve(HEADER_BYTES);
    this.#view.setUint8(0, kind);
    this.#view.setUint8(FLAGS_OFFSET, exchange.initiator ? Flag.FROM_INITIATOR : 0);
    this.#view.setUint32(2, exchange.id);
    this.#view.setUint32(SEQ_OFFSET, 0);
    this.#view.setUint16(10, exchange.partition);
    this.length = HEADER_BYTES;
    return this;
  }

  u8(value: number): this {
    this.#reserve(1);
    this.#view.setUint8(this.length, value);
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.#reserve(2);
    this.#view.setUint16(this.length, value);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  bytes(bytes: Uint8Array): this {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** Writes the first KEY_DIGEST_BYTES chars of a latin1 digest string back as bytes. */
  digest(text: string): this {
    this.#reserve(KEY_DIGEST_BYTES);
    for (let i = 0; i < KEY_DIGEST_BYTES; i++) this.#bytes[this.length + i] = text.charCodeAt(i);
    this.length += KEY_DIGEST_BYTES;
    return this;
  }

  setU32(offset: number, value: number): void {
    this.#view.setUint32(offset, value);
  }

  /** Sets the flags and sequence number, and returns a copy the transport may keep. */
  finish(flags: number, seq: number): Uint8Array {
    this.#view.setUint8(FLAGS_OFFSET, this.#view.getUint8(FLAGS_OFFSET) | flags);
    this.#view.setUint32(SEQ_OFFSET, seq);
    return this.#bytes.slice(0, this.length);
  }

  #reserve(byteCount: number): void {
    if (this.length + byteCount <= this.#bytes.length) return;
    const grown = new Uint8Array(2 ** Math.ceil(Math.log2(this.length + byteCount)));
    grown.set(this.#bytes.subarray(0, this.length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/**
 * Entries of one message kind spread over as many messages as the bounds need. Each message
 * is header | prefix | u32 entry count | entries; `emit` sends it with its flags and seq.
 */
class Batch {
  readonly #writer = new MessageWriter();
  readonly #exchange: Exchange;
  readonly #kind: Kind;
  readonly #prefix: (writer: MessageWriter) => void;
  readonly #emit: (exchange: Exchange, writer: MessageWriter, last: boolean) => void;
  readonly #bytesMax: number;
  readonly #entriesMax: number;
  #countOffset = 0;
  #count = 0;
  #open = false;

  constructor(
    exchange: Exchange,
    kind: Kind,
    limits: { bytesMax: number; entriesMax: number },
    emit: (exchange: Exchange, writer: MessageWriter, last: boolean) => void,
    prefix: (writer: MessageWriter) => void = () => {},
  ) {
    this.#exchange = exchange;
    this.#kind = kind;
    this.#bytesMax = limits.bytesMax;
    this.#entriesMax = limits.entriesMax;
    this.#emit = emit;
    this.#prefix = prefix;
  }

  /** Bytes an entry may take in the current message (a fresh one if none is open). */
  room(): number {
    this.#ensureOpen();
    return this.#bytesMax - this.#writer.length;
  }

  /** Sends the open message if it holds entries, so the next entry starts a fresh one. */
  breakMessage(): void {
    if (this.#open && this.#count > 0) this.#send(false);
  }

  /** A writer for one entry of `byteCount` bytes, in a fresh message when the open one is full. */
  entry(byteCount: number): MessageWriter {
    this.#ensureOpen();
    if (
      this.#count > 0 &&
      (this.#writer.length + byteCount > this.#bytesMax || this.#count >= this.#entriesMax)
    ) {
      this.#send(false);
      this.#ensureOpen();
    }
    this.#count++;
    return this.#writer;
  }

  /** Sends what is open; with `last`, always sends one message (maybe empty) flagged LAST. */
  finish(last: boolean): void {
    if (last) this.#ensureOpen();
    if (this.#open && (last || this.#count > 0)) this.#send(last);
  }

  #ensureOpen(): void {
    if (this.#open) return;
    this.#writer.begin(this.#kind, this.#exchange);
    this.#prefix(this.#writer);
    this.#countOffset = this.#writer.length;
    this.#writer.u32(0);
    this.#count = 0;
    this.#open = true;
  }

  #send(last: boolean): void {
    this.#writer.setU32(this.#countOffset, this.#count);
    this.#open = false;
    this.#emit(this.#exchange, this.#writer, last);
  }
}

const digestScratch = new Uint8Array(NODE_HASH_BYTES);
const digestText = Buffer.from(digestScratch.buffer, digestScratch.byteOffset, digestScratch.byteLength);

/** The key's digest as a latin1 string of KEY_DIGEST_BYTES chars, for set lookups. */
function keyDigest(key: Uint8Array, record: Uint8Array): string {
  entryHash(key, record, digestScratch, 0);
  return digestText.toString('latin1', 0, KEY_DIGEST_BYTES);
}

function sameHash(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number): boolean {
  for (let i = 0; i < NODE_HASH_BYTES; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}

function checkPositiveInteger(value: number, name: string, min = 1): number {
  assert(Number.isInteger(value) && value >= min, `${name} is an integer of at least ${min}; got ${value}`);
  return value;
}

export class AntiEntropy {
  readonly stats: AntiEntropyStats = {
    exchangesStarted: 0,
    exchanges: 0,
    exchangesWithDifferences: 0,
    exchangesServed: 0,
    exchangesAbandoned: 0,
    exchangesRefused: 0,
    leavesDiffering: 0,
    keysSent: 0,
    keysReceived: 0,
    keysRepaired: 0,
    mergeFailures: 0,
    bytesSent: 0,
    bytesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    exchangeMsTotal: 0,
  };
  readonly #host: AntiEntropyHost;
  readonly #messageBytesMax: number;
  readonly #keysPerMessageMax: number;
  readonly #exchangeTimeoutMs: number;
  readonly #exchangesMax: number;
  readonly #now: () => number;
  readonly #onFinish: ((summary: ExchangeSummary) => void) | undefined;
  /** By `${initiator slot}:${id}`. */
  readonly #exchanges = new Map<string, Exchange>();
  /** By `${partition}:${peer}`: at most one exchange per pair, either role. */
  readonly #pairs = new Map<string, Exchange>();
  #nextId = 1;
  readonly #emit = (exchange: Exchange, writer: MessageWriter, last: boolean): void =>
    this.#send(exchange, writer, last);

  constructor(host: AntiEntropyHost, options: AntiEntropyOptions = {}) {
    this.#host = host;
    this.#messageBytesMax = checkPositiveInteger(
      options.messageBytesMax ?? AE_MESSAGE_BYTES_MAX_DEFAULT,
      'messageBytesMax',
      AE_MESSAGE_BYTES_MIN,
    );
    this.#keysPerMessageMax = checkPositiveInteger(
      options.keysPerMessageMax ?? AE_KEYS_PER_MESSAGE_MAX_DEFAULT,
      'keysPerMessageMax',
    );
    this.#exchangeTimeoutMs = checkPositiveInteger(
      options.exchangeTimeoutMs ?? AE_EXCHANGE_TIMEOUT_MS_DEFAULT,
      'exchangeTimeoutMs',
    );
    this.#exchangesMax = checkPositiveInteger(
      options.exchangesMax ?? AE_EXCHANGES_MAX_DEFAULT,
      'exchangesMax',
    );
    this.#now = options.now ?? Date.now;
    this.#onFinish = options.onFinish;
  }

  /** Exchanges under way, either role. */
  get active(): number {
    return this.#exchanges.size;
  }

  /** True while an exchange with `peer` over `partition` is under way, either role. */
  busyWith(partition: number, peer: number): boolean {
    return this.#pairs.has(`${partition}:${peer}`);
  }

  /**
   * Starts an exchange of `partition` with `peer` and returns its id, or undefined when one
   * with that peer for that partition is already under way or exchangesMax are.
   */
  start(partition: number, peer: number): number | undefined {
    assert(Number.isInteger(partition) && partition >= 0 && partition <= UINT16_MAX, 'partition is a u16');
    assert(peer !== this.#host.slot, 'an exchange is between two different workers');
    if (this.busyWith(partition, peer) || this.#exchanges.size >= this.#exchangesMax) {
      this.stats.exchangesRefused++;
      return undefined;
    }
    let id = this.#nextId;
    while (this.#exchanges.has(`${this.#host.slot}:${id}`)) id = id === UINT32_MAX ? 1 : id + 1;
    this.#nextId = id === UINT32_MAX ? 1 : id + 1;
    const exchange = this.#open(id, partition, peer, true);
    this.stats.exchangesStarted++;
    const tree = this.#host.tree(partition);
    const writer = new MessageWriter().begin(Kind.START, exchange);
    writer.u32(tree.leafCount).u16(tree.fanout).bytes(tree.root());
    exchange.expectedDepth = 1;
    this.#send(exchange, writer, false);
    return id;
  }

  /**
   * Handles one message from `from`. Reads it before returning and keeps no reference to it,
   * so it may be a view into a ring slot. A malformed message ends its exchange, never throws.
   */
  onMessage(from: number, message: Uint8Array): void {
    this.stats.messagesReceived++;
    this.stats.bytesReceived += message.byteLength;
    if (message.byteLength < HEADER_BYTES) return;
    const reader = new ByteReader(message, failMessage);
    const kind = reader.u8();
    const flags = reader.u8();
    const id = reader.u32();
    const seq = reader.u32();
    const partition = reader.u16();
    const initiator = (flags & Flag.FROM_INITIATOR) !== 0 ? from : this.#host.slot;
    if (kind === Kind.START) {
      this.#guard(undefined, () => this.#onStart(from, id, seq, partition, reader, message));
      return;
    }
    const exchange = this.#exchanges.get(`${initiator}:${id}`);
    if (exchange === undefined || exchange.peer !== from || exchange.partition !== partition) {
      // The exchange ended here (swept, or never existed): tell the peer so it stops early.
      if (kind !== Kind.ABORT) this.#abortUnknown(from, id, partition, initiator !== from, 'unknown');
      return;
    }
    exchange.bytesReceived += message.byteLength;
    exchange.touchedAt = this.#now();
    if (kind === Kind.ABORT) {
      const code = reader.remaining > 0 ? reader.u8() : 0;
      this.#abandon(exchange, ABORT_REASONS[code] ?? 'aborted', false);
      return;
    }
    if (seq !== exchange.receiveSeq) {
      this.#abandon(exchange, 'protocol', true);
      return;
    }
    exchange.receiveSeq++;
    const last = (flags & Flag.LAST) !== 0;
    this.#guard(exchange, () => this.#dispatch(exchange, kind, last, reader, message));
  }

  /** Abandons every exchange silent for longer than the timeout; returns how many. Call about once a second. */
  sweep(now: number = this.#now()): number {
    let abandoned = 0;
    for (const exchange of [...this.#exchanges.values()]) {
      if (now - exchange.touchedAt > this.#exchangeTimeoutMs) {
        this.#abandon(exchange, 'timeout', true);
        abandoned++;
      }
    }
    return abandoned;
  }

  #dispatch(exchange: Exchange, kind: Kind, last: boolean, reader: ByteReader, message: Uint8Array): void {
    const text = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    switch (kind) {
      case Kind.NODES:
        return this.#onNodes(exchange, last, reader, message);
      case Kind.DIGESTS:
        return this.#onDigests(exchange, last, reader, text);
      case Kind.WANT:
        return this.#onWant(exchange, reader, text);
      case Kind.RECORDS:
        return this.#onRecords(exchange, last, reader);
      case Kind.DONE:
        return this.#onDone(exchange);
      default:
        return failMessage(`unknown kind ${kind}`);
    }
  }

  /** Runs a handler; a malformed or out-of-place message ends the exchange it belongs to. */
  #guard(exchange: Exchange | undefined, handler: () => void): void {
    try {
      handler();
    } catch (error) {
      if (!(error instanceof MalformedMessage)) throw error;
      if (exchange !== undefined && this.#exchanges.get(exchange.key) === exchange) {
        this.#abandon(exchange, 'protocol', true);
      }
    }
  }

  #onStart(
    from: number,
    id: number,
    seq: number,
    partition: number,
    reader: ByteReader,
    message: Uint8Array,
  ): void {
    const leafCount = reader.u32();
    const fanout = reader.u16();
    reader.need(NODE_HASH_BYTES, 'root hash');
    const rootOffset = reader.offset;
    if (seq !== 0 || reader.remaining !== NODE_HASH_BYTES) failMessage('START is seq 0 with one root hash');
    if (this.#host.accepts?.(partition, from) === false) {
      this.#refuse(from, id, partition, 'not-replica');
      return;
    }
    const tree = this.#host.tree(partition);
    if (tree.leafCount !== leafCount || tree.fanout !== fanout) {
      this.#refuse(from, id, partition, 'shape');
      return;
    }
    const existing = this.#pairs.get(`${partition}:${from}`);
    if (existing !== undefined) {
      // Both sides started at once: the exchange the lower slot initiated goes on.
      if (existing.initiator && this.#host.slot < from) {
        this.#refuse(from, id, partition, 'conflict');
        return;
      }
      // Ours yields, or the peer gave up on an older exchange and started afresh.
      this.#abandon(existing, 'conflict', false);
    }
    if (this.#exchanges.size >= this.#exchangesMax) {
      this.#refuse(from, id, partition, 'busy');
      return;
    }
    const exchange = this.#open(id, partition, from, false);
    exchange.receiveSeq = 1;
    exchange.bytesReceived = message.byteLength;
    if (sameHash(message, rootOffset, tree.root(), 0)) {
      this.#finishWithDone(exchange);
      return;
    }
    this.#compared(exchange, 0, [0]);
  }

  /** I compared my nodes at `depth` with the peer's; `differing` are the indices that differ. */
  #compared(exchange: Exchange, depth: number, differing: number[]): void {
    const tree = this.#host.tree(exchange.partition);
    if (differing.length === 0) {
      // The roots differed but no branch does any more: writes landed during the descent.
      this.#finishWithDone(exchange);
    } else if (depth === tree.leafDepth) {
      this.#sendDigests(exchange, tree, differing);
    } else {
      this.#sendNodes(exchange, tree, depth + 1, differing);
      exchange.expectedDepth = depth + 2;
    }
  }

  /** Sends my hashes of every child (at `depth`) of the nodes `parents` (at depth - 1). */
  #sendNodes(exchange: Exchange, tree: PartitionTree, depth: number, parents: readonly number[]): void {
    const level = tree.level(depth);
    const nodeCount = tree.nodeCount(depth);
    const batch = new Batch(exchange, Kind.NODES, this.#limits(Number.POSITIVE_INFINITY), this.#emit, (w) =>
      w.u8(depth),
    );
    for (const parent of parents) {
      const first = parent * tree.fanout;
      const end = Math.min(first + tree.fanout, nodeCount);
      const writer = batch.entry(NODE_GROUP_HEADER_BYTES + (end - first) * NODE_HASH_BYTES);
      writer.u32(parent).bytes(level.subarray(first * NODE_HASH_BYTES, end * NODE_HASH_BYTES));
    }
    batch.finish(true);
  }

  #onNodes(exchange: Exchange, last: boolean, reader: ByteReader, message: Uint8Array): void {
    const tree = this.#host.tree(exchange.partition);
    const depth = reader.u8();
    const inPlace = exchange.phase === 'descending' && depth === exchange.expectedDepth;
    if (!inPlace || depth < 1 || depth > tree.leafDepth) {
      failMessage(`NODES at depth ${depth} out of place`);
    }
    const level = tree.level(depth);
    const nodeCount = tree.nodeCount(depth);
    const groupCount = reader.u32();
    for (let g = 0; g < groupCount; g++) {
      const parent = reader.u32();
      if (parent >= tree.nodeCount(depth - 1)) failMessage(`parent ${parent} at depth ${depth - 1}`);
      const first = parent * tree.fanout;
      const end = Math.min(first + tree.fanout, nodeCount);
      reader.need((end - first) * NODE_HASH_BYTES, 'child hashes');
      for (let child = first; child < end; child++) {
        if (!sameHash(message, reader.offset, level, child * NODE_HASH_BYTES)) exchange.differing.push(child);
        reader.offset += NODE_HASH_BYTES;
      }
    }
    if (reader.remaining !== 0) failMessage(`${reader.remaining} trailing bytes`);
    if (!last) return;
    const differing = exchange.differing;
    exchange.differing = [];
    this.#compared(exchange, depth, differing);
  }

  /** I found the differing leaves: send my key digests in each, then answer WANTs and merge. */
  #sendDigests(exchange: Exchange, tree: PartitionTree, leaves: number[]): void {
    this.#noteDifferingLeaves(exchange, leaves.length);
    const byLeaf = new Map<number, string[]>();
    for (const leaf of leaves) byLeaf.set(leaf, []);
    for (const { key, record } of this.#host.recordsInLeaves(exchange.partition, new Set(leaves))) {
      byLeaf.get(tree.leafOf(key))?.push(keyDigest(key, record));
    }
    const batch = new Batch(exchange, Kind.DIGESTS, this.#limits(Number.POSITIVE_INFINITY), this.#emit);
    for (const leaf of leaves) this.#writeLeafDigests(batch, leaf, byLeaf.get(leaf)!);
    batch.finish(true);
    exchange.phase = 'awaiting-records';
  }

  /** One leaf's digests (DIGESTS or WANT), split over messages when they do not fit. */
  #writeLeafDigests(batch: Batch, leaf: number, digests: readonly string[]): void {
    let next = 0;
    do {
      // An empty leaf still needs its entry header; a non-empty one at least one digest.
      let fit = Math.floor((batch.room() - LEAF_ENTRY_HEADER_BYTES) / KEY_DIGEST_BYTES);
      if (fit < Math.min(1, digests.length - next)) {
        batch.breakMessage();
        fit = Math.floor((batch.room() - LEAF_ENTRY_HEADER_BYTES) / KEY_DIGEST_BYTES);
      }
      const take = Math.min(digests.length - next, fit);
      const continued = next + take < digests.length;
      const writer = batch.entry(LEAF_ENTRY_HEADER_BYTES + take * KEY_DIGEST_BYTES);
      writer
        .u32(leaf)
        .u8(continued ? LEAF_CONTINUED : 0)
        .u32(take);
      for (let i = next; i < next + take; i++) writer.digest(digests[i]!);
      next += take;
    } while (next < digests.length);
  }

  /** Reads `leaf | flags | n | digests` entries into per-leaf sets; returns the leaves completed. */
  #readLeafDigests(
    reader: ByteReader,
    text: Buffer,
    tree: PartitionTree,
    into: Map<number, Set<string>>,
  ): { complete: number[]; continued: number[] } {
    const complete: number[] = [];
    const continued: number[] = [];
    const entryCount = reader.u32();
    for (let e = 0; e < entryCount; e++) {
      const leaf = reader.u32();
      const leafFlags = reader.u8();
      const n = reader.u32();
      if (leaf >= tree.leafCount || (leafFlags & ~LEAF_CONTINUED) !== 0) failMessage(`leaf ${leaf} entry`);
      reader.need(n * KEY_DIGEST_BYTES, 'digests');
      const digests = into.get(leaf) ?? new Set<string>();
      into.set(leaf, digests);
      for (let i = 0; i < n; i++) {
        digests.add(text.toString('latin1', reader.offset, reader.offset + KEY_DIGEST_BYTES));
        reader.offset += KEY_DIGEST_BYTES;
      }
      ((leafFlags & LEAF_CONTINUED) !== 0 ? continued : complete).push(leaf);
    }
    if (reader.remaining !== 0) failMessage(`${reader.remaining} trailing bytes`);
    return { complete, continued };
  }

  #onDigests(exchange: Exchange, last: boolean, reader: ByteReader, text: Buffer): void {
    const tree = this.#host.tree(exchange.partition);
    const expecting =
      exchange.phase === 'receiving-digests' ||
      (exchange.phase === 'descending' && exchange.expectedDepth === tree.leafDepth + 1);
    if (!expecting) failMessage('DIGESTS out of place');
    exchange.phase = 'receiving-digests';
    const { complete } = this.#readLeafDigests(reader, text, tree, exchange.partial);
    if (last && exchange.partial.size !== complete.length) failMessage('the last DIGESTS leaves a leaf open');
    this.#noteDifferingLeaves(exchange, complete.length);
    const theirs = new Map<number, Set<string>>();
    for (const leaf of complete) {
      theirs.set(leaf, exchange.partial.get(leaf)!);
      exchange.partial.delete(leaf);
    }
    this.#answerDigests(exchange, tree, theirs, last);
    if (last) exchange.phase = 'awaiting-done';
  }

  /**
   * Matches my keys in the completed leaves against the peer's digests: what I hold that the
   * peer has no match for goes in RECORDS; the peer's digests I have no match for go in WANT.
   * WANT leaves first: the peer must read those records before it merges mine.
   */
  #answerDigests(
    exchange: Exchange,
    tree: PartitionTree,
    theirs: Map<number, Set<string>>,
    last: boolean,
  ): void {
    const toSend: KeyedRecord[] = [];
    if (theirs.size > 0) {
      for (const { key, record } of this.#host.recordsInLeaves(exchange.partition, new Set(theirs.keys()))) {
        const digests = theirs.get(tree.leafOf(key));
        if (digests === undefined) continue;
        if (!digests.delete(keyDigest(key, record)))
          toSend.push({ key: key.slice(), record: record.slice() });
      }
    }
    const want = new Batch(exchange, Kind.WANT, this.#limits(Number.POSITIVE_INFINITY), this.#emit);
    for (const [leaf, digests] of theirs) {
      if (digests.size > 0) this.#writeLeafDigests(want, leaf, [...digests]);
    }
    want.finish(false);
    this.#sendRecords(exchange, toSend, last);
  }

  #sendRecords(exchange: Exchange, records: Iterable<KeyedRecord>, last: boolean): void {
    const batch = new Batch(exchange, Kind.RECORDS, this.#limits(this.#keysPerMessageMax), this.#emit);
    let count = 0;
    for (const { key, record } of records) {
      assert(
        key.length <= UINT16_MAX && record.length <= UINT32_MAX,
        'key and record fit their length fields',
      );
      const writer = batch.entry(RECORD_ENTRY_HEADER_BYTES + key.length + record.length);
      writer.u16(key.length).bytes(key).u32(record.length).bytes(record);
      count++;
    }
    batch.finish(last);
    exchange.keysSent += count;
    this.stats.keysSent += count;
  }

  /** Sends the records whose digests the peer asked for; each WANT stands alone. */
  #onWant(exchange: Exchange, reader: ByteReader, text: Buffer): void {
    if (exchange.phase !== 'awaiting-records') failMessage('WANT out of place');
    const tree = this.#host.tree(exchange.partition);
    const wanted = new Map<number, Set<string>>();
    this.#readLeafDigests(reader, text, tree, wanted);
    const records = this.#host.recordsInLeaves(exchange.partition, new Set(wanted.keys()));
    this.#sendRecords(exchange, AntiEntropy.#matching(records, tree, wanted), false);
  }

  static *#matching(
    records: Iterable<KeyedRecord>,
    tree: PartitionTree,
    wanted: Map<number, Set<string>>,
  ): Generator<KeyedRecord> {
    for (const entry of records) {
      if (wanted.get(tree.leafOf(entry.key))?.has(keyDigest(entry.key, entry.record)) === true) yield entry;
    }
  }

  #onRecords(exchange: Exchange, last: boolean, reader: ByteReader): void {
    const phase = exchange.phase;
    if (phase !== 'awaiting-records' && phase !== 'awaiting-done' && phase !== 'receiving-digests') {
      failMessage('RECORDS out of place');
    }
    if (last && exchange.phase !== 'awaiting-records')
      failMessage('a last RECORDS goes to the digest sender');
    const count = reader.u32();
    const received: KeyedRecord[] = [];
    for (let i = 0; i < count; i++) {
      const key = reader.bytes(reader.u16());
      received.push({ key, record: reader.bytes(reader.u32()) });
    }
    if (reader.remaining !== 0) failMessage(`${reader.remaining} trailing bytes`);
    for (const { key, record } of received) this.#merge(exchange, key, record);
    if (!last) return;
    this.#send(exchange, new MessageWriter().begin(Kind.DONE, exchange), true);
    exchange.phase = 'draining';
    this.#finishIfSettled(exchange);
  }

  #onDone(exchange: Exchange): void {
    if (exchange.phase !== 'descending' && exchange.phase !== 'awaiting-done')
      failMessage('DONE out of place');
    exchange.phase = 'draining';
    this.#finishIfSettled(exchange);
  }

  #merge(exchange: Exchange, key: Uint8Array, record: Uint8Array): void {
    exchange.keysReceived++;
    this.stats.keysReceived++;
    exchange.pendingMerges++;
    this.#host
      .merge(key, record)
      .then(
        (changed) => {
          if (!changed) return;
          exchange.keysRepaired++;
          this.stats.keysRepaired++;
        },
        () => {
          this.stats.mergeFailures++;
        },
      )
      .finally(() => {
        exchange.pendingMerges--;
        exchange.touchedAt = this.#now();
        if (this.#exchanges.get(exchange.key) === exchange) this.#finishIfSettled(exchange);
      });
  }

  #noteDifferingLeaves(exchange: Exchange, count: number): void {
    exchange.differingLeaves += count;
    this.stats.leavesDiffering += count;
  }

  #finishWithDone(exchange: Exchange): void {
    this.#send(exchange, new MessageWriter().begin(Kind.DONE, exchange), true);
    exchange.phase = 'draining';
    this.#finishIfSettled(exchange);
  }

  #finishIfSettled(exchange: Exchange): void {
    if (exchange.phase === 'draining' && exchange.pendingMerges === 0) this.#close(exchange, null);
  }

  #abandon(exchange: Exchange, reason: AbandonReason, tellPeer: boolean): void {
    if (tellPeer) {
      const writer = new MessageWriter().begin(Kind.ABORT, exchange).u8(ABORT_REASONS.indexOf(reason));
      this.#send(exchange, writer, true);
    }
    this.stats.exchangesAbandoned++;
    this.#close(exchange, reason);
  }

  #refuse(from: number, id: number, partition: number, reason: AbandonReason): void {
    this.stats.exchangesRefused++;
    this.#abortUnknown(from, id, partition, false, reason);
  }

  /** An ABORT for an exchange this side holds no state for. */
  #abortUnknown(
    to: number,
    id: number,
    partition: number,
    fromInitiator: boolean,
    reason: AbandonReason,
  ): void {
    const stub = this.#stub(id, partition, to, fromInitiator);
    const writer = new MessageWriter().begin(Kind.ABORT, stub).u8(ABORT_REASONS.indexOf(reason));
    this.#send(stub, writer, true);
  }

  #open(id: number, partition: number, peer: number, initiator: boolean): Exchange {
    const exchange = this.#stub(id, partition, peer, initiator);
    this.#exchanges.set(exchange.key, exchange);
    this.#pairs.set(exchange.pairKey, exchange);
    return exchange;
  }

  #stub(id: number, partition: number, peer: number, initiator: boolean): Exchange {
    const now = this.#now();
    const initiatorSlot = initiator ? this.#host.slot : peer;
    return {
      id,
      key: `${initiatorSlot}:${id}`,
      pairKey: `${partition}:${peer}`,
      partition,
      peer,
      initiator,
      startedAt: now,
      touchedAt: now,
      phase: 'descending',
      sendSeq: 0,
      receiveSeq: 0,
      expectedDepth: 0,
      differing: [],
      partial: new Map(),
      pendingMerges: 0,
      differingLeaves: 0,
      keysSent: 0,
      keysReceived: 0,
      keysRepaired: 0,
      bytesSent: 0,
      bytesReceived: 0,
    };
  }

  #close(exchange: Exchange, reason: AbandonReason | null): void {
    if (this.#exchanges.get(exchange.key) !== exchange) return;
    this.#exchanges.delete(exchange.key);
    if (this.#pairs.get(exchange.pairKey) === exchange) this.#pairs.delete(exchange.pairKey);
    const durationMs = this.#now() - exchange.startedAt;
    this.stats.exchangeMsTotal += durationMs;
    if (reason === null) {
      if (!exchange.initiator) this.stats.exchangesServed++;
      else {
        this.stats.exchanges++;
        if (exchange.differingLeaves > 0) this.stats.exchangesWithDifferences++;
      }
    }
    this.#onFinish?.({
      id: exchange.id,
      partition: exchange.partition,
      peer: exchange.peer,
      initiator: exchange.initiator,
      outcome: reason === null ? 'done' : 'abandoned',
      reason,
      differingLeaves: exchange.differingLeaves,
      keysSent: exchange.keysSent,
      keysReceived: exchange.keysReceived,
      keysRepaired: exchange.keysRepaired,
      bytesSent: exchange.bytesSent,
      bytesReceived: exchange.bytesReceived,
      durationMs,
    });
  }

  #send(exchange: Exchange, writer: MessageWriter, last: boolean): void {
    const message = writer.finish(last ? Flag.LAST : 0, exchange.sendSeq++);
    exchange.bytesSent += message.byteLength;
    this.stats.bytesSent += message.byteLength;
    this.stats.messagesSent++;
    this.#host.send(exchange.peer, message);
  }

  #limits(entriesMax: number): { bytesMax: number; entriesMax: number } {
    return { bytesMax: this.#messageBytesMax, entriesMax };
  }
}
