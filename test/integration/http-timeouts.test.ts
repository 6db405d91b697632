// Goal: the HTTP server bounds how long a client may take to send a request: headers or a
// body trickled in byte by byte are cut with 408 soon after the request timeout, while a
// request that arrives in time is served. Method: raw sockets against a real server whose
// request timeout is 1 s, sending one byte every 100–250 ms.
import { once } from 'node:events';
import { connect } from 'node:net';
import t from 'tap';
import { open } from '../../src/index.js';
import { startHttpServer } from '../../src/server/http/server.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const REQUEST_TIMEOUT_MS = 1_000;
/** How late after the timeout the cut may come (the server checks a few times per timeout). */
const CUT_SLACK_MS = 1_500;
/** A test gives up on a connection this long after it opened. */
const GIVE_UP_MS = 5_000;

const db = await open({ dir: freshDir(t, 'http-timeouts'), workers: 2, partitions: 16, n: 2, r: 1, w: 1 });
const server = await startHttpServer(db, {
  host: '127.0.0.1',
  port: 0,
  metrics: new ServerMetrics(),
  maxBodyBytes: 64 * 1024,
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
});
t.teardown(async () => {
  await server.close();
  await db.close();
});

interface Exchange {
  /** Everything the server sent before it closed the connection. */
  response: string;
  /** From the first byte sent to the close. */
  ms: number;
}

/**
 * Sends `head` at once, then `trickle` one byte per `everyMs`, until the server closes the
 * connection (or GIVE_UP_MS passes, when the test has failed anyway).
 */
async function trickle(head: string, trickled: string, everyMs: number): Promise<Exchange> {
  const socket = connect(server.port, '127.0.0.1');
  await once(socket, 'connect');
  const started = Date.now();
  let response = '';
  socket.on('data', (chunk: Buffer) => {
    response += chunk.toString('latin1');
  });
  socket.on('error', () => {}); // a write racing the server's close; the close is what counts
  socket.write(head);
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < trickled.length && !socket.destroyed) socket.write(trickled[sent++] as string);
  }, everyMs);
  const giveUp = setTimeout(() => socket.destroy(), GIVE_UP_MS);
  await once(socket, 'close');
  clearInterval(timer);
  clearTimeout(giveUp);
  return { response, ms: Date.now() - started };
}

t.test('a body sent a byte at a time is cut with 408 soon after the request timeout', async (t) => {
  const body = 'x'.repeat(100); // 25 s at this pace
  const head = `PUT /buckets/slow/keys/body HTTP/1.1\r\nHost: ringkv\r\nContent-Length: ${body.length}\r\n\r\n`;
  const { response, ms } = await trickle(head, body, 250);
  t.match(response, /^HTTP\/1\.1 408 /, `answered 408 (after ${ms} ms)`);
  t.ok(ms >= REQUEST_TIMEOUT_MS - 50, 'not before the timeout');
  t.ok(ms <= REQUEST_TIMEOUT_MS + CUT_SLACK_MS, `within ${CUT_SLACK_MS} ms of it`);
  t.same((await db.bucket('slow').get('body')).values, [], 'the cut request wrote nothing');
});

t.test('headers sent a byte at a time are cut with 408 soon after the timeout', async (t) => {
  const { response, ms } = await trickle('GET /health HTTP/1.1\r\n', 'X-Slow: '.padEnd(200, 'y'), 100);
  t.match(response, /^HTTP\/1\.1 408 /, `answered 408 (after ${ms} ms)`);
  t.ok(ms <= REQUEST_TIMEOUT_MS + CUT_SLACK_MS, `within ${CUT_SLACK_MS} ms of the timeout`);
});

t.test('a body that arrives within the timeout, however slowly, is served', async (t) => {
  const body = 'abcde';
  const head = `PUT /buckets/slow/keys/in-time HTTP/1.1\r\nHost: ringkv\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
  const { response } = await trickle(head, body, 100);
  t.match(response, /^HTTP\/1\.1 204 /, 'the PUT succeeds');
  t.same((await db.bucket('slow').get('in-time')).values.map(String), ['abcde']);
});
