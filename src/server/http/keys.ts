// The key routes: GET, PUT and DELETE of /buckets/{bucket}/keys/{key}, POST
// /buckets/{bucket}/keys (a new key with a generated name), and GET /explain/{bucket}/{key}. Values travel as raw bytes; siblings and JSON clients get
// `{ "context", "values": [base64…] }`; the context always travels in the X-Context header.
import { randomBytes } from 'node:crypto';
import { KvError } from '../../errors.js';
import type { WriteOptions } from '../../main/db.js';
import { contextHeader, type Exchange, type Handler, quorumParam, readBody, wantsJson } from './exchange.js';
import { sendBytes, sendEmpty, sendJson } from './reply.js';

/** 404 (JSON, as every error) when nothing is stored; a tombstone's context still comes back in X-Context. */
export const getKey: Handler = async ({ db }, { req, res, query, bucket, key }) => {
  const r = quorumParam(query, 'r');
  const { values, context, expiresAt } = await db.bucket(bucket).get(key, r === undefined ? {} : { r });
  const headers: Record<string, string> = context === '' ? {} : { 'X-Context': context };
  // The newest value's remaining time to live, in seconds with ms precision.
  if (expiresAt !== null) headers['X-TTL'] = (Math.max(0, expiresAt - Date.now()) / 1000).toFixed(3);
  const json = wantsJson(req);
  if (values.length === 0) {
    // The error form every route answers, plus what a read of nothing still carries.
    const error = { code: 'NOT_FOUND', message: `no value stored under this key in bucket ${bucket}` };
    sendJson(res, 404, { error, context, values: [] }, headers);
    return;
  }
  if (values.length === 1 && !json) {
    const value = values[0] as Buffer;
    sendBytes(res, 200, value, { ...headers, 'Content-Type': 'application/octet-stream' });
    return;
  }
  const body = { context, values: values.map((value) => value.toString('base64')) };
  sendJson(res, values.length > 1 ? 300 : 200, body, headers);
};

/** Context and `?w=`; without a context the write is blind, or replaces all when `replace`. */
function writeOptions({ req, query }: Exchange, replace: boolean): WriteOptions {
  const options: WriteOptions = {};
  const context = contextHeader(req);
  if (context !== undefined) options.context = context;
  else if (replace) options.replace = true;
  const w = quorumParam(query, 'w');
  if (w !== undefined) options.w = w;
  return options;
}

const TTL_SECONDS = /^[0-9]{1,12}(\.[0-9]{1,3})?$/;

/** `X-TTL: seconds` (up to ms precision) on a PUT: the value expires that long after the write. */
function ttlHeader({ req }: Exchange): number | undefined {
  const header = req.headers['x-ttl'];
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  const seconds = TTL_SECONDS.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(seconds > 0)) {
    throw new KvError(
      'BAD_REQUEST',
      `X-TTL must be a number of seconds above 0 (ms precision); got '${text}'`,
    );
  }
  return Math.round(seconds * 1000);
}

/**
 * A PUT without X-Context is a blind write: it becomes a sibling of what is stored, as the
 * embedded API's put does (Riak's allow_mult). Answers 204 with the new version's X-Context.
 */
export const putKey: Handler = async ({ db }, exchange) => {
  const options = writeOptions(exchange, false);
  const ttlMs = ttlHeader(exchange);
  if (ttlMs !== undefined) options.ttlMs = ttlMs;
  const value = await readBody(exchange, db.config.maxValueBytes, 'the value');
  const { context } = await db.bucket(exchange.bucket).put(exchange.key, value, options);
  sendEmpty(exchange.res, 204, { 'X-Context': context });
};

/** Generated key names: 120 random bits, URL-safe, as Riak's POST without a key does. */
const GENERATED_KEY_BYTES = 15;

/** POST /buckets/{bucket}/keys: stores the value under a new random key; 201 with the key in Location. */
export const postKey: Handler = async ({ db }, exchange) => {
  const options = writeOptions(exchange, false);
  const value = await readBody(exchange, db.config.maxValueBytes, 'the value');
  const key = randomBytes(GENERATED_KEY_BYTES).toString('base64url');
  const { context } = await db.bucket(exchange.bucket).put(key, value, options);
  const location = `/buckets/${encodeURIComponent(exchange.bucket)}/keys/${key}`;
  sendJson(exchange.res, 201, { bucket: exchange.bucket, key }, { Location: location, 'X-Context': context });
};

/** A DELETE without X-Context supersedes every stored version (as Redis's DEL does). */
export const deleteKey: Handler = async ({ db }, exchange) => {
  const { context } = await db.bucket(exchange.bucket).delete(exchange.key, writeOptions(exchange, true));
  sendEmpty(exchange.res, 204, { 'X-Context': context });
};

/** Where a key lives and what each worker holds; tombstones have value null. */
export const explainKey: Handler = async ({ db }, { res, bucket, key }) => {
  const { partition, preferenceList, replicas } = await db.bucket(bucket).explain(key);
  sendJson(res, 200, {
    partition,
    preferenceList,
    replicas: replicas.map(({ worker, workerId, versions }) => ({
      worker,
      workerId,
      versions: versions.map(({ value, clock, ts, expiresAt, expired }) => ({
        value: value === null ? null : value.toString('base64'),
        clock,
        ts,
        expiresAt,
        expired,
      })),
    })),
  });
};
