// The Riak-like HTTP API on the main thread, on node:http with no framework: the routes are
// few (routes.ts), node:http is the fastest option and adds no dependency to keep. The server
// parses, hands the request to the engine, and replies; it does no storage work. PUT answers
// 204 with the new version's context in X-Context (Riak's answer without returnbody). Values
// are capped at db.config.maxValueBytes, other bodies at maxBodyBytes; both answer 413.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { Db } from '../../main/db.js';
import { ACCESS_OPEN } from '../auth/access.js';
import type { Authenticator } from '../auth/authenticator.js';
import { DashboardFeed } from '../dashboard/feed.js';
import type { ServerMetrics } from '../metrics.js';
import { clientCertificateRefused, type TlsListenerOptions, tlsServerOptions } from '../tls.js';
import { authorize } from './auth.js';
import { decodeBucket, percentDecode, type ServerContext } from './exchange.js';
import { registerWorkerGauges } from './gauges.js';
import { HttpError, sendError } from './reply.js';
import { matchRoute } from './routes.js';

export interface HttpServerOptions {
  host: string;
  /** The plain HTTP port (0: any free port); null for none (--http-port 0 of the CLI). */
  port: number | null;
  /** An HTTPS listener beside (or instead of) the plain one. */
  tls?: TlsListenerOptions;
  /** Credentials every route but /health checks; without it the API is open. */
  auth?: Authenticator | null;
  metrics: ServerMetrics;
  /** Limit of request bodies that are not values (bucket props). */
  maxBodyBytes: number;
  /** Time a client has to send a whole request (node:http's requestTimeout). */
  requestTimeoutMs: number;
  /** Enables the /admin/ routes; off, they answer 403. */
  faultInjection?: boolean;
}

export interface HttpServer {
  /** The plain HTTP port listened on (the one the OS chose when asked for port 0); 0 when off. */
  readonly port: number;
  /** The HTTPS port listened on; 0 without TLS. */
  readonly tlsPort: number;
  /** Swaps the TLS certificate and key for new connections (SIGHUP). */
  reloadTls(context: SecureContextOptions): void;
  /** Stops accepting, lets requests in flight finish (cut after requestTimeoutMs), resolves when closed. */
  close(): Promise<void>;
}

const HEADERS_TIMEOUT_MS_MAX = 60_000;
/**
 * node:http enforces requestTimeout and headersTimeout only when it sweeps its connections,
 * every 30 s by default: a body trickled in at a byte a second outlived a 5 s timeout. The
 * sweep runs a few times per timeout instead, so a request is cut (408) within a quarter of
 * the timeout after it ran out (a sweep visits only connections with a request in progress).
 */
const TIMEOUT_CHECKS_PER_TIMEOUT = 4;
const TIMEOUT_CHECK_INTERVAL_MS_MIN = 10;
const TIMEOUT_CHECK_INTERVAL_MS_MAX = 1_000;

/** The package's version, shown by the dashboard. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export async function startHttpServer(db: Db, options: HttpServerOptions): Promise<HttpServer> {
  const faultInjection = options.faultInjection === true;
  const context: ServerContext = {
    db,
    metrics: options.metrics,
    maxBodyBytes: options.maxBodyBytes,
    faultInjection,
    auth: options.auth ?? null,
    feed: new DashboardFeed(db, options.metrics, { version: VERSION, faultInjection }),
  };
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS_MAX, options.requestTimeoutMs);
  const checkIntervalMs = Math.round(headersTimeout / TIMEOUT_CHECKS_PER_TIMEOUT);
  const serverOptions = {
    // Both count from the start of a request (of a new connection, from its opening): its
    // headers must be in by headersTimeout, all of it, body included, by requestTimeout.
    // Past either, node:http answers 408 and closes the connection.
    requestTimeout: options.requestTimeoutMs,
    headersTimeout,
    connectionsCheckingInterval: Math.min(
      TIMEOUT_CHECK_INTERVAL_MS_MAX,
      Math.max(TIMEOUT_CHECK_INTERVAL_MS_MIN, checkIntervalMs),
    ),
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => void serve(context, req, res);
  const plain = options.port === null ? null : createServer(serverOptions, handler);
  plain?.on('connection', () => options.metrics.connectionOpened('http'));
  const tls = options.tls;
  const secure =
    tls === undefined ? null : createHttpsServer({ ...serverOptions, ...tlsServerOptions(tls) }, handler);
  secure?.on('secureConnection', (socket: TLSSocket) => {
    if (clientCertificateRefused(socket, tls?.authClients ?? 'no')) socket.destroy();
    else options.metrics.connectionOpened('http');
  });
  secure?.on('tlsClientError', (_error, socket) => socket.destroy());
  const port = plain === null ? 0 : await listenOn(plain, options.port ?? 0, options.host);
  const tlsPort = secure === null ? 0 : await listenOn(secure, tls?.port ?? 0, options.host);
  const servers = [plain, secure].filter((server) => server !== null);
  const removeGauges = registerWorkerGauges(options.metrics.registry, db);
  let closing: Promise<void> | null = null;
  const closeOne = async (server: Server): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), options.requestTimeoutMs).unref();
    await closed;
    clearTimeout(cut);
  };
  return {
    port,
    tlsPort,
    reloadTls(secureContext) {
      secure?.setSecureContext(secureContext);
    },
    close() {
      closing ??= (async () => {
        removeGauges();
        // Event streams never end by themselves: end them, or close() would wait for the cut.
        context.feed.close();
        await Promise.all(servers.map(closeOne));
      })();
      return closing;
    },
  };
}

function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** One request: route, decode, run the handler, answer errors as JSON, record the outcome. Never rejects. */
async function serve(context: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const match = matchRoute(req.method ?? 'GET', queryAt < 0 ? url : url.slice(0, queryAt));
  let outcome = 'ok';
  try {
    if (context.auth !== null && match.access > ACCESS_OPEN)
      await authorize(context.auth, req, res, match.access);
    if (match.kind === 'none') {
      throw new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${url.slice(0, 200)}`);
    }
    if (match.kind === 'method') {
      res.setHeader('Allow', match.allow);
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${match.allow}`);
    }
    await match.handler(context, {
      req,
      res,
      query: new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1)),
      bucket: match.bucket === '' ? '' : decodeBucket(match.bucket),
      key: percentDecode(match.key),
    });
  } catch (error) {
    outcome = sendError(res, error);
  }
  context.metrics.observe('http', match.command, (performance.now() - started) / 1000, outcome);
}
