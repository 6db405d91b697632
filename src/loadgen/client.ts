// One connection of the closed loop: it sends a batch of `pipeline` commands in one write,
// waits for all their replies, then sends the next batch (redis-benchmark's discipline). A
// read-modify-write sends its VGET in one batch and its VPUT, carrying the context that VGET
// returned, in a second batch. Replies are parsed from the socket's read buffer in place
// (net's `onread`), so a reply costs no allocation; each one is timed from its batch's write.
import { connect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import type { CommandEncoder } from './commands.js';
import { REPLY_ARRAY, REPLY_ERROR, REPLY_NULL, ReplyParser, type ReplyType } from './reply-parser.js';
import type { PhaseStats } from './stats.js';
import { OP_READ, OP_RMW, OP_UPDATE, type OpType } from './workloads.js';

const READ_BUFFER_BYTES = 64 * 1024;

/** What a connection asks of the generator that drives it. */
export interface Driver {
  readonly encoder: CommandEncoder;
  /** Reads through VGET and read-modify-writes through VGET/VPUT. */
  readonly dynamo: boolean;
  /** The stats the next batch records into (the current phase's). */
  readonly stats: PhaseStats;
  /** How many operations the next batch may hold, at most `wanted`; 0 leaves the client idle. */
  take(wanted: number): number;
  /** The next batch's operation and key: a load-phase SET of the next key, or the workload's. */
  nextOp(): OpType;
  nextKey(op: OpType): number;
  clientIdle(client: Client): void;
}

export interface ProbeReply {
  type: ReplyType;
  value: number;
  text: string | undefined;
}

/** node:tls honours `onread` as node:net does (checked at runtime), though its types omit it. */
function tlsOptions(
  host: string,
  port: number,
  onread: { buffer: Buffer; callback: (bytes: number, buffer: Uint8Array) => boolean },
  ca: Buffer | undefined,
): ConnectionOptions {
  const options: ConnectionOptions & { onread: typeof onread } = { host, port, onread };
  if (ca !== undefined) options.ca = ca;
  return options;
}

export class Client {
  /** Set once the connection is gone; a dead client stays idle. */
  dead = false;
  idle = true;
  /** Why the connection ended early (an errno code, PROTOCOL, or CLOSED). */
  failure: string | undefined;

  private readonly parser: ReplyParser;
  private out: Buffer;
  private readonly opTypes: Uint8Array;
  private readonly keys: Int32Array;
  private readonly rmwSlots: Int32Array;
  private readonly contexts: string[];
  private batchSize = 0;
  private rmwCount = 0;
  private received = 0;
  private secondStage = false;
  private sentAt = 0;
  private batchStats: PhaseStats | undefined;
  private now = 0;
  private closing = false;
  private probeReply: ((reply: ProbeReply) => void) | undefined;
  private socketError: string | undefined;

  /** Operations per batch; at most the capacity the client was opened with. */
  private pipeline: number;

  private constructor(
    private readonly socket: Socket,
    private readonly driver: Driver,
    private readonly capacity: number,
  ) {
    this.pipeline = capacity;
    this.parser = new ReplyParser((type, value, text) => this.onReply(type, value, text));
    this.out = Buffer.allocUnsafe(capacity * driver.encoder.commandBytesMax);
    this.opTypes = new Uint8Array(capacity);
    this.keys = new Int32Array(capacity);
    this.rmwSlots = new Int32Array(capacity);
    this.contexts = new Array<string>(capacity).fill('');
  }

  /**
   * Opens a connection able to hold batches of up to `capacity` operations, over TLS when `tls`
   * is given (node:tls takes the same `onread` buffer, so replies are parsed in place as well).
   */
  static open(
    host: string,
    port: number,
    driver: Driver,
    capacity: number,
    tls?: { ca: Buffer | undefined } | undefined,
  ): Promise<Client> {
    return new Promise((resolve, reject) => {
      let client: Client | undefined;
      const onread = {
        buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
        callback: (bytes: number, buffer: Uint8Array) => {
          client?.onData(buffer as Buffer, bytes);
          return true;
        },
      };
      const socket =
        tls === undefined
          ? connect({ host, port, onread })
          : connectTls(tlsOptions(host, port, onread, tls.ca));
      client = new Client(socket, driver, capacity);
      const opened = client;
      socket.setNoDelay(true);
      const refused = (error: NodeJS.ErrnoException) => reject(error);
      socket.once('error', refused);
      socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        socket.off('error', refused);
        socket.on('error', (error: NodeJS.ErrnoException) => {
          opened.socketError = error.code ?? 'SOCKET';
        });
        socket.on('close', () => opened.onClose());
        resolve(opened);
      });
    });
  }

  /** Sends one command outside the measured loop and resolves with its reply. */
  probe(command: Buffer): Promise<ProbeReply> {
    return new Promise((resolve, reject) => {
      if (this.dead) {
        reject(new Error(`the connection closed (${this.failure})`));
        return;
      }
      this.probeReply = resolve;
      this.socket.write(command);
    });
  }

  setPipeline(depth: number): void {
    if (depth < 1 || depth > this.capacity)
      throw new RangeError(`pipeline ${depth} is outside 1…${this.capacity}`);
    this.pipeline = depth;
  }

  /** Starts batches again after the client went idle. */
  kick(): void {
    if (this.dead || !this.idle) return;
    this.idle = false;
    this.startBatch();
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  private startBatch(): void {
    const driver = this.driver;
    const n = driver.take(this.pipeline);
    if (n === 0) {
      this.idle = true;
      driver.clientIdle(this);
      return;
    }
    const encoder = driver.encoder;
    const out = this.out;
    let at = 0;
    for (let j = 0; j < n; j++) {
      const op = driver.nextOp();
      const key = driver.nextKey(op);
      this.opTypes[j] = op;
      this.keys[j] = key;
      if (op === OP_UPDATE) at = encoder.set(out, at, key);
      else if (driver.dynamo) at = encoder.vget(out, at, key);
      else at = encoder.get(out, at, key);
    }
    this.batchSize = n;
    this.rmwCount = 0;
    this.received = 0;
    this.secondStage = false;
    this.batchStats = driver.stats;
    this.send(at);
  }

  /** The second stage of a batch: a VPUT for each read-modify-write, with the context read. */
  private sendWrites(): void {
    const encoder = this.driver.encoder;
    let bytes = 0;
    for (let k = 0; k < this.rmwCount; k++) bytes += encoder.vputBytes((this.contexts[k] as string).length);
    if (this.out.length < bytes) this.out = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (let k = 0; k < this.rmwCount; k++) {
      const slot = this.rmwSlots[k] as number;
      at = encoder.vput(this.out, at, this.keys[slot] as number, this.contexts[k] as string);
    }
    this.received = 0;
    this.secondStage = true;
    // The operation's latency runs from its VGET's write: sentAt is kept.
    this.socket.write(this.out.subarray(0, at));
    this.afterWrite();
  }

  private send(bytes: number): void {
    this.sentAt = performance.now();
    this.socket.write(this.out.subarray(0, bytes));
    this.afterWrite();
  }

  private afterWrite(): void {
    // A write the kernel did not take at once still holds this buffer: use a fresh one next.
    if (this.socket.writableLength > 0) this.out = Buffer.allocUnsafe(this.out.length);
  }

  private onData(buffer: Uint8Array, bytes: number): void {
    this.now = performance.now();
    if (!this.parser.feed(buffer, 0, bytes)) {
      this.failure = 'PROTOCOL';
      this.socket.destroy();
    }
  }

  private onReply(type: ReplyType, value: number, text: string | undefined): void {
    const probe = this.probeReply;
    if (probe !== undefined) {
      this.probeReply = undefined;
      probe({ type, value, text });
      return;
    }
    const stats = this.batchStats;
    if (this.idle || stats === undefined) {
      // A reply nobody asked for: the stream is out of step with our requests.
      this.failure = 'PROTOCOL';
      this.socket.destroy();
      return;
    }
    const now = this.now;
    stats.commands++;
    if (this.secondStage) {
      this.received++;
      if (type === REPLY_ERROR) stats.error(OP_RMW, text as string, now);
      else stats.record(OP_RMW, Math.round((now - this.sentAt) * 1000), now);
      if (this.received === this.rmwCount) this.startBatch();
      return;
    }
    const j = this.received++;
    const op = this.opTypes[j] as OpType;
    if (type === REPLY_ERROR) {
      stats.error(op, text as string, now);
    } else if (op === OP_RMW) {
      if (type !== REPLY_ARRAY || value === 0) stats.ops[OP_RMW].notFound++;
      this.contexts[this.rmwCount] = type === REPLY_ARRAY ? (text ?? '') : '';
      this.rmwSlots[this.rmwCount++] = j;
    } else {
      stats.record(op, Math.round((now - this.sentAt) * 1000), now);
      if (op === OP_READ && (type === REPLY_NULL || (type === REPLY_ARRAY && value === 0))) {
        stats.ops[OP_READ].notFound++;
      }
    }
    if (this.received < this.batchSize) return;
    if (this.rmwCount > 0) this.sendWrites();
    else this.startBatch();
  }

  /** The connection ended: unless we closed it, every operation still owed a reply failed. */
  private onClose(): void {
    const wasIdle = this.idle;
    this.dead = true;
    this.idle = true;
    if (this.closing) return;
    this.failure ??= this.socketError ?? 'CLOSED';
    const word = this.failure;
    const stats = this.batchStats;
    if (stats !== undefined && !wasIdle) {
      const now = performance.now();
      if (this.secondStage) {
        for (let k = this.received; k < this.rmwCount; k++) stats.error(OP_RMW, word, now);
      } else {
        for (let j = this.received; j < this.batchSize; j++)
          stats.error(this.opTypes[j] as OpType, word, now);
        for (let k = 0; k < this.rmwCount; k++) stats.error(OP_RMW, word, now);
      }
    }
    if (!wasIdle) this.driver.clientIdle(this);
  }
}
