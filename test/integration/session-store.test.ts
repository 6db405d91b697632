// Goal: ringkv serves as the session store of an Express app, the way Node apps use Redis: a
// session is kept across requests and lost once its cookie's max age has passed. Method: Express
// with express-session and connect-redis (default settings but the client: node-redis with its
// defaults, RESP3), over real TCP to a ringkv RESP server started here; requests with fetch.
import type { AddressInfo } from 'node:net';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';

const MAX_AGE_MS = 2_000;

declare module 'express-session' {
  interface SessionData {
    views: number;
  }
}

const stack = await startStack(t, 'session-store', { workers: 3, n: 3, r: 2, w: 2 });
const client = createClient({ url: `redis://127.0.0.1:${stack.port}` });
await client.connect();
t.teardown(() => client.destroy());

const app = express();
app.use(
  session({
    store: new RedisStore({ client }),
    secret: 'a test secret',
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: MAX_AGE_MS },
  }),
);
app.get('/visit', (req, res) => {
  req.session.views = (req.session.views ?? 0) + 1;
  res.json({ views: req.session.views, id: req.session.id });
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
t.teardown(() => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
});
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** One request with the cookie (if any); the views counted and the cookie to send next. */
async function visit(cookie: string | null): Promise<{ views: number; id: string; cookie: string | null }> {
  const response = await fetch(`${base}/visit`, cookie === null ? {} : { headers: { cookie } });
  const body = (await response.json()) as { views: number; id: string };
  const setCookie = response.headers.get('set-cookie');
  return { ...body, cookie: setCookie === null ? cookie : (setCookie.split(';')[0] ?? null) };
}

t.test('an Express session lives in ringkv across requests and expires with its cookie', async (t) => {
  const first = await visit(null);
  t.equal(first.views, 1);
  t.not(first.cookie, null, 'the app sets a session cookie');
  const second = await visit(first.cookie);
  t.equal(second.views, 2, 'the second request sees the session');
  const third = await visit(second.cookie);
  t.equal(third.views, 3, 'the third request too');
  t.equal(third.id, first.id);

  const key = `sess:${first.id}`;
  const stored = JSON.parse((await client.get(key)) ?? 'null') as { views?: number } | null;
  t.equal(stored?.views, 3, 'the session is stored in ringkv under sess:<id>');
  const ttl = await client.ttl(key);
  t.ok(ttl >= 1 && ttl <= 2, `it expires with the cookie (TTL ${ttl} s)`);

  // connect-redis rounds the max age up to whole seconds: 2 s, then a margin.
  await new Promise((resolve) => setTimeout(resolve, MAX_AGE_MS + 1_200));
  t.equal(await client.get(key), null, 'after the max age the session reads as absent');
  t.equal(await client.ttl(key), -2);
  const later = await visit(third.cookie);
  t.equal(later.views, 1, 'the same cookie after its max age starts a new session');
  t.not(later.id, first.id);
});
