// The Riak-like HTTP API on the main thread, on node:http with no framework: the routes are
// few (routes.ts), node:http is the fastest option and adds no dependency to keep. The server
// parses, hands the request to the engine, and replies; it does no storage work. PUT answers
// 204 with the new version's context in X-Context (Riak's answer without returnbody). Values
// are capped at db.config.maxValueBytes, other bodies at maxBodyBytes; both answer 413.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Db } from '../../main/db.js';
import { DashboardFeed } from '../dashboard/feed.js';
import type { ServerMetrics } from '../metrics.js';
import { decodeBucket, percentDecode, type ServerContext } from './exchange.js';
import { registerWorkerGauges } from './gauges.js';
import { HttpError, sendError } from './reply.js';
import { matchRoute } from './routes.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  metrics: ServerMetrics;
  /** Limit of request bodies that are not values (bucket props). */
  maxBodyBytes: number;
  /** Time a client has to send a whole request (node:http's requestTimeout). */
  requestTimeoutMs: number;
  /** Enables the /admin/ routes; off, they answer 403. */
  faultInjection?: boolean;
}

export interface HttpServer {
  /** The port listened on (the one the OS chose when asked for port 0). */
  readonly port: number;
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
    feed: new DashboardFeed(db, options.metrics, { version: VERSION, faultInjection }),
  };
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS_MAX, options.requestTimeoutMs);
  const checkIntervalMs = Math.round(headersTimeout / TIMEOUT_CHECKS_PER_TIMEOUT);
  const server = createServer(
    {
      // Both count from the start of a request (of a new connection, from its opening): its
      // headers must be in by headersTimeout, all of it, body included, by requestTimeout.
      // Past either, node:http answers 408 and closes the connection.
      requestTimeout: options.requestTimeoutMs,
      headersTimeout,
      connectionsCheckingInterval: Math.min(
        TIMEOUT_CHECK_INTERVAL_MS_MAX,
        Math.max(TIMEOUT_CHECK_INTERVAL_MS_MIN, checkIntervalMs),
      ),
    },
    (req, res) => void serve(context, req, res),
  );
  server.on('connection', () => options.metrics.connectionOpened('http'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const removeGauges = registerWorkerGauges(options.metrics.registry, db);
  let closing: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    removeGauges();
    // Event streams never end by themselves: end them, or close() would wait for the cut.
    context.feed.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), options.requestTimeoutMs).unref();
    await closed;
    clearTimeout(cut);
  };
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= close();
      return closing;
    },
  };
}

/** One request: route, decode, run the handler, answer errors as JSON, record the outcome. Never rejects. */
async function serve(context: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const match = matchRoute(req.method ?? 'GET', queryAt < 0 ? url : url.slice(0, queryAt));
  let outcome = 'ok';
  try {
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
