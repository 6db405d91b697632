// What a route handler receives (the server's shared context, the request, its decoded path
// parameters and query), and the request-side helpers: path percent-decoding, quorum overrides
// from the query, content negotiation, and a body reader that stops at its size limit.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SYMBOLIC_QUORUMS } from '../../config.js';
import { KvError } from '../../errors.js';
import type { Db, Quorum } from '../../main/db.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { DashboardFeed } from '../dashboard/feed.js';
import type { ServerMetrics } from '../metrics.js';

export interface ServerContext {
  readonly db: Db;
  readonly metrics: ServerMetrics;
  /** Limit of bodies that are not values (bucket props); values are held to db.config.maxValueBytes. */
  readonly maxBodyBytes: number;
  readonly faultInjection: boolean;
  /** Credentials the routes check; null when the API is open. */
  readonly auth: Authenticator | null;
  /** The dashboard's live data (GET /events). */
  readonly feed: DashboardFeed;
}

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  /** The decoded `{bucket}` segment ('' on routes without one). */
  readonly bucket: string;
  /** The decoded `{key}` segment as raw bytes: keys are binary-safe, as over RESP. */
  readonly key: Buffer;
}

export type Handler = (server: ServerContext, exchange: Exchange) => Promise<void> | void;

const PERCENT = 0x25;

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * Decodes one path segment to bytes. Node hands the request line over as latin1, so a byte a
 * client sent unescaped maps back to itself; `%XX` becomes byte XX. A `/` inside a key must
 * be sent as `%2F`, since segments are split before decoding.
 */
export function percentDecode(segment: string): Buffer {
  const raw = Buffer.from(segment, 'latin1');
  if (!segment.includes('%')) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] as number;
    if (byte !== PERCENT) {
      out[length++] = byte;
      continue;
    }
    const high = hexValue(raw[i + 1]);
    const low = hexValue(raw[i + 2]);
    if (high < 0 || low < 0) {
      throw new KvError('BAD_REQUEST', `path segment ${JSON.stringify(segment)} has a malformed %-escape`);
    }
    out[length++] = high * 16 + low;
    i += 2;
  }
  return out.subarray(0, length);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A bucket name: percent-decoded, and valid UTF-8 (the engine checks its length). */
export function decodeBucket(segment: string): string {
  try {
    return utf8.decode(percentDecode(segment));
  } catch (error) {
    if (error instanceof KvError) throw error;
    throw new KvError('BAD_REQUEST', 'a bucket name must be valid UTF-8 once percent-decoded');
  }
}

const QUORUM_PATTERN = /^[0-9]{1,3}$/;

/**
 * `?r=` or `?w=` as a number or one of Riak's symbolic quorums ('one', 'quorum', 'all',
 * 'default'), or undefined when absent; the engine resolves it and checks it against n.
 */
export function quorumParam(query: URLSearchParams, name: 'r' | 'w'): Quorum | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const symbolic = SYMBOLIC_QUORUMS.find((known) => known === text);
  if (symbolic !== undefined) return symbolic;
  if (!QUORUM_PATTERN.test(text)) {
    throw new KvError(
      'BAD_REQUEST',
      `${name} must be a positive integer or 'one', 'quorum', 'all', 'default'; got ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

export function wantsJson(req: IncomingMessage): boolean {
  return req.headers.accept?.includes('application/json') === true;
}

/** The X-Context header, or undefined when absent or empty (both mean: no context). */
export function contextHeader(req: IncomingMessage): string | undefined {
  const context = req.headers['x-context'];
  return typeof context === 'string' && context.length > 0 ? context : undefined;
}

function tooLarge(what: string, bytes: string, limit: number): KvError {
  return new KvError('TOOLARGE', `${what} is ${bytes} bytes; the limit is ${limit}`);
}

/**
 * Reads the whole body, refusing with TOOLARGE as soon as it is known to exceed `limit`: from
 * Content-Length before reading anything, else when the bytes counted so far pass it. A refused
 * body is left unread, so the reply closes the connection rather than drain it.
 */
export function readBody({ req, res }: Exchange, limit: number, what: string): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    res.setHeader('Connection', 'close');
    return Promise.reject(tooLarge(what, declared, limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: KvError | null) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error === null) resolve(Buffer.concat(chunks, size));
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      res.setHeader('Connection', 'close');
      stop(tooLarge(what, `over ${limit}`, limit));
    };
    const onEnd = () => stop(null);
    const onError = (error: Error) =>
      stop(new KvError('BAD_REQUEST', `reading the body failed: ${error.message}`));
    const onClose = () =>
      stop(new KvError('BAD_REQUEST', 'the client closed the request before its body ended'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
