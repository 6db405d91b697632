// Goal: the HTTP key API answers as documented: 200/204/300/404, siblings and their resolution,
// contexts, limits, and keys of any bytes. Method: a real server on port 0 over a real engine.

import { once } from 'node:events';
import { type IncomingMessage, request } from 'node:http';
import t from 'tap';
import { open } from '../../src/index.js';
import { startHttpServer } from '../../src/server/http/server.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const MAX_VALUE_BYTES = 1024;

const db = await open({
  dir: freshDir(t, 'http'),
  workers: 3,
  n: 3,
  r: 2,
  w: 2,
  maxValueBytes: MAX_VALUE_BYTES,
});
const server = await startHttpServer(db, {
  host: '127.0.0.1',
  port: 0,
  metrics: new ServerMetrics(),
  maxBodyBytes: 64 * 1024,
  requestTimeoutMs: 5_000,
});
t.teardown(async () => {
  await server.close();
  await db.close();
});

const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
const keyUrl = (key: string, bucket = 'http') =>
  url(`/buckets/${encodeURIComponent(bucket)}/keys/${encodeURIComponent(key)}`);

async function put(key: string, value: string | Uint8Array, headers: Record<string, string> = {}) {
  return fetch(keyUrl(key), { method: 'PUT', body: value, headers });
}

interface SiblingsBody {
  context: string;
  values: string[];
}
interface ErrorBody {
  error: { code: string; message: string };
}

const decoded = (body: SiblingsBody) => body.values.map((v) => Buffer.from(v, 'base64').toString()).sort();

t.test('a PUT answers 204 with a context, and a GET returns the raw bytes with 200', async (t) => {
  const written = await put('plain', 'hello');
  t.equal(written.status, 204);
  t.ok(written.headers.get('x-context'), 'the PUT returns the new context');
  const read = await fetch(keyUrl('plain'));
  t.equal(read.status, 200);
  t.equal(read.headers.get('content-type'), 'application/octet-stream');
  t.ok(read.headers.get('x-context'));
  t.equal(await read.text(), 'hello');
});

t.test('a GET of a key never written answers 404 with the JSON error form, Accept or not', async (t) => {
  for (const headers of [{}, { accept: 'application/json' }]) {
    const read = await fetch(keyUrl('never-written'), { headers });
    t.equal(read.status, 404);
    t.match(read.headers.get('content-type'), /^application\/json/);
    const body = (await read.json()) as { error: { code: string; message: string }; values: unknown[] };
    t.equal(body.error.code, 'NOT_FOUND');
    t.match(body.error.message, /no value stored/);
    t.same(body.values, []);
  }
});

t.test('with Accept: application/json a single value comes back as 200 JSON in base64', async (t) => {
  await put('as-json', 'v1');
  const read = await fetch(keyUrl('as-json'), { headers: { accept: 'application/json' } });
  t.equal(read.status, 200);
  const body = (await read.json()) as SiblingsBody;
  t.same(decoded(body), ['v1']);
  t.equal(body.context, read.headers.get('x-context'));
});

t.test(
  'two PUTs with the same context give 300 with both values; a PUT with its context resolves them',
  async (t) => {
    await put('fork', 'base');
    const base = await fetch(keyUrl('fork'));
    const context = base.headers.get('x-context') ?? '';
    await base.arrayBuffer();
    t.equal((await put('fork', 'left', { 'x-context': context })).status, 204);
    t.equal((await put('fork', 'right', { 'x-context': context })).status, 204);

    const both = await fetch(keyUrl('fork'));
    t.equal(both.status, 300);
    const siblings = (await both.json()) as SiblingsBody;
    t.same(decoded(siblings), ['left', 'right']);
    t.equal(siblings.context, both.headers.get('x-context'));

    const asJson = await fetch(keyUrl('fork'), { headers: { accept: 'application/json' } });
    t.equal(asJson.status, 300, 'siblings stay 300 for JSON clients too');
    await asJson.arrayBuffer();

    t.equal((await put('fork', 'merged', { 'x-context': siblings.context })).status, 204);
    const resolved = await fetch(keyUrl('fork'));
    t.equal(resolved.status, 200);
    t.equal(await resolved.text(), 'merged');
  },
);

t.test('a DELETE answers 204 and a later GET answers 404 with the tombstone context', async (t) => {
  await put('doomed', 'x');
  const deleted = await fetch(keyUrl('doomed'), { method: 'DELETE' });
  t.equal(deleted.status, 204);
  const read = await fetch(keyUrl('doomed'));
  t.equal(read.status, 404);
  await read.arrayBuffer();
  const asJson = await fetch(keyUrl('doomed'), { headers: { accept: 'application/json' } });
  t.equal(asJson.status, 404);
  const body = (await asJson.json()) as SiblingsBody;
  t.same(body.values, []);
  t.ok(body.context.length > 0, 'the tombstone has a context');
  t.equal(asJson.headers.get('x-context'), body.context);
  t.equal((await put('doomed', 'back', { 'x-context': body.context })).status, 204);
  const revived = await fetch(keyUrl('doomed'));
  t.equal(revived.status, 200);
  t.equal(await revived.text(), 'back', 'a PUT with the tombstone context supersedes it without siblings');
});

