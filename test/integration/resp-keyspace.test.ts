// Goal: KEYS, DBSIZE, TYPE, RANDOMKEY, SCAN's TYPE and FLUSHDB/FLUSHALL answer as Redis does over
// the live keys of the connection's bucket (FLUSHALL: of every bucket), leaving deleted keys out.
// Method: ioredis with default settings against a real server on port 0 with a fresh directory.
import { Redis } from 'ioredis';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';

t.test('KEYS, DBSIZE, TYPE, RANDOMKEY, SCAN TYPE and FLUSHDB see live keys only', async (t) => {
  const own = await startStack(t, 'resp-keyspace', { workers: 3, n: 3, r: 2, w: 2 });
  const redis = new Redis(own.port, '127.0.0.1');
  t.teardown(() => redis.disconnect());
  t.equal(await redis.dbsize(), 0);
  t.equal(await redis.randomkey(), null, 'RANDOMKEY of an empty database is nil');
  for (let i = 0; i < 50; i++) await redis.set(`k${i}`, 'v');
  await redis.incr('counter');
  await redis.del('k0', 'k1');
  t.equal(await redis.dbsize(), 49, 'DBSIZE leaves deleted keys out');
  t.same((await redis.keys('k1?')).sort(), [
    'k10',
    'k11',
    'k12',
    'k13',
    'k14',
    'k15',
    'k16',
    'k17',
    'k18',
    'k19',
  ]);
  t.same(await redis.keys('k[0-1]'), [], 'KEYS leaves deleted keys out');
  t.same(await redis.keys('c*'), ['counter']);
  t.equal(await redis.type('counter'), 'string', 'a counter is a string, as in Redis');
  t.equal(await redis.type('k0'), 'none');
  const random = await redis.randomkey();
  t.ok(
    random !== null && (random === 'counter' || /^k([2-9]|[1-4][0-9])$/.test(random)),
    `RANDOMKEY gave ${random}`,
  );
  const [cursor, hashes] = (await redis.scan('0', 'COUNT', '1000', 'TYPE', 'hash')) as [string, string[]];
  t.same([cursor, hashes], ['0', []], 'SCAN TYPE hash finds none: every key is a string');
  await t.rejects(redis.scan('99999'), { message: 'ERR invalid cursor' });
  await t.rejects(redis.call('scan', '0', 'COUNT'), { message: 'ERR syntax error' });
  t.equal(await redis.flushdb(), 'OK');
  t.equal(await redis.dbsize(), 0, 'FLUSHDB deleted every key');
  t.equal(await redis.get('k5'), null);
  t.equal(await redis.incr('counter'), 1, 'a counter after FLUSHDB starts again from 0');

  const elsewhere = new Redis(own.port, '127.0.0.1');
  t.teardown(() => elsewhere.disconnect());
  t.equal(await elsewhere.call('BUCKET', 'other'), 'OK');
  await elsewhere.set('in-other', 'v');
  t.equal(await elsewhere.dbsize(), 1, 'DBSIZE counts the connection bucket only');
  t.same(await redis.keys('*'), ['counter'], 'KEYS sees its own bucket only');
  t.equal(await elsewhere.flushdb('SYNC'), 'OK');
  t.equal(await redis.get('counter'), '1', 'FLUSHDB in one bucket leaves the others');
  await elsewhere.set('in-other', 'v');
  t.equal(await redis.flushall('ASYNC'), 'OK');
  t.same([await redis.dbsize(), await elsewhere.dbsize()], [0, 0], 'FLUSHALL empties every bucket');
  await t.rejects(redis.call('FLUSHALL', 'LATER'), { message: 'ERR syntax error' });
});
