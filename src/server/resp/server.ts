// The RESP (Redis protocol) server on the main thread, in front of the embedded engine: a
// node:net listener that gives each connection a decoder, a session (its bucket, its name) and
// an ordered reply FIFO (connection.ts). It enforces the connection limit, reports counters for
// INFO, and on close stops accepting, lets commands in flight answer (bounded), then closes.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import {
  createServer as createTlsServer,
  type SecureContextOptions,
  type TLSSocket,
  type Server as TlsServer,
} from 'node:tls';
import { KEYS_IN_FLIGHT_PER_COMMAND_MAX, KEYS_PER_COMMAND_MAX_DEFAULT } from '../../constants.js';
import type { Db } from '../../index.js';
import { ACCESS_ADMIN, ACCESS_OPEN } from '../auth/access.js';
import { type Authenticator, DEFAULT_USER } from '../auth/authenticator.js';
import type { ServerMetrics } from '../metrics.js';
import { clientCertificateRefused, type TlsListenerOptions, tlsServerOptions } from '../tls.js';
import type { RespServerStats, ServerView, Session } from './commands/spec.js';
import { COMMANDS } from './commands/table.js';
import {
  type ConnectionHost,
  type ConnectionLimits,
  type PauseReason,
  RespConnection,
} from './connection.js';

export type { RespServerStats } from './commands/spec.js';

export interface RespServerOptions {
  host: string;
  /** The plain-text listener's port (0: any free port); null for none (--port 0 of the CLI). */
  port: number | null;
  /** A TLS listener beside (or instead of) the plain one (port 0: any free port). */
  tls?: TlsListenerOptions;
  /** Credentials AUTH and HELLO check; without it every connection may run every command. */
  auth?: Authenticator | null;
  maxClients: number;
  /** Commands a connection may have in flight before the server stops reading it. */
  pipelineDepthMax: number;
  maxBulkBytes: number;
  maxArrayLength: number;
  maxInlineBytes: number;
  /** Close connections with no traffic for this long; 0 keeps them forever. */
  idleTimeoutMs: number;
  metrics: ServerMetrics;
  /** Unsent reply bytes a connection may hold before the server stops reading it. Default 1 MiB. */
  writeBufferBytesMax?: number;
  /** Bulk bytes one request may carry, all arguments together. Default the larger of 64 MiB and maxBulkBytes. */
  maxRequestBytes?: number;
  /** Keys one MGET, MSET, DEL or EXISTS may name (TOOLARGE past it). Default KEYS_PER_COMMAND_MAX_DEFAULT. */
  maxKeysPerCommand?: number;
  /** Keys of one multi-key command in flight at once. Default KEYS_IN_FLIGHT_PER_COMMAND_MAX. */
  keysInFlightPerCommandMax?: number;
}

export type { PauseReason } from './connection.js';

/**
 * Connection events, for tests and dashboards, each with the client id: `paused` when a
 * connection stops reading or its reason changes, `resumed`, and `closed`.
 */
export type RespServerEvents = EventEmitter<{
  paused: [id: number, reason: PauseReason];
  resumed: [id: number];
  closed: [id: number];
}>;

export interface RespServer {
  /** The plain-text port listened on (the one chosen by the OS when asked for 0); 0 when off. */
  readonly port: number;
  /** The TLS port listened on; 0 without TLS. */
  readonly tlsPort: number;
  /** Swaps the TLS certificate and key for new connections (SIGHUP); open ones keep theirs. */
  reloadTls(context: SecureContextOptions): void;
  readonly events: RespServerEvents;
  close(): Promise<void>;
  connections(): number;
  stats(): RespServerStats;
}

export const WRITE_BUFFER_BYTES_MAX_DEFAULT = 1024 * 1024;
export const REQUEST_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/** How long close() waits beyond the request timeout for commands in flight before it cuts connections. */
const CLOSE_GRACE_MS = 2_000;
const MAX_CLIENTS_REPLY = '-ERR max number of clients reached\r\n';

class RespServerImpl implements RespServer, ConnectionHost, ServerView {
  port = 0;
  tlsPort = 0;
  readonly auth: Authenticator | null;
  readonly events: RespServerEvents = new EventEmitter();
  readonly metrics: ServerMetrics;
  readonly commands = COMMANDS;
  readonly startedAtMs = Date.now();
  readonly keysInFlightPerCommandMax: number;
  private readonly db: Db;
  private readonly options: RespServerOptions;
  private readonly limits: ConnectionLimits;
  private readonly server: Server | null;
  private readonly tlsServer: TlsServer | null;
  private readonly open = new Set<RespConnection>();
  private readonly paused = new Set<RespConnection>();
  private nextClientId = 1;
  private connectionsReceived = 0;
  private connectionsRejected = 0;
  private commandsProcessed = 0;
  private commandsAtLastSample = 0;
  private opsPerSec = 0;
  private readonly sampleTimer: NodeJS.Timeout;
  private closing: Promise<void> | null = null;
  /**
   * Connections that received data this event-loop turn. Their commands run together in one
   * setImmediate, so the frames they send to workers leave in one flush (one doorbell per
   * worker per turn) instead of one flush per socket read.
   */
  private inputReady: RespConnection[] = [];
  private readonly runInputTask = (): void => {
    const ready = this.inputReady;
    this.inputReady = [];
    for (const connection of ready) connection.runInput();
  };