t.test('a DELETE without a context removes every sibling', async (t) => {
  await put('twins', 'a');
  await put('twins', 'b');
  const before = await fetch(keyUrl('twins'));
  t.equal(before.status, 300);
  await before.arrayBuffer();
  t.equal((await fetch(keyUrl('twins'), { method: 'DELETE' })).status, 204);
  const after = await fetch(keyUrl('twins'));
  t.equal(after.status, 404);
  await after.arrayBuffer();
});

t.test('a context ringkv did not issue is refused with 400 BAD_CONTEXT and nothing is stored', async (t) => {
  const written = await put('bad-context', 'v', { 'x-context': 'not a context!' });
  t.equal(written.status, 400);
  t.equal(((await written.json()) as ErrorBody).error.code, 'BAD_CONTEXT');
  const read = await fetch(keyUrl('bad-context'));
  t.equal(read.status, 404);
  await read.arrayBuffer();
});

t.test('quorum overrides out of range or not numbers answer 400 BAD_REQUEST', async (t) => {
  for (const query of ['?r=4', '?r=0', '?r=abc', '?r=-1']) {
    const read = await fetch(`${keyUrl('plain')}${query}`);
    t.equal(read.status, 400, query);
    t.equal(((await read.json()) as ErrorBody).error.code, 'BAD_REQUEST', query);
  }
  const written = await fetch(`${keyUrl('plain')}?w=9`, { method: 'PUT', body: 'v' });
  t.equal(written.status, 400);
  await written.arrayBuffer();
  const ok = await fetch(`${keyUrl('plain')}?r=3`);
  t.equal(ok.status, 200, 'r=3 is within n=3');
  await ok.arrayBuffer();
});

t.test(
  'a value of exactly maxValueBytes is stored; one byte more answers 413 TOOLARGE and stores nothing',
  async (t) => {
    t.equal((await put('at-limit', Buffer.alloc(MAX_VALUE_BYTES, 1))).status, 204);
    const refused = await put('over-limit', Buffer.alloc(MAX_VALUE_BYTES + 1, 1));
    t.equal(refused.status, 413);
    t.equal(((await refused.json()) as ErrorBody).error.code, 'TOOLARGE');
    const read = await fetch(keyUrl('over-limit'));
    t.equal(read.status, 404);
    await read.arrayBuffer();
  },
);

/** Sends a PUT without ending it: the answer must come from what the server has seen so far. */
async function unfinishedPut(key: string, headers: Record<string, string>, chunks: Buffer[]) {
  const req = request(keyUrl(key), { method: 'PUT', headers });
  req.flushHeaders();
  for (const chunk of chunks) req.write(chunk);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let body = '';
  for await (const chunk of res) body += chunk;
  req.destroy();
  return { status: res.statusCode, connection: res.headers.connection, body: JSON.parse(body) as ErrorBody };
}

t.test('a Content-Length over the limit is refused with 413 before any of the body is read', async (t) => {
  const reply = await unfinishedPut('declared-huge', { 'content-length': String(2 ** 31) }, []);
  t.equal(reply.status, 413);
  t.equal(reply.body.error.code, 'TOOLARGE');
  t.equal(reply.connection, 'close', 'the unread body is not drained: the connection closes');
});

t.test('a chunked body is refused with 413 as soon as the bytes received pass the limit', async (t) => {
  const chunk = Buffer.alloc(MAX_VALUE_BYTES / 2 + 100, 2);
  const reply = await unfinishedPut('streamed-huge', {}, [chunk, chunk]);
  t.equal(reply.status, 413);
  t.equal(reply.body.error.code, 'TOOLARGE');
  const read = await fetch(keyUrl('streamed-huge'));
  t.equal(read.status, 404);
  await read.arrayBuffer();
});

t.test('percent-encoded keys and buckets with slashes, spaces and unicode round-trip exactly', async (t) => {
  const key = 'a/b c/ünï/😀?#%&+';
  const bucket = 'büçket/ß';
  const written = await fetch(keyUrl(key, bucket), { method: 'PUT', body: 'encoded' });
  t.equal(written.status, 204);
  const read = await fetch(keyUrl(key, bucket));
  t.equal(read.status, 200);
  t.equal(await read.text(), 'encoded');
  const direct = await db.bucket(bucket).get(key);
  t.same(
    direct.values.map((v) => v.toString()),
    ['encoded'],
    'the engine holds the decoded key',
  );
});

