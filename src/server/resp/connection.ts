// One client connection: decodes commands, runs them, and writes the replies in request order
// although the engine answers out of order. Each command that does not answer at once takes a
// reply slot in a FIFO; replies leave from the head as soon as it is ready, in one write per
// batch. Reading pauses while the FIFO holds pipelineDepthMax commands or while the socket holds
// more than writeBufferBytesMax unsent bytes (a client that never reads cannot make the server
// buffer without bound), and resumes when the replies drain.
import type { Socket } from 'node:net';
import { KvError } from '../../index.js';
import { ACCESS_OPEN } from '../auth/access.js';
import type { ServerMetrics } from '../metrics.js';
import { queueInTransaction, runsInTransaction } from './commands/multi.js';
import { type ClientView, type CommandSpec, failureReply as failure, type Session } from './commands/spec.js';
import { lookupCommand } from './commands/table.js';
import { type DecoderLimits, RespDecoder, RespProtocolError } from './decoder.js';
import { errorReply, type Reply } from './encoder.js';

export interface ConnectionLimits extends DecoderLimits {
  /** Keys one multi-key command (MGET, MSET, DEL, EXISTS) may name; --max-keys-per-command. */
  maxKeysPerCommand: number;
  pipelineDepthMax: number;
  writeBufferBytesMax: number;
  idleTimeoutMs: number;
}

/** What a connection tells the server it belongs to. */
export interface ConnectionHost {
  readonly metrics: ServerMetrics;
  commandStarted(): void;
  /** Asks for processInput() to run with the other connections that received data this turn. */
  scheduleInput(connection: RespConnection): void;
  /** Reading stopped (or its reason changed), or resumed (null). */
  pausedChanged(connection: RespConnection, reason: PauseReason | null): void;
  closed(connection: RespConnection): void;
}

/** Why a connection stopped reading: too many commands in flight, or too many unsent reply bytes. */
export type PauseReason = 'pipeline' | 'writes';

/** Replies up to this size in one batch are joined into one buffer; larger batches are corked. */
const COALESCE_BYTES_MAX = 64 * 1024;
/** After our last reply and FIN, how long a peer may keep the socket open before it is destroyed. */
const LINGER_MS = 2_000;
/** Bytes of arguments shown in an unknown-command error, as Redis does. */
const ECHOED_ARGS_CHARS_MAX = 128;
const EMPTY_REPLY: Reply = Buffer.alloc(0);
const NOAUTH_REPLY = errorReply('NOAUTH', 'Authentication required.');

/** A reply to come, in request order. `reply` is null until the command has answered. */
class Slot {
  reply: Reply | null = null;
  closeAfter = false;
  readonly command: string;
  readonly startMs: number;

  constructor(command: string, startMs: number) {
    this.command = command;
    this.startMs = startMs;
  }
}

export class RespConnection implements ClientView {
  readonly session: Session;
  readonly address: string;
  readonly localAddress: string;
  readonly remoteIp: string;
  readonly connectedAtMs = Date.now();
  private readonly socket: Socket;
  private readonly host: ConnectionHost;
  private readonly limits: ConnectionLimits;
  private readonly decoder: RespDecoder;
  private readonly slots: Slot[] = [];
  private head = 0;
  private out: Reply[] = [];
  private outBytes = 0;
  private flushQueued = false;
  private readonly flushTask = (): void => {
    this.flushQueued = false;
    this.flush();
  };
  /** No more commands are read (QUIT, a protocol error, server shutdown). */
  private inputClosed = false;
  private ended = false;
  private destroyed = false;
  private pausedFor: PauseReason | null = null;
  private inputScheduled = false;
  /**
   * An AUTH or HELLO is checking credentials (scrypt runs off the event loop): the commands
   * pipelined behind it wait, so that they run as the user it logs in, not before it.
   */
  private loggingIn = false;
  /** The client half-closed: once what it sent has run, the replies go out and we close too. */
  private peerEnded = false;
  private lingerTimer: NodeJS.Timeout | null = null;
  private readonly whenClosed: Promise<void>;