  constructor(db: Db, options: RespServerOptions) {
    this.db = db;
    this.options = options;
    this.metrics = options.metrics;
    this.keysInFlightPerCommandMax = options.keysInFlightPerCommandMax ?? KEYS_IN_FLIGHT_PER_COMMAND_MAX;
    const maxKeysPerCommand = options.maxKeysPerCommand ?? KEYS_PER_COMMAND_MAX_DEFAULT;
    this.limits = {
      maxBulkBytes: options.maxBulkBytes,
      maxArrayLength: options.maxArrayLength,
      maxInlineBytes: options.maxInlineBytes,
      maxRequestBytes: options.maxRequestBytes ?? Math.max(REQUEST_BYTES_MAX_DEFAULT, options.maxBulkBytes),
      maxKeysPerCommand,
      // No command takes more arguments than MSET with every key it may name; the arguments
      // of a longer request are read but not kept (it is answered with TOOLARGE).
      maxArgumentsKept: 2 * maxKeysPerCommand + 1,
      pipelineDepthMax: options.pipelineDepthMax,
      writeBufferBytesMax: options.writeBufferBytesMax ?? WRITE_BUFFER_BYTES_MAX_DEFAULT,
      idleTimeoutMs: options.idleTimeoutMs,
    };
    this.auth = options.auth ?? null;
    this.server =
      options.port === null ? null : createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    const tls = options.tls;
    this.tlsServer =
      tls === undefined
        ? null
        : // Not allowHalfOpen: a client that hangs up during the handshake would otherwise leave
          // a socket that never closes, and close() would wait for it. A TLS client that
          // half-closes loses the replies still in flight (plain-text clients keep them).
          createTlsServer({ ...tlsServerOptions(tls), allowHalfOpen: false }, (socket: TLSSocket) => {
            if (clientCertificateRefused(socket, tls.authClients)) socket.destroy();
            else this.accept(socket);
          });
    // A client that does not speak TLS (or fails the handshake) is disconnected; nothing else.
    this.tlsServer?.on('tlsClientError', (_error, socket) => socket.destroy());
    this.sampleTimer = setInterval(() => {
      this.opsPerSec = this.commandsProcessed - this.commandsAtLastSample;
      this.commandsAtLastSample = this.commandsProcessed;
    }, 1000);
    this.sampleTimer.unref();
  }

  async listen(): Promise<void> {
    if (this.server !== null)
      this.port = await listenOn(this.server, this.options.port ?? 0, this.options.host);
    if (this.tlsServer !== null) {
      this.tlsPort = await listenOn(this.tlsServer, this.options.tls?.port ?? 0, this.options.host);
    }
  }

  reloadTls(context: SecureContextOptions): void {
    this.tlsServer?.setSecureContext(context);
  }

  private accept(socket: Socket): void {
    if (this.closing !== null || this.open.size >= this.options.maxClients) {
      this.connectionsRejected++;
      socket.on('error', () => socket.destroy());
      socket.end(MAX_CLIENTS_REPLY);
      socket.resume(); // discard what the client sends until it reads the error and closes
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    this.connectionsReceived++;
    this.metrics.connectionOpened('resp');
    const session: Session = {
      id: this.nextClientId++,
      db: this.db,
      server: this,
      access: this.auth === null ? ACCESS_ADMIN : ACCESS_OPEN,
      user: DEFAULT_USER,
      bucket: this.db,
      protocol: 2,
      clientName: null,
      libName: null,
      libVersion: null,
      client: null,
      closeAfterReply: false,
      transaction: null,
      watched: [],
    };
    this.open.add(new RespConnection(socket, session, this, this.limits));
  }

  scheduleInput(connection: RespConnection): void {
    if (this.inputReady.push(connection) === 1) setImmediate(this.runInputTask);
  }

  commandStarted(): void {
    this.commandsProcessed++;
  }

  pausedChanged(connection: RespConnection, reason: PauseReason | null): void {
    if (reason === null) {
      this.paused.delete(connection);
      this.events.emit('resumed', connection.session.id);
    } else {
      this.paused.add(connection);
      this.events.emit('paused', connection.session.id, reason);
    }
  }

  closed(connection: RespConnection): void {
    this.open.delete(connection);
    this.paused.delete(connection);
    this.events.emit('closed', connection.session.id);
  }

  connections(): number {
    return this.open.size;
  }

  stats(): RespServerStats {
    let inFlight = 0;
    let replyBytes = 0;
    for (const connection of this.open) {
      inFlight += connection.inFlight;
      replyBytes += connection.bufferedReplyBytes;
    }
    return {
      connections: this.open.size,
      connectionsPaused: this.paused.size,
      connectionsReceived: this.connectionsReceived,
      connectionsRejected: this.connectionsRejected,
      commandsProcessed: this.commandsProcessed,
      commandsInFlight: inFlight,
      bufferedReplyBytes: replyBytes,
      opsPerSec: this.opsPerSec,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.sampleTimer);
    const listeners = [this.server, this.tlsServer].filter((server) => server !== null);
    const listenerClosed = Promise.all(
      listeners.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    // Commands in flight end within the engine's request timeout; past it (and a grace), cut.
    const cut = setTimeout(() => {
      for (const connection of this.open) connection.destroy();
    }, this.db.config.requestTimeoutMs + CLOSE_GRACE_MS);
    await Promise.all([...this.open].map((connection) => connection.shutdown()));
    clearTimeout(cut);
    await listenerClosed;
  }
}

/** Listens on host:port; resolves with the port (the OS's choice when asked for 0). */
function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Starts the RESP server; resolves once it listens. */
export async function startRespServer(db: Db, options: RespServerOptions): Promise<RespServer> {
  const server = new RespServerImpl(db, options);
  await server.listen();
  return server;
}
