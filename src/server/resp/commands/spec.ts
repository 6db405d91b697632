// What a RESP command is to the server: its arity and flags (what COMMAND reports) and a run
// function that answers synchronously with an encoded reply or with a promise of one. Also the
// per-connection session commands see, and the argument parsers they share. Failures are thrown
// (or rejected) as KvError, or RespCommandError for replies whose code word is Redis's own.
import type { Bucket, Db } from '../../../index.js';
import { ERROR_CODES, KvError } from '../../../index.js';
import type { AccessLevel } from '../../auth/access.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { array, errorReply, type Protocol, type Reply, simpleString } from '../encoder.js';

export type CommandResult = Reply | Promise<Reply>;

export interface CommandSpec {
  /** Lower case, as COMMAND reports it. */
  readonly name: string;
  /** Redis's convention: N means exactly N arguments (name included), -N at least N. */
  readonly arity: number;
  readonly flags: readonly string[];
  /**
   * Who may run it: ACCESS_OPEN before authenticating (AUTH, HELLO, QUIT), else the lowest role
   * (read, write, admin). table.ts checks it agrees with the write and admin flags.
   */
  readonly access: AccessLevel;
  /** Argument positions of the keys, as COMMAND reports them (0 when the command has none). */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  run(session: Session, args: Buffer[]): CommandResult;
}

/** Counters INFO reports about the server; the server's own stats() returns them. */
export interface RespServerStats {
  /** Open client connections. */
  connections: number;
  /** Connections whose reading is paused (pipeline full or replies not being read). */
  connectionsPaused: number;
  connectionsReceived: number;
  connectionsRejected: number;
  commandsProcessed: number;
  /** Commands read but not answered yet, over all connections. */
  commandsInFlight: number;
  /** Reply bytes written but not yet taken by the clients' sockets, over all connections. */
  bufferedReplyBytes: number;
  /** Commands per second over the last full second. */
  opsPerSec: number;
}

/** The server as commands see it (INFO, COMMAND). */
export interface ServerView {
  readonly port: number;
  readonly startedAtMs: number;
  readonly commands: readonly CommandSpec[];
  /** Keys of one multi-key command sent to the engine at once (the size of its slices). */
  readonly keysInFlightPerCommandMax: number;
  /** Checks AUTH and HELLO AUTH credentials; null when no password or users file is configured. */
  readonly auth: Authenticator | null;
  stats(): RespServerStats;
}

/** What CLIENT INFO tells about a connection beyond its session: addresses and buffers. */
export interface ClientView {
  /** `ip:port` of the client, and of our end. */
  readonly address: string;
  readonly localAddress: string;
  /** The client's IP address alone, which failed logins are counted by. */
  readonly remoteIp: string;
  readonly connectedAtMs: number;
  /** Request bytes received and not parsed into a command yet. */
  readonly bufferedRequestBytes: number;
  /** Reply bytes not taken by the socket yet. */
  readonly bufferedReplyBytes: number;
}

/** One connection's state, visible to its commands. */
export interface Session {
  readonly id: number;
  readonly db: Db;
  readonly server: ServerView;
  /**
   * What this connection may run: ACCESS_OPEN until it authenticates when a password is set,
   * then its user's role; ACCESS_ADMIN from the start without passwords. Every command is
   * checked against it with one comparison.
   */
  access: AccessLevel;
  /** The user it is logged in as (`default` until AUTH names another), for CLIENT INFO and NOPERM. */
  user: string;
  /** Where this connection's keys live: the default bucket until BUCKET name. */
  bucket: Bucket;
  /** The reply protocol: 2 until `HELLO 3`; encoders of RESP3 types take it. */
  protocol: Protocol;
  clientName: string | null;
  /** What the client library said about itself (CLIENT SETINFO LIB-NAME / LIB-VER). */
  libName: string | null;
  libVersion: string | null;
  /** Set by the connection once it exists; CLIENT INFO reads it. */
  client: ClientView | null;
  /** Set by QUIT: the connection closes once this command's reply is written. */
  closeAfterReply: boolean;
  /** Between MULTI and EXEC or DISCARD: the commands queued (multi.ts); null otherwise. */
  transaction: Transaction | null;
  /** Keys WATCHed since the last EXEC, DISCARD or UNWATCH, with what each read showed then. */
  watched: WatchedKey[];
}

export interface Transaction {
  readonly queued: { spec: CommandSpec; args: Buffer[] }[];
  /** A command was refused while queueing: EXEC answers EXECABORT, as Redis does. */
  failed: boolean;
}

export interface WatchedKey {
  readonly bucket: Bucket;
  readonly key: Buffer;
  /** The key's context and newest value at WATCH, or why the read failed. */
  readonly seen: Promise<string>;
}

/** The error reply and metrics outcome of a failed command. */
export function failureReply(error: unknown): [Reply, string] {
  if (error instanceof KvError) return [errorReply(ERROR_CODES[error.code].resp, error.message), error.code];
  if (error instanceof RespCommandError) return [errorReply(error.word, error.message), 'BAD_REQUEST'];
  const message = error instanceof Error ? error.message : String(error);
  return [errorReply('ERR', `internal error: ${message}`), 'INTERNAL'];
}

/** An error reply with a code word of Redis's own (NOPROTO, ...) rather than a KvError code. */
export class RespCommandError extends Error {
  readonly word: string;

  constructor(word: string, message: string) {
    super(message);
    this.name = 'RespCommandError';
    this.word = word;
  }
}

export function wrongArity(name: string): KvError {
  return new KvError('BAD_REQUEST', `wrong number of arguments for '${name}' command`);
}

export function syntaxError(): KvError {
  return new KvError('BAD_REQUEST', 'syntax error');
}

/** An argument as text: UTF-8 for names and messages. */
export function text(arg: Buffer): string {
  return arg.toString('utf8');
}

/** An argument as an upper-case keyword (option names such as EX or R). */
export function keyword(arg: Buffer): string {
  return arg.toString('latin1').toUpperCase();
}

const INTEGER = /^-?[0-9]{1,15}$/;

/** A decimal integer argument; anything else is Redis's "not an integer" error. */
export function integerArg(arg: Buffer): number {
  const value = arg.toString('latin1');
  if (!INTEGER.test(value)) throw new KvError('BAD_REQUEST', 'value is not an integer or out of range');
  return Number(value);
}

/**
 * Reads `[NAME value]` at `args[at]` for commands whose only option is one quorum (VGET's R,
 * VPUT's and VDEL's W). Returns undefined when the option is absent.
 */
export function quorumOption(name: string, args: Buffer[], at: number, command: string): number | undefined {
  if (args.length === at) return undefined;
  if (args.length !== at + 2) throw wrongArity(command);
  if (keyword(args[at] as Buffer) !== name) throw syntaxError();
  return integerArg(args[at + 1] as Buffer);
}

/**
 * A container's HELP reply as Redis builds it (addReplyHelp): a header naming the command, the
 * subcommands' lines, then HELP itself, each a simple string.
 */
export function helpReply(command: string, lines: readonly string[]): Reply {
  return array(
    [
      `${command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
      ...lines,
      'HELP',
      '    Print this help.',
    ].map((line) => simpleString(line)),
  );
}
