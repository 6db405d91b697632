// Goal: Redis's expiry and conditional commands behave as Redis defines them, an expiry is part of
// the version on every replica, and an expired key reads as absent everywhere. Method: node-redis
// (default settings, RESP3) against a real server over a real engine (3 workers, n=3 r=2 w=2);
// EXPLAIN (RESP and HTTP) shows each replica's versions.
import { createClient } from 'redis';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';

const stack = await startStack(t, 'expiry', { workers: 3, n: 3, r: 2, w: 2 });
const redis = createClient({ url: `redis://127.0.0.1:${stack.port}` });
await redis.connect();
t.teardown(() => redis.destroy());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ExplainedJson {
  preferenceList: number[];
  replicas: {
    worker: number;
    versions: { value: string | null; ts: number; expiresAt: number | null; expired: boolean }[];
  }[];
}

async function explainHttp(key: string): Promise<ExplainedJson> {
  const response = await fetch(`${stack.http}/explain/default/${encodeURIComponent(key)}`);
  return (await response.json()) as ExplainedJson;
}

/** Waits until `check` holds, polling; fails the test after `deadlineMs`. */
async function eventually(check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

t.test('SET EX/PX/EXAT/PXAT set an expiry that TTL, PTTL, EXPIRETIME and PEXPIRETIME report', async (t) => {
  t.equal(await redis.set('ex', 'v', { EX: 100 }), 'OK');
  t.equal(await redis.ttl('ex'), 100);
  const pttl = await redis.pTTL('ex');
  t.ok(pttl > 99_000 && pttl <= 100_000, `PTTL ${pttl} is just under 100 s`);
  await redis.set('px', 'v', { PX: 5_900 });
  t.equal(await redis.ttl('px'), 6, 'TTL rounds to the nearest second, as Redis does');
  const at = Math.floor(Date.now() / 1000) + 1000;
  await redis.set('exat', 'v', { EXAT: at });
  t.equal(await redis.expireTime('exat'), at);
  t.equal(await redis.pExpireTime('exat'), at * 1000);
  await redis.set('pxat', 'v', { PXAT: at * 1000 + 123 });
  t.equal(await redis.pExpireTime('pxat'), at * 1000 + 123);
  await redis.set('plain', 'v');
  t.equal(await redis.ttl('plain'), -1, 'a key without expiry: -1');
  t.equal(await redis.pTTL('missing'), -2, 'a missing key: -2');
  t.equal(await redis.expireTime('plain'), -1);
  t.equal(await redis.pExpireTime('missing'), -2);
  await redis.set('ex', 'w');
  t.equal(await redis.ttl('ex'), -1, 'a plain SET clears the expiry');
});

t.test('an expired key reads as absent: GET nil, EXISTS 0, TTL -2, MGET nil, on every replica', async (t) => {
  await redis.set('short', 'v', { PX: 300 });
  t.equal(await redis.get('short'), 'v');
  const before = await explainHttp('short');
  t.equal(before.replicas.length, 3, 'three replicas hold the key');
  for (const replica of before.replicas) {
    const [version] = replica.versions;
    t.ok(
      version?.expiresAt !== null && version?.expired === false,
      `worker ${replica.worker} holds the expiry`,
    );
  }
  await sleep(400);
  t.equal(await redis.get('short'), null);
  t.equal(await redis.exists('short'), 0);
  t.equal(await redis.ttl('short'), -2);
  t.same(await redis.mGet(['short', 'plain']), [null, 'v']);
  // Each replica alone (r=1 reads whichever replica answers first; read every one by n=1 views is
  // not possible, so EXPLAIN shows each one: expired or already a tombstone).
  for (const replica of (await explainHttp('short')).replicas) {
    const live = replica.versions.filter((version) => version.value !== null && !version.expired);
    t.same(live, [], `worker ${replica.worker} holds no live version`);
  }
});

t.test('the sweep turns expired versions into tombstones on every replica', async (t) => {
  await redis.set('swept', 'v', { PX: 200 });
  const tombstones = await eventually(async () => {
    const { replicas } = await explainHttp('swept');
    return (
      replicas.length === 3 &&
      replicas.every(
        (replica) =>
          replica.versions.length > 0 && replica.versions.every((version) => version.value === null),
      )
    );
  }, 30_000);
  t.ok(tombstones, 'every replica holds only tombstones');
  t.equal(await redis.get('swept'), null);
  await redis.set('swept', 'again');
  t.equal(await redis.get('swept'), 'again', 'a later SET of the key is live');
});

t.test('a newer write is not hidden by the tombstone of an older expired version', async (t) => {
  await redis.set('renewed', 'old', { PX: 100 });
  await sleep(150);
  await redis.set('renewed', 'new');
  await sleep(1_000); // several sweep intervals
  t.equal(await redis.get('renewed'), 'new');
  t.equal(await redis.ttl('renewed'), -1);
});

t.test('SET NX, XX, GET and KEEPTTL', async (t) => {
  t.equal(await redis.set('nx', 'a', { NX: true }), 'OK');
  t.equal(await redis.set('nx', 'b', { NX: true }), null, 'NX on an existing key: nil');
  t.equal(await redis.get('nx'), 'a');
  t.equal(await redis.set('xx', 'a', { XX: true }), null, 'XX on a missing key: nil');
  t.equal(await redis.get('xx'), null);
  t.equal(await redis.set('nx', 'c', { XX: true }), 'OK');
  t.equal(await redis.set('nx', 'd', { GET: true }), 'c', 'GET answers the old value');
  t.equal(await redis.set('getnew', 'x', { GET: true }), null, 'GET of a missing key: nil');
  t.equal(await redis.get('getnew'), 'x');
  t.equal(
    await redis.sendCommand(['SET', 'nx', 'e', 'NX', 'GET']),
    'd',
    'NX with GET: the old value, not set',
  );
  t.equal(await redis.get('nx'), 'd');
  await redis.set('keep', 'a', { EX: 50 });
  await redis.sendCommand(['SET', 'keep', 'b', 'KEEPTTL']);
  t.equal(await redis.get('keep'), 'b');
  t.equal(await redis.ttl('keep'), 50, 'KEEPTTL keeps the expiry');
  await redis.set('expired-nx', 'a', { PX: 100 });
  await sleep(150);
  t.equal(await redis.set('expired-nx', 'b', { NX: true }), 'OK', 'NX on an expired key sets it');
});

t.test('SET refuses bad options with Redis errors', async (t) => {
  const fails = async (args: string[], message: RegExp) => {
    await t.rejects(redis.sendCommand(args), message, args.join(' '));
  };
  await fails(['SET', 'k', 'v', 'NX', 'XX'], /^ERR syntax error/);
  await fails(['SET', 'k', 'v', 'EX', '10', 'PX', '100'], /^ERR syntax error/);
  await fails(['SET', 'k', 'v', 'EX', '10', 'KEEPTTL'], /^ERR syntax error/);
  await fails(['SET', 'k', 'v', 'EX'], /^ERR syntax error/);
  await fails(['SET', 'k', 'v', 'BOGUS'], /^ERR syntax error/);
  await fails(['SET', 'k', 'v', 'EX', 'ten'], /^ERR value is not an integer or out of range/);
  await fails(['SET', 'k', 'v', 'EX', '0'], /^ERR invalid expire time in 'set' command/);
  await fails(['SET', 'k', 'v', 'PX', '-5'], /^ERR invalid expire time in 'set' command/);
  await fails(['SETEX', 'k', '0', 'v'], /^ERR invalid expire time in 'setex' command/);
  await fails(['PSETEX', 'k', '-1', 'v'], /^ERR invalid expire time in 'psetex' command/);
  await fails(['GETEX', 'k', 'EX', '0'], /^ERR invalid expire time in 'getex' command/);
  await fails(['GETEX', 'k', 'EX', '10', 'PERSIST'], /^ERR syntax error/);
  await fails(
    ['EXPIRE', 'k', '10', 'NX', 'XX'],
    /^ERR NX and XX, GT or LT options at the same time are not compatible/,
  );
  await fails(
    ['EXPIRE', 'k', '10', 'GT', 'LT'],
    /^ERR GT and LT options at the same time are not compatible/,
  );
  await fails(['EXPIRE', 'k', '10', 'SOON'], /^ERR Unsupported option SOON/);
  await fails(['EXPIRE', 'k'], /^ERR wrong number of arguments for 'expire' command/);
  await fails(['TTL'], /^ERR wrong number of arguments for 'ttl' command/);
});

t.test('SETEX, PSETEX, SETNX, GETSET, GETDEL, GETEX', async (t) => {
  t.equal(await redis.setEx('setex', 30, 'v'), 'OK');
  t.equal(await redis.ttl('setex'), 30);
  t.equal(await redis.pSetEx('psetex', 30_000, 'v'), 'OK');
  t.equal(await redis.ttl('psetex'), 30);
  t.equal(await redis.setNX('setnx', 'a'), 1);
  t.equal(await redis.setNX('setnx', 'b'), 0);
  t.equal(await redis.get('setnx'), 'a');
  t.equal(await redis.getSet('setex', 'w'), 'v');
  t.equal(await redis.ttl('setex'), -1, 'GETSET clears the expiry');
  t.equal(await redis.getSet('getset-new', 'x'), null);
  t.equal(await redis.getDel('setex'), 'w');
  t.equal(await redis.get('setex'), null);
  t.equal(await redis.getDel('setex'), null);
  await redis.set('getex', 'v');
  t.equal(await redis.getEx('getex', { EX: 40 }), 'v');
  t.equal(await redis.ttl('getex'), 40);
  t.equal(await redis.getEx('getex', { PERSIST: true }), 'v');
  t.equal(await redis.ttl('getex'), -1);
  t.equal(await redis.sendCommand(['GETEX', 'getex']), 'v', 'GETEX without options is GET');
  t.equal(await redis.getEx('missing-getex', { EX: 40 }), null);
  t.equal(await redis.exists('missing-getex'), 0, 'GETEX of a missing key creates nothing');
});

t.test('EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX XX GT LT, and PERSIST', async (t) => {
  t.equal(await redis.expire('nokey', 10), 0, 'a missing key: 0');
  await redis.set('e', 'v');
  t.equal(await redis.expire('e', 100, 'XX'), 0, 'XX without an expiry: 0');
  t.equal(await redis.expire('e', 100, 'GT'), 0, 'GT without an expiry (infinite): 0');
  t.equal(await redis.expire('e', 100, 'NX'), 1);
  t.equal(await redis.ttl('e'), 100);
  t.equal(await redis.expire('e', 200, 'NX'), 0, 'NX with an expiry: 0');
  t.equal(await redis.expire('e', 50, 'GT'), 0, 'GT with a smaller time: 0');
  t.equal(await redis.expire('e', 200, 'GT'), 1);
  t.equal(await redis.ttl('e'), 200);
  t.equal(await redis.expire('e', 300, 'LT'), 0, 'LT with a greater time: 0');
  t.equal(await redis.pExpire('e', 150_000, 'LT'), 1);
  t.equal(await redis.ttl('e'), 150);
  const at = Math.floor(Date.now() / 1000) + 500;
  t.equal(await redis.expireAt('e', at), 1);
  t.equal(await redis.expireTime('e'), at);
  t.equal(await redis.pExpireAt('e', at * 1000 + 7), 1);
  t.equal(await redis.pExpireTime('e'), at * 1000 + 7);
  t.equal(await redis.get('e'), 'v', 'the value is kept');
  t.equal(await redis.persist('e'), 1);
  t.equal(await redis.ttl('e'), -1);
  t.equal(await redis.persist('e'), 0, 'PERSIST without an expiry: 0');
  t.equal(await redis.persist('nokey'), 0);
  await redis.set('lt', 'v');
  t.equal(await redis.expire('lt', 100, 'LT'), 1, 'LT without an expiry (infinite) sets it');
  t.equal(await redis.expire('lt', -1), 1, 'a time in the past deletes the key');
  t.equal(await redis.exists('lt'), 0);
  await redis.set('lt', 'v');
  t.equal(await redis.pExpireAt('lt', 1), 1);
  t.equal(await redis.get('lt'), null);
});

t.test('RESP EXPLAIN shows each version expiry', async (t) => {
  await redis.set('explained', 'v', { PXAT: 4_000_000_000_000 });
  const reply = (await redis.sendCommand(['EXPLAIN', 'explained'])) as unknown as Record<string, unknown>;
  const replicas = reply.replicas as Record<string, unknown>[];
  t.equal(replicas.length, 3);
  for (const replica of replicas) {
    const [version] = replica.versions as Record<string, unknown>[];
    t.equal(version?.expires_at, 4_000_000_000_000);
    t.equal(version?.expired, 0);
  }
});

t.test('HTTP: X-TTL on PUT sets the expiry, GET answers the time left', async (t) => {
  const url = `${stack.http}/buckets/default/keys/http-ttl`;
  const put = await fetch(url, { method: 'PUT', body: 'v', headers: { 'X-TTL': '30' } });
  t.equal(put.status, 204);
  const got = await fetch(url);
  t.equal(got.status, 200);
  t.equal(await got.text(), 'v');
  const left = Number(got.headers.get('x-ttl'));
  t.ok(left > 29 && left <= 30, `X-TTL ${left} is just under 30`);
  t.equal(await redis.ttl('http-ttl'), 30, 'RESP sees the same expiry');
  const plain = await fetch(`${stack.http}/buckets/default/keys/plain`);
  await plain.arrayBuffer();
  t.equal(plain.headers.get('x-ttl'), null, 'no X-TTL without an expiry');
  for (const bad of ['0', '-1', 'soon', '1e3', '']) {
    const response = await fetch(url, { method: 'PUT', body: 'v', headers: { 'X-TTL': bad } });
    t.equal(response.status, 400, `X-TTL '${bad}' is refused`);
    t.match(await response.text(), /X-TTL must be a number of seconds above 0/);
  }
  await fetch(`${stack.http}/buckets/default/keys/http-short`, {
    method: 'PUT',
    body: 'v',
    headers: { 'X-TTL': '0.2' },
  });
  await sleep(300);
  const gone = await fetch(`${stack.http}/buckets/default/keys/http-short`);
  await gone.arrayBuffer();
  t.equal(gone.status, 404, 'an expired key is not found');
});

t.test('embedded: put with ttlMs, get reports expiresAt; bad ttlMs is refused', async (t) => {
  const { db } = stack;
  const before = Date.now();
  await db.put('embedded', 'v', { ttlMs: 10_000 });
  const got = await db.get('embedded');
  t.equal(got.newest?.toString(), 'v');
  t.ok(got.expiresAt !== null && got.expiresAt >= before + 10_000 && got.expiresAt <= Date.now() + 10_000);
  await t.rejects(db.put('embedded', 'v', { ttlMs: 0 }), { code: 'BAD_REQUEST' });
  await t.rejects(db.put('embedded', 'v', { ttlMs: Number.NaN }), { code: 'BAD_REQUEST' });
  await t.rejects(db.put('embedded', 'v', { ttlMs: 5, expiresAt: Date.now() + 5 }), { code: 'BAD_REQUEST' });
  await db.put('embedded-short', 'v', { ttlMs: 100 });
  await sleep(150);
  const gone = await db.get('embedded-short');
  t.same(gone.values, []);
  t.equal(gone.newest, null);
  t.equal(gone.expiresAt, null);
});

t.test('COMMAND DOCS describes every expiry command', async (t) => {
  const names = ['set', 'setex', 'psetex', 'setnx', 'getset', 'getdel', 'getex', 'expire', 'pexpire'];
  names.push('expireat', 'pexpireat', 'ttl', 'pttl', 'expiretime', 'pexpiretime', 'persist');
  const docs = (await redis.sendCommand(['COMMAND', 'DOCS', ...names])) as unknown as Record<string, unknown>;
  for (const name of names) t.ok(docs[name] !== undefined, `${name} has docs`);
});
