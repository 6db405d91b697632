// Goal: the HTTP bucket props and operator routes answer as documented: props change later
// requests' quorums and persist, /ring /stats /health /metrics report the cluster, /admin is
// guarded. Method: a real server on port 0 over a real engine, reopened where persistence matters.
import t from 'tap';
import { type Db, open } from '../../src/index.js';
import { type HttpServer, startHttpServer } from '../../src/server/http/server.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const MAX_BODY_BYTES = 4096;

interface Stack {
  db: Db;
  server: HttpServer;
  url(path: string): string;
  close(): Promise<void>;
}

async function startStack(dir: string, faultInjection = false): Promise<Stack> {
  const db = await open({ dir, workers: 3, n: 3, r: 2, w: 2 });
  const server = await startHttpServer(db, {
    host: '127.0.0.1',
    port: 0,
    metrics: new ServerMetrics(),
    maxBodyBytes: MAX_BODY_BYTES,
    requestTimeoutMs: 5_000,
    faultInjection,
  });
  const close = async () => {
    await server.close();
    await db.close();
  };
  return { db, server, url: (path) => `http://127.0.0.1:${server.port}${path}`, close };
}

interface ErrorBody {
  error: { code: string; message: string };
}

const dir = freshDir(t, 'http-cluster');
const stack = await startStack(dir);
t.teardown(() => stack.close());
const { url } = stack;

