// Goal: the dashboard's routes answer as documented: the page and its files are served from the
// package, GET /events streams a hello then one tick a second from one producer shared by all
// viewers, which stops when the last viewer leaves, and closing the server ends the streams.
// Method: a real engine and HTTP server on port 0, the stream read with fetch as the page does.
import t from 'tap';
import { open } from '../../src/index.js';
import { DashboardFeed, FEED_VIEWERS_MAX, type FeedViewer } from '../../src/server/dashboard/feed.js';
import { startHttpServer } from '../../src/server/http/server.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { freshDir } from '../fixtures/tmp-dir.js';

interface Event {
  event: string;
  data: Record<string, unknown>;
}

/** Reads Server-Sent Events from a response, one at a time. */
function eventReader(response: Response): { next(): Promise<Event | null>; cancel(): Promise<void> } {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
          return { event, data: JSON.parse(data) as Record<string, unknown> };
        }
        const { value, done } = await reader.read();
        if (done) return null;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

async function stack(t: { teardown: (fn: () => unknown) => void }, faultInjection: boolean) {
  const db = await open({ dir: freshDir(t, 'dashboard-events'), workers: 3, n: 3, r: 2, w: 2 });
  const server = await startHttpServer(db, {
    host: '127.0.0.1',
    port: 0,
    metrics: new ServerMetrics(),
    maxBodyBytes: 4096,
    requestTimeoutMs: 30_000,
    faultInjection,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
    await db.close();
  };
  t.teardown(close);
  return { db, url: (path: string) => `http://127.0.0.1:${server.port}${path}`, close };
}

// One engine and server for the tests that do not close it (an engine takes seconds to start on a busy machine).
const shared = await stack(t, true);

t.test('GET / serves the page and /dashboard/ its files, from the package', async (t) => {
  const { url } = shared;
  const page = await fetch(url('/'));
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  const html = await page.text();
  for (const file of ['dashboard.js', 'dashboard.css', 'uPlot.iife.min.js', 'uPlot.min.css']) {
    t.ok(html.includes(`/dashboard/${file}`), `the page loads ${file}`);
    const asset = await fetch(url(`/dashboard/${file}`));
    t.equal(asset.status, 200, `${file} is served`);
    t.match(asset.headers.get('content-type'), file.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    t.ok((await asset.arrayBuffer()).byteLength > 500, `${file} has content`);
  }
  t.match(
    await (await fetch(url('/dashboard/uPlot.iife.min.js'))).text(),
    /uPlot/,
    'the chart library is uPlot',
  );
  const missing = await fetch(url('/dashboard/secrets.json'));
  t.equal(missing.status, 404, 'no other file is served');
  await missing.arrayBuffer();
  const post = await fetch(url('/'), { method: 'POST' });
  t.equal(post.status, 405);
  t.equal(post.headers.get('allow'), 'GET');
  await post.arrayBuffer();
});

t.test('two viewers get the same ticks, a second apart, with the traffic of the interval', async (t) => {
  const { url } = shared;
  const first = await fetch(url('/events'));
  t.equal(first.status, 200);
  t.match(first.headers.get('content-type'), /^text\/event-stream/);
  const a = eventReader(first);
  const b = eventReader(await fetch(url('/events')));
  t.teardown(() => Promise.all([a.cancel(), b.cancel()]));
  const hello = await a.next();
  if (hello === null) throw new Error('the stream ended before its hello');
  t.equal(hello.event, 'hello', 'the first message is the hello');
  t.equal(hello.data.faultInjection, true, 'it says fault injection is on');
  t.equal(hello.data.workers, 3);
  t.equal((hello.data.owners as number[]).length, hello.data.partitions, 'the ring: one owner per partition');
  t.equal((await b.next())?.event, 'hello');

  // Skip to the ticks both viewers get from the same sample.
  let tickA = await a.next();
  let tickB = await b.next();
  while (tickA !== null && tickB !== null && tickA.data.t !== tickB.data.t) {
    if ((tickA.data.t as number) < (tickB.data.t as number)) tickA = await a.next();
    else tickB = await b.next();
  }
  t.same(tickA, tickB, 'both viewers got the very same tick (one producer)');
  const workers = tickA?.data.workers as { health: string; keys: number | null }[];
  t.equal(workers.length, 3);
  t.ok(
    workers.every((worker) => worker.health === 'up'),
    'every worker is up',
  );

  for (let i = 0; i < 20; i++) {
    const put = await fetch(url(`/buckets/default/keys/k${i}`), { method: 'PUT', body: 'v' });
    t.equal(put.status, 204);
  }
  let puts: { perS: number; p50Ms: number | null; p99Ms: number | null } | undefined;
  let previousT = tickA?.data.t as number;
  for (let ticks = 0; ticks < 10 && puts === undefined; ticks++) {
    const tick = await a.next();
    const at = tick?.data.t as number;
    t.ok(at - previousT >= 500, `ticks are about a second apart (${at - previousT} ms)`);
    previousT = at;
    const commands = tick?.data.commands as {
      command: string;
      perS: number;
      p50Ms: number | null;
      p99Ms: number | null;
    }[];
    puts = commands.find((c) => c.command === 'http key_put');
  }
  t.ok(puts !== undefined && puts.perS > 0, 'the PUTs show as http key_put requests per second');
  t.ok(puts?.p50Ms !== null && (puts?.p99Ms as number) >= (puts?.p50Ms as number), 'with p50 ≤ p99');
});

t.test('closing the server ends the event streams at once', async (t) => {
  const { url, close } = await stack(t, false);
  const events = eventReader(await fetch(url('/events')));
  t.equal((await events.next())?.event, 'hello');
  const closing = close();
  let next = await events.next().catch(() => null);
  while (next !== null) next = await events.next().catch(() => null);
  await closing;
  t.pass('the stream ended and the server closed without waiting for its request timeout');
});

t.test('the feed samples only while a viewer is connected, and refuses viewers past its limit', async (t) => {
  const feed = new DashboardFeed(shared.db, new ServerMetrics(), { version: 'test', faultInjection: false });
  t.equal(feed.sampling, false, 'idle before anyone connects');
  const ticks: string[] = [];
  let ticked: () => void = () => {};
  const viewer: FeedViewer = {
    send(event, json) {
      if (event === 'tick') {
        ticks.push(json);
        ticked();
      }
    },
    close() {},
  };
  t.equal(feed.subscribe(viewer), true);
  t.equal(feed.sampling, true, 'sampling once a viewer is connected');
  await new Promise<void>((resolve) => {
    ticked = resolve;
  });
  t.equal(ticks.length, 1);
  feed.unsubscribe(viewer);
  t.equal(feed.sampling, false, 'idle again once the last viewer left');

  const crowd = Array.from({ length: FEED_VIEWERS_MAX }, () => ({ send() {}, close() {} }));
  for (const member of crowd) t.equal(feed.subscribe(member), true);
  t.equal(feed.subscribe(viewer), false, `viewer ${FEED_VIEWERS_MAX + 1} is refused`);
  feed.close();
  t.equal(feed.viewerCount, 0);
  t.equal(feed.sampling, false);
});