  constructor(socket: Socket, session: Session, host: ConnectionHost, limits: ConnectionLimits) {
    this.socket = socket;
    this.session = session;
    this.host = host;
    this.limits = limits;
    this.decoder = new RespDecoder(limits);
    this.address = peerId(socket.remoteAddress, socket.remotePort);
    this.localAddress = peerId(socket.localAddress, socket.localPort);
    this.remoteIp = socket.remoteAddress ?? 'unknown';
    session.client = this;
    socket.setNoDelay(true);
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs, () => {
        // A connection waiting on the engine is not idle; the reply will count as activity.
        if (this.inFlight === 0) socket.destroy();
      });
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onPeerEnd());
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => socket.destroy());
    this.whenClosed = new Promise((resolve) => {
      socket.once('close', () => {
        this.destroyed = true;
        this.inputClosed = true;
        if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
        this.setPaused(null);
        host.closed(this);
        resolve();
      });
    });
  }

  /** Commands read and not answered yet (including answered ones waiting behind the head). */
  get inFlight(): number {
    return this.slots.length - this.head;
  }

  get bufferedRequestBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** Reply bytes held for this client: queued in the socket and in the current batch. */
  get bufferedReplyBytes(): number {
    return this.socket.writableLength + this.outBytes;
  }

  /** Stops reading, lets the commands in flight answer, then closes; resolves once closed. */
  shutdown(): Promise<void> {
    if (!this.inputClosed) {
      this.inputClosed = true;
      this.enqueue(EMPTY_REPLY, true);
    }
    return this.whenClosed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.inputClosed) return; // after QUIT or an error: what the peer still sends is discarded
    this.decoder.push(chunk);
    this.scheduleInput();
  }

  /**
   * A client that sends its commands and then half-closes (`nc`, scripts) still gets every
   * reply: the server listens with allowHalfOpen, so our side stays writable until they are out.
   */
  private onPeerEnd(): void {
    this.peerEnded = true;
    this.scheduleInput();
  }

  private scheduleInput(): void {
    if (this.inputScheduled || this.inputClosed) return;
    this.inputScheduled = true;
    this.host.scheduleInput(this);
  }

  /** Runs the commands received, then writes the replies that are ready. */
  runInput(): void {
    this.inputScheduled = false;
    this.processInput();
    this.flush();
  }

  private processInput(): void {
    while (!this.inputClosed) {
      if (this.loggingIn) return;
      const blocked = this.blockedBy();
      if (blocked !== null) {
        this.setPaused(blocked);
        return;
      }
      let args: Buffer[] | null;
      try {
        args = this.decoder.next();
      } catch (error) {
        if (!(error instanceof RespProtocolError)) throw error;
        this.inputClosed = true;
        this.enqueue(errorReply('ERR', `Protocol error: ${error.message}`), true);
        return;
      }
      if (args === null) {
        if (this.peerEnded) {
          this.inputClosed = true;
          this.enqueue(EMPTY_REPLY, true);
        }
        return;
      }
      this.dispatch(args);
    }
  }

  private dispatch(args: Buffer[]): void {
    this.host.commandStarted();
    const startMs = performance.now();
    const spec = lookupCommand(args[0] as Buffer);
    if (spec === undefined) {
      if (this.session.transaction !== null) this.session.transaction.failed = true;
      this.answer(unknownCommand(args), 'unknown', startMs, 'BAD_REQUEST');
      return;
    }
    // A request longer than any command takes arrives with its name only (see the decoder).
    const argumentCount = args.length + this.decoder.droppedArguments;
    if (spec.arity > 0 ? argumentCount !== spec.arity : argumentCount < -spec.arity) {
      if (this.session.transaction !== null) this.session.transaction.failed = true;
      const reply = errorReply('ERR', `wrong number of arguments for '${spec.name}' command`);
      this.answer(reply, spec.name, startMs, 'BAD_REQUEST');
      return;
    }
    // One comparison of two fields per command: the session's level is its user's role.
    if (spec.access > this.session.access) {
      this.refuse(spec, startMs);
      return;
    }
    let result: Reply | Promise<Reply>;
    try {
      this.checkKeyCount(spec, argumentCount);
      result =
        this.session.transaction === null || runsInTransaction(spec)
          ? spec.run(this.session, args)
          : queueInTransaction(this.session, spec, args);
    } catch (error) {
      // A command refused while queueing aborts the EXEC to come, as in Redis.
      if (this.session.transaction !== null && !runsInTransaction(spec))
        this.session.transaction.failed = true;
      const [reply, outcome] = failure(error);
      this.answer(reply, spec.name, startMs, outcome);
      return;
    }
    if (result instanceof Uint8Array) {
      this.answer(result, spec.name, startMs, 'ok');
      return;
    }
    const slot = new Slot(spec.name, startMs);
    this.slots.push(slot);
    if (spec.access === ACCESS_OPEN) {
      this.loggingIn = true;
      result = result.finally(() => {
        this.loggingIn = false;
        this.scheduleInput();
      });
    }
    result.then(
      (reply) => this.settle(slot, reply, 'ok'),
      (error: unknown) => {
        const [reply, outcome] = failure(error);
        this.settle(slot, reply, outcome);
      },
    );
  }

  /** NOAUTH before a login, NOPERM (Redis 7's wording) for a command beyond the user's role. */
  private refuse(spec: CommandSpec, startMs: number): void {
    const session = this.session;
    if (session.access === ACCESS_OPEN) {
      this.answer(NOAUTH_REPLY, spec.name, startMs, 'NOAUTH');
      return;
    }
    const message = `User ${session.user} has no permissions to run the '${spec.name}' command`;
    this.answer(errorReply('NOPERM', message), spec.name, startMs, 'NOPERM');
  }

  /**
   * Refuses a command naming more keys than --max-keys-per-command, or one whose arguments the
   * decoder did not keep, before any of it reaches the engine.
   */
  private checkKeyCount(spec: CommandSpec, argumentCount: number): void {
    const max = this.limits.maxKeysPerCommand;
    if (spec.lastKey === -1) {
      const keys = Math.ceil((argumentCount - spec.firstKey) / spec.step);
      if (keys > max) {
        throw new KvError(
          'TOOLARGE',
          `${spec.name.toUpperCase()} names ${keys} keys; --max-keys-per-command is ${max}`,
        );
      }
    }
    if (this.decoder.droppedArguments > 0) {
      throw new KvError(
        'TOOLARGE',
        `${spec.name.toUpperCase()} has ${argumentCount} arguments; no command takes more than ${2 * max + 1} (--max-keys-per-command is ${max})`,
      );
    }
  }

  /** A reply known at once: written with the batch unless earlier commands are still running. */
  private answer(reply: Reply, command: string, startMs: number, outcome: string): void {
    this.host.metrics.observe('resp', command, (performance.now() - startMs) / 1000, outcome);
    const closeAfter = this.session.closeAfterReply;
    if (closeAfter) this.inputClosed = true;
    this.enqueue(reply, closeAfter);
  }

  private settle(slot: Slot, reply: Reply, outcome: string): void {
    this.host.metrics.observe('resp', slot.command, (performance.now() - slot.startMs) / 1000, outcome);
    slot.reply = reply;
    if (this.destroyed || this.slots[this.head] !== slot) return;
    this.drainSlots();
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
    this.maybeResume();
  }

  private enqueue(reply: Reply, closeAfter: boolean): void {
    if (this.head === this.slots.length && !closeAfter) {
      this.out.push(reply);
      this.outBytes += reply.length;
      return;
    }
    const slot = new Slot('', 0);
    slot.reply = reply;
    slot.closeAfter = closeAfter;
    this.slots.push(slot);
    if (this.head === this.slots.length - 1) this.drainSlots();
  }

  /** Moves the ready replies at the head of the FIFO to the output batch. */
  private drainSlots(): void {
    const slots = this.slots;
    while (this.head < slots.length) {
      const slot = slots[this.head] as Slot;
      if (slot.reply === null) break;
      this.out.push(slot.reply);
      this.outBytes += slot.reply.length;
      slot.reply = null;
      this.head++;
      if (slot.closeAfter) {
        this.endAfterReply();
        return;
      }
    }
    if (this.head === slots.length) {
      slots.length = 0;
      this.head = 0;
    } else if (this.head >= 1024) {
      slots.splice(0, this.head);
      this.head = 0;
    }
  }

  private flush(): void {
    const out = this.out;
    if (out.length === 0 || this.destroyed) return;
    if (out.length === 1) {
      this.socket.write(out[0] as Reply);
    } else if (this.outBytes <= COALESCE_BYTES_MAX) {
      this.socket.write(Buffer.concat(out, this.outBytes));
    } else {
      this.socket.cork();
      for (const reply of out) this.socket.write(reply);
      this.socket.uncork();
    }
    this.out = [];
    this.outBytes = 0;
  }

  /** What keeps this connection from reading more commands now, if anything. */
  private blockedBy(): PauseReason | null {
    if (this.bufferedReplyBytes > this.limits.writeBufferBytesMax) return 'writes';
    if (this.slots.length - this.head >= this.limits.pipelineDepthMax) return 'pipeline';
    return null;
  }

  private setPaused(reason: PauseReason | null): void {
    // A reply that lands after the socket closed must not pause a connection that is gone.
    if (this.pausedFor === reason || (this.destroyed && reason !== null)) return;
    if (this.pausedFor === null) this.socket.pause();
    this.pausedFor = reason;
    this.host.pausedChanged(this, reason);
  }

  /** Reads again once the FIFO and the socket's unsent bytes are back under their bounds. */
  private maybeResume(): void {
    if (this.pausedFor === null || this.inputClosed) return;
    const blocked = this.blockedBy();
    if (blocked !== null) {
      this.setPaused(blocked); // still paused, perhaps now for the other reason
      return;
    }
    // Commands already buffered in the decoder run first; they may fill the pipeline again.
    this.processInput();
    if (this.blockedBy() === null && !this.inputClosed) {
      this.setPaused(null);
      this.socket.resume();
    }
    this.flush();
  }

  /** Writes what is queued, sends FIN, and discards further input until the peer closes. */
  private endAfterReply(): void {
    if (this.ended) return;
    this.ended = true;
    this.inputClosed = true;
    this.flush();
    this.setPaused(null);
    this.socket.end();
    this.socket.resume();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), LINGER_MS);
    this.lingerTimer.unref();
  }
}

/** `ip:port` as Redis writes it (formatAddr): an IPv6 address in brackets. */
function peerId(ip: string | undefined, port: number | undefined): string {
  const host = ip ?? '?';
  return `${host.includes(':') ? `[${host}]` : host}:${port ?? 0}`;
}

/** Redis's wording: `unknown command 'x', with args beginning with: 'a' 'b' `. */
function unknownCommand(args: Buffer[]): Reply {
  const name = (args[0] as Buffer).toString('utf8').slice(0, ECHOED_ARGS_CHARS_MAX);
  let echoed = '';
  for (let at = 1; at < args.length && echoed.length < ECHOED_ARGS_CHARS_MAX; at++) {
    echoed += `'${(args[at] as Buffer).toString('utf8').slice(0, ECHOED_ARGS_CHARS_MAX)}' `;
  }
  return errorReply('ERR', `unknown command '${name}', with args beginning with: ${echoed}`);
}