const putProps = (bucket: string, body: unknown) =>
  fetch(url(`/buckets/${bucket}/props`), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const getProps = async (bucket: string) =>
  ((await (await fetch(url(`/buckets/${bucket}/props`))).json()) as { props: object }).props;

async function status(response: Response): Promise<number> {
  await response.arrayBuffer();
  return response.status;
}

t.test('a bucket never configured reports the default bucket props', async (t) => {
  t.same(await getProps('untouched'), { n: 3, r: 2, w: 2, policy: 'siblings' });
});

t.test('props are accepted wrapped in { props } or bare, and answer 204', async (t) => {
  t.equal(await status(await putProps('wrapped', { props: { n: 3, r: 3, w: 3 } })), 204);
  t.same(await getProps('wrapped'), { n: 3, r: 3, w: 3, policy: 'siblings' });
  t.equal(await status(await putProps('bare', { policy: 'lww' })), 204);
  t.same(await getProps('bare'), { n: 3, r: 2, w: 2, policy: 'lww' });
});

t.test("a bucket's props bound the quorum overrides of later requests", async (t) => {
  t.equal(await status(await putProps('narrow', { n: 2, r: 1, w: 1 })), 204);
  const tooWide = await fetch(url('/buckets/narrow/keys/k?w=3'), { method: 'PUT', body: 'v' });
  t.equal(tooWide.status, 400);
  t.match(((await tooWide.json()) as ErrorBody).error.message, /n=2/);
  t.equal(
    await status(await fetch(url('/buckets/default/keys/k?w=3'), { method: 'PUT', body: 'v' })),
    204,
    'the default bucket (n=3) still takes w=3',
  );
  t.equal(await status(await fetch(url('/buckets/narrow/keys/k?w=2'), { method: 'PUT', body: 'v' })), 204);
  const explained = (await (await fetch(url('/explain/narrow/k'))).json()) as { preferenceList: number[] };
  t.equal(explained.preferenceList.length, 2, 'keys of an n=2 bucket live on 2 workers');

  t.equal(await status(await putProps('strict', { n: 3, r: 3, w: 3 })), 204);
  t.equal(await status(await fetch(url('/buckets/strict/keys/k?r=4'))), 400);
  t.equal(await status(await fetch(url('/buckets/strict/keys/k'))), 404, 'r=3 of 3 live workers succeeds');
});

t.test('invalid props answer 400 with a JSON error and change nothing', async (t) => {
  const cases: [string, string][] = [
    ['not JSON', '{n:'],
    ['n over the worker count', JSON.stringify({ n: 4 })],
    ['r over n', JSON.stringify({ n: 2, r: 3 })],
    ['a fractional w', JSON.stringify({ w: 1.5 })],
    ['n as a string', JSON.stringify({ n: '3' })],
    ['an unknown policy', JSON.stringify({ policy: 'newest' })],
    ['an unknown prop', JSON.stringify({ nval: 3 })],
    ['an array', JSON.stringify([3])],
  ];
  for (const [label, body] of cases) {
    const response = await fetch(url('/buckets/guarded/props'), { method: 'PUT', body });
    t.equal(response.status, 400, label);
    t.equal(((await response.json()) as ErrorBody).error.code, 'BAD_REQUEST', label);
  }
  t.same(await getProps('guarded'), { n: 3, r: 2, w: 2, policy: 'siblings' });
});

t.test('a props body over maxBodyBytes answers 413', async (t) => {
  const response = await putProps('huge', { policy: 'x'.repeat(MAX_BODY_BYTES) });
  t.equal(response.status, 413);
  t.equal(((await response.json()) as ErrorBody).error.code, 'TOOLARGE');
});

t.test('changing n of a bucket that holds data answers 400; r and w may still change', async (t) => {
  t.equal(await status(await fetch(url('/buckets/full/keys/k'), { method: 'PUT', body: 'v' })), 204);
  const refused = await putProps('full', { n: 2 });
  t.equal(refused.status, 400);
  t.match(((await refused.json()) as ErrorBody).error.message, /holds data/);
  t.equal(await status(await putProps('full', { r: 1, w: 3 })), 204);
  t.same(await getProps('full'), { n: 3, r: 1, w: 3, policy: 'siblings' });
});

t.test('GET /ring reports every partition once and how many each worker owns', async (t) => {
  const ring = (await (await fetch(url('/ring'))).json()) as {
    partitions: number;
    workers: number;
    n: number;
    partitionsOwned: number[];
    partitionsReplicated: number[];
    owners: number[];
  };
  t.equal(ring.workers, 3);
  t.equal(ring.owners.length, ring.partitions);
  t.equal(
    ring.partitionsOwned.reduce((a, b) => a + b, 0),
    ring.partitions,
  );
  t.equal(
    ring.partitionsReplicated.reduce((a, b) => a + b, 0),
    ring.partitions * ring.n,
  );
  for (let worker = 0; worker < 3; worker++) {
    t.equal(ring.owners.filter((owner) => owner === worker).length, ring.partitionsOwned[worker]);
  }
});

t.test('GET /stats counts requests and reports every worker alive with its partitions', async (t) => {
  await fetch(url('/no/such/route')).then((r) => r.arrayBuffer());
  const stats = (await (await fetch(url('/stats'))).json()) as {
    uptimeMs: number;
    requests: { total: number; errors: number };
    latency: { http?: { count: number; meanMs: number; p99MsAtMost: number | null } };
    partitions: number;
    workers: { alive: boolean; partitionsOwned: number; counters: object | null }[];
  };
  t.ok(stats.requests.total > 0);
  t.ok(stats.requests.errors > 0, 'the 404 above counts as an error');
  t.equal(stats.latency.http?.count, stats.requests.total);
  t.ok((stats.latency.http?.meanMs ?? -1) >= 0);
  t.equal(stats.workers.length, 3);
  t.ok(stats.workers.every((worker) => worker.alive && worker.counters !== null));
  t.equal(
    stats.workers.reduce((sum, worker) => sum + worker.partitionsOwned, 0),
    stats.partitions,
  );
});

t.test('GET /health answers 200 ok when every worker is alive and its storage commits', async (t) => {
  const response = await fetch(url('/health'));
  t.equal(response.status, 200);
  t.same(await response.json(), {
    status: 'ok',
    workers: {
      up: 3,
      suspect: 0,
      down: 0,
      total: 3,
      states: ['up', 'up', 'up'],
      storage: ['ok', 'ok', 'ok'],
    },
    storage: { status: 'ok', failedWorkers: [], writesPossible: true },
    quorum: { r: 2, w: 2 },
  });
});

/** A line of the Prometheus text format: name, optional labels, and a number. */
const SAMPLE_LINE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|[+-]Inf)$/;

t.test('GET /metrics is Prometheus text with request counters and per-worker gauges', async (t) => {
  const response = await fetch(url('/metrics'));
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const lines = (await response.text()).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  t.ok(lines.length > 0);
  const malformed = lines.filter((line) => !SAMPLE_LINE.test(line));
  t.same(malformed, [], 'every sample line is `name{labels} value`');
  t.ok(lines.some((line) => line.startsWith('ringkv_requests_total{') && line.includes('protocol="http"')));
  t.equal(lines.filter((line) => /^ringkv_worker_alive\{worker="\d"\} 1$/.test(line)).length, 3);
  t.equal(lines.filter((line) => line.startsWith('ringkv_worker_partitions_owned{')).length, 3);
});

t.test('an unknown route answers 404 JSON and a wrong method answers 405 with Allow', async (t) => {
  const missing = await fetch(url('/nowhere'));
  t.equal(missing.status, 404);
  t.equal(((await missing.json()) as ErrorBody).error.code, 'NOT_FOUND');
  const wrong = await fetch(url('/buckets/b/keys/k'), { method: 'POST', body: 'v' });
  t.equal(wrong.status, 405);
  t.equal(wrong.headers.get('allow'), 'GET, PUT, DELETE');
  t.equal(((await wrong.json()) as ErrorBody).error.code, 'METHOD_NOT_ALLOWED');
  const ring = await fetch(url('/ring'), { method: 'DELETE' });
  t.equal(ring.status, 405);
  t.equal(ring.headers.get('allow'), 'GET');
  await ring.arrayBuffer();
});