t.test(
  'a key of arbitrary bytes written through the engine is readable by percent-encoding each byte',
  async (t) => {
    const key = Buffer.from([0x00, 0xff, 0x2f, 0x80]);
    await db.bucket('http').put(key, 'binary');
    const encoded = [...key].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    const read = await fetch(url(`/buckets/http/keys/${encoded}`));
    t.equal(read.status, 200);
    t.equal(await read.text(), 'binary');
  },
);

t.test('a malformed percent-escape answers 400', async (t) => {
  const read = await fetch(url('/buckets/http/keys/bad%zzkey'));
  t.equal(read.status, 400);
  t.equal(((await read.json()) as ErrorBody).error.code, 'BAD_REQUEST');
});

t.test('an unescaped slash in a key matches no route and answers 404 JSON', async (t) => {
  const read = await fetch(url('/buckets/http/keys/a/b'));
  t.equal(read.status, 404);
  t.equal(((await read.json()) as ErrorBody).error.code, 'NOT_FOUND');
});

t.test(
  'explain shows the value on 3 workers in base64, and a tombstone as null after a DELETE',
  async (t) => {
    await put('explained', 'seen');
    const live = (await (await fetch(url('/explain/http/explained'))).json()) as {
      preferenceList: number[];
      replicas: { worker: number; versions: { value: string | null }[] }[];
    };
    t.equal(live.preferenceList.length, 3);
    t.equal(live.replicas.length, 3);
    for (const replica of live.replicas) {
      t.same(
        replica.versions.map((v) => v.value),
        [Buffer.from('seen').toString('base64')],
      );
    }
    await fetch(keyUrl('explained'), { method: 'DELETE' });
    const dead = (await (await fetch(url('/explain/http/explained'))).json()) as typeof live;
    for (const replica of dead.replicas)
      t.same(
        replica.versions.map((v) => v.value),
        [null],
      );
  },
);

t.test(
  "Riak's symbolic quorums are taken in ?r= and ?w= and in props, stored as the number they mean",
  async (t) => {
    for (const query of ['?r=one', '?r=quorum', '?r=all', '?r=default']) {
      const read = await fetch(`${keyUrl('plain')}${query}`);
      t.equal(read.status, 200, query);
      await read.arrayBuffer();
    }
    for (const query of ['?w=one', '?w=quorum', '?w=all', '?w=default']) {
      const written = await fetch(`${keyUrl('symbolic')}${query}`, { method: 'PUT', body: 'v' });
      t.equal(written.status, 204, query);
      await written.arrayBuffer();
    }
    const unknown = await fetch(`${keyUrl('plain')}?r=most`);
    t.equal(unknown.status, 400);
    t.match(((await unknown.json()) as ErrorBody).error.message, /'one', 'quorum', 'all', 'default'/);
    const propsUrl = url('/buckets/symbolic/props');
    const set = await fetch(propsUrl, {
      method: 'PUT',
      body: JSON.stringify({ props: { r: 'one', w: 'all' } }),
    });
    t.equal(set.status, 204);
    t.same(((await (await fetch(propsUrl)).json()) as { props: object }).props, {
      n: 3,
      r: 1,
      w: 3,
      policy: 'siblings',
    });
    const quorum = await fetch(propsUrl, {
      method: 'PUT',
      body: JSON.stringify({ r: 'quorum', w: 'default' }),
    });
    t.equal(quorum.status, 204);
    const props = ((await (await fetch(propsUrl)).json()) as { props: { r: number; w: number } }).props;
    t.equal(props.r, 2, 'quorum of n=3 is 2');
    t.equal(props.w, 3, "'default' keeps the bucket's w");
    const bad = await fetch(propsUrl, { method: 'PUT', body: JSON.stringify({ w: 'many' }) });
    t.equal(bad.status, 400);
    await bad.arrayBuffer();
  },
);

t.test('POST /buckets/{b}/keys stores the value under a generated key named in Location (201)', async (t) => {
  const keys = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const created = await fetch(url('/buckets/a%20b/keys'), { method: 'POST', body: `generated ${i}` });
    t.equal(created.status, 201);
    const location = created.headers.get('location') ?? '';
    t.match(location, /^\/buckets\/a%20b\/keys\/[A-Za-z0-9_-]{20}$/);
    t.ok(created.headers.get('x-context'), 'with the new version context');
    const body = (await created.json()) as { bucket: string; key: string };
    t.equal(location.endsWith(`/${body.key}`), true);
    t.equal(body.bucket, 'a b');
    keys.add(body.key);
    const read = await fetch(url(location));
    t.equal(read.status, 200);
    t.equal(await read.text(), `generated ${i}`, 'the Location reads the value back');
  }
  t.equal(keys.size, 3, 'every POST makes a new key');
  const wrong = await fetch(url('/buckets/b/keys'), { method: 'GET' });
  t.equal(wrong.status, 405);
  t.equal(wrong.headers.get('allow'), 'POST');
  await wrong.arrayBuffer();
});
