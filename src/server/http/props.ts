// Bucket props: GET and PUT /buckets/{bucket}/props. The engine validates (n ≤ workers,
// r and w ≤ n, policy 'siblings' or 'lww'), persists them in the data directory, and refuses a
// change of n once the bucket holds data; this file only parses the JSON.
import type { BucketPropsInput } from '../../config.js';
import { KvError } from '../../errors.js';
import { checkBucketName } from '../../main/buckets.js';
import { type Handler, readBody } from './exchange.js';
import { sendEmpty, sendJson } from './reply.js';

const PROP_NAMES = new Set(['n', 'r', 'w', 'policy']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ "props": { … } }` (Riak's form) or the bare object; unknown fields are refused, not ignored. */
export function parseProps(body: Buffer): BucketPropsInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new KvError('BAD_REQUEST', `the body is not JSON: ${(error as Error).message}`);
  }
  const props = isObject(parsed) && 'props' in parsed ? parsed.props : parsed;
  if (!isObject(props)) {
    throw new KvError(
      'BAD_REQUEST',
      'the body must be a JSON object: { "props": { "n", "r", "w", "policy" } }',
    );
  }
  for (const name of Object.keys(props)) {
    if (!PROP_NAMES.has(name)) {
      throw new KvError('BAD_REQUEST', `unknown bucket prop ${JSON.stringify(name)}; known: n, r, w, policy`);
    }
  }
  // Types and ranges are checked by the engine, with messages that name the prop.
  return props as BucketPropsInput;
}

export const getProps: Handler = ({ db }, { res, bucket }) => {
  sendJson(res, 200, { props: db.buckets.props(checkBucketName(bucket)) });
};

export const putProps: Handler = async ({ db, maxBodyBytes }, exchange) => {
  const props = parseProps(await readBody(exchange, maxBodyBytes, 'the body'));
  db.bucket(exchange.bucket, props);
  sendEmpty(exchange.res, 204);
};