t.test(
  'the fault routes answer 403 FORBIDDEN naming --fault-injection when fault injection is off',
  async (t) => {
    for (const [method, path] of [
      ['GET', '/admin/workers/1/kill'],
      ['POST', '/admin/workers/1/kill'],
      ['POST', '/admin/hints/drop'],
    ] as const) {
      const response = await fetch(url(path), { method });
      t.equal(response.status, 403, `${method} ${path}`);
      const { error } = (await response.json()) as ErrorBody;
      t.equal(error.code, 'FORBIDDEN');
      t.match(error.message, /--fault-injection/);
    }
  },
);

t.test('with fault injection on, /admin pauses and heals a worker and /health follows', async (t) => {
  const server = await startHttpServer(stack.db, {
    host: '127.0.0.1',
    port: 0,
    metrics: new ServerMetrics(),
    maxBodyBytes: MAX_BODY_BYTES,
    requestTimeoutMs: 5_000,
    faultInjection: true,
  });
  t.teardown(() => server.close());
  const admin = (path: string, method = 'POST') =>
    fetch(`http://127.0.0.1:${server.port}/admin/${path}`, { method });
  t.equal((await admin('workers/1/pause')).status, 204);
  // The failure detector sees the stalled heartbeat within about a second.
  type Health = { status: string; workers: { states: string[] } };
  const readHealth = async () =>
    (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as Health;
  let health = await readHealth();
  for (let i = 0; i < 100 && health.workers.states[1] !== 'suspect'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    health = await readHealth();
  }
  t.equal(health.workers.states[1], 'suspect', 'a paused worker becomes suspect');
  t.equal(health.status, 'degraded');
  t.equal((await admin('workers/1/heal')).status, 204);
  t.equal((await admin('workers/9/kill')).status, 400, 'an unknown worker is refused');
  t.equal((await admin('workers/1/explode')).status, 404);
  t.equal((await admin('workers/1/pause', 'GET')).status, 405);
  t.equal((await admin('hints/drop')).status, 204);
});

t.test(
  '/health answers 503 unavailable when too few workers are up for R or W, and 200 ok after heal',
  async (t) => {
    const server = await startHttpServer(stack.db, {
      host: '127.0.0.1',
      port: 0,
      metrics: new ServerMetrics(),
      maxBodyBytes: MAX_BODY_BYTES,
      requestTimeoutMs: 5_000,
      faultInjection: true,
    });
    t.teardown(() => server.close());
    const base = `http://127.0.0.1:${server.port}`;
    type Health = { status: string; workers: { up: number; states: string[] } };
    const read = async () => {
      const response = await fetch(`${base}/health`);
      return { code: response.status, body: (await response.json()) as Health };
    };
    const until = async (done: (health: { code: number; body: Health }) => boolean) => {
      let health = await read();
      for (let i = 0; i < 200 && !done(health); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        health = await read();
      }
      return health;
    };
    for (const worker of [0, 2]) {
      t.equal((await fetch(`${base}/admin/workers/${worker}/pause`, { method: 'POST' })).status, 204);
    }
    const down = await until(({ body }) => body.workers.up === 1);
    t.same(down.body.workers.states, ['suspect', 'up', 'suspect'], 'both paused workers are suspect');
    t.equal(down.code, 503, 'one of three workers up cannot meet r=2 or w=2: 503');
    t.equal(down.body.status, 'unavailable');
    for (const worker of [0, 2]) {
      t.equal((await fetch(`${base}/admin/workers/${worker}/heal`, { method: 'POST' })).status, 204);
    }
    const back = await until(({ body }) => body.workers.up === 3);
    t.equal(back.code, 200, 'healed: 200');
    t.equal(back.body.status, 'ok');
  },
);

t.test('bucket props survive closing and reopening the data directory', async (t) => {
  const ownDir = freshDir(t, 'http-props');
  const first = await startStack(ownDir);
  t.teardown(() => first.close());
  const set = await fetch(first.url('/buckets/kept/props'), {
    method: 'PUT',
    body: JSON.stringify({ props: { n: 2, r: 2, w: 1, policy: 'lww' } }),
  });
  t.equal(await status(set), 204);
  await first.close();

  const second = await startStack(ownDir);
  t.teardown(() => second.close());
  const props = (await (await fetch(second.url('/buckets/kept/props'))).json()) as { props: object };
  t.same(props.props, { n: 2, r: 2, w: 1, policy: 'lww' });
});
