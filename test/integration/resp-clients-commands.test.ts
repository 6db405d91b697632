// Goal: the counters, the key space and transactions work from the Redis clients people use,
// with their default settings: node-redis 6, ioredis 5 and Debian's redis-py 4.3.4 (the newest
// redis-py, 8.x, is not installable here). Method: each client runs SET/GET/DEL, INCR and its
// errors, a 1,000-command pipeline, SCAN to the end through its own iterator, MULTI/EXEC and
// WATCH against a real server on port 0 (the rest of the key space: resp-keyspace.test.ts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';

const stack = await startStack(t, 'resp-clients-commands', { workers: 3, n: 3, r: 2, w: 2 });
const PIPELINE_COMMANDS = 1_000;
const SCANNED_KEYS = 300;

t.test(
  'node-redis with default settings: INCR, a pipeline, scanIterator to the end, MULTI/EXEC',
  async (t) => {
    const client = createClient({ url: `redis://127.0.0.1:${stack.port}` });
    t.teardown(() => client.destroy());
    await client.connect();
    t.equal(await client.set('nr:k', 'v'), 'OK');
    t.equal(await client.get('nr:k'), 'v');
    t.equal(await client.del('nr:k'), 1);

    t.equal(await client.incr('nr:counter'), 1);
    t.equal(await client.incrBy('nr:counter', 41), 42);
    t.equal(await client.decr('nr:counter'), 41);
    t.equal(await client.decrBy('nr:counter', 11), 30);
    t.equal(await client.get('nr:counter'), '30', 'GET of a counter is its decimal value');
    t.equal(await client.set('nr:counter', '7'), 'OK');
    t.equal(await client.incr('nr:counter'), 8, 'SET replaces a counter; INCR starts from the string');
    await client.set('nr:word', 'hello');
    await t.rejects(client.incr('nr:word'), { message: 'ERR value is not an integer or out of range' });
    await t.rejects(client.sendCommand(['INCRBY', 'nr:counter', '1.5']), {
      message: 'ERR value is not an integer or out of range',
    });

    const pipeline = client.multi();
    for (let i = 0; i < PIPELINE_COMMANDS; i++) pipeline.set(`nr:p${i}`, `v${i}`);
    const replies = await pipeline.execAsPipeline();
    t.equal(replies.length, PIPELINE_COMMANDS);
    t.ok(
      replies.every((reply) => String(reply) === 'OK'),
      'every pipelined SET answered OK',
    );

    await Promise.all(Array.from({ length: SCANNED_KEYS }, (_, i) => client.set(`nr:scan:${i}`, 'x')));
    const scanned = new Set<string>();
    for await (const keys of client.scanIterator({ MATCH: 'nr:scan:*', COUNT: 20 })) {
      for (const key of keys) scanned.add(key);
    }
    t.equal(scanned.size, SCANNED_KEYS, `scanIterator returned all ${SCANNED_KEYS} keys`);
    t.ok(
      [...scanned].every((key) => key.startsWith('nr:scan:')),
      'and only keys that MATCH',
    );

    const transaction = await client.multi().set('nr:tx', '1').incr('nr:tx').get('nr:tx').exec();
    t.same(transaction, ['OK', 2, '2'], 'MULTI/EXEC answers each queued command in order');
  },
);

t.test(
  'ioredis with default settings: INCR, a pipeline, scanStream to the end, MULTI/EXEC, WATCH',
  async (t) => {
    const redis = new Redis(stack.port, '127.0.0.1');
    const other = new Redis(stack.port, '127.0.0.1');
    t.teardown(() => {
      redis.disconnect();
      other.disconnect();
    });
    t.equal(await redis.set('io:k', 'v'), 'OK');
    t.equal(await redis.get('io:k'), 'v');
    t.equal(await redis.del('io:k'), 1);
    t.equal(await redis.incr('io:counter'), 1);
    t.equal(await redis.incrby('io:counter', -5), -4);
    await redis.set('io:big', '9007199254740993');
    await redis.incr('io:big');
    t.equal(await redis.get('io:big'), '9007199254740994', 'counters are int64, exact beyond 2^53');
    await redis.set('io:big', '9223372036854775807');
    await t.rejects(redis.incr('io:big'), { message: 'ERR increment or decrement would overflow' });

    const pipeline = redis.pipeline();
    for (let i = 0; i < PIPELINE_COMMANDS; i++) pipeline.incr('io:pipelined');
    const results = (await pipeline.exec()) ?? [];
    t.equal(results.length, PIPELINE_COMMANDS);
    t.same(
      results.map(([, value]) => value),
      Array.from({ length: PIPELINE_COMMANDS }, (_, i) => i + 1),
      '1,000 pipelined INCRs answer 1 to 1,000 in order',
    );

    await Promise.all(Array.from({ length: SCANNED_KEYS }, (_, i) => redis.set(`io:scan:${i}`, 'x')));
    const scanned = new Set<string>();
    const stream = redis.scanStream({ match: 'io:scan:*', count: 20 });
    for await (const keys of stream) for (const key of keys as string[]) scanned.add(key);
    t.equal(scanned.size, SCANNED_KEYS, `scanStream ended and returned all ${SCANNED_KEYS} keys`);

    const transaction = await redis.multi().set('io:tx', '5').incrby('io:tx', 5).get('io:tx').exec();
    t.same(transaction, [
      [null, 'OK'],
      [null, 10],
      [null, '10'],
    ]);

    await redis.set('io:watched', 'a');
    t.equal(await redis.watch('io:watched'), 'OK');
    await other.set('io:watched', 'b');
    t.equal(
      await redis.multi().set('io:watched', 'c').exec(),
      null,
      'EXEC after a watched key changed answers nil',
    );
    t.equal(await redis.get('io:watched'), 'b', 'and ran nothing');
    await redis.watch('io:watched');
    t.same(
      await redis.multi().set('io:watched', 'd').exec(),
      [[null, 'OK']],
      'an unchanged watched key lets EXEC run',
    );

    await t.rejects(redis.exec(), { message: 'ERR EXEC without MULTI' });
    await t.rejects(redis.discard(), { message: 'ERR DISCARD without MULTI' });
  },
);

const PYTHON = '/usr/bin/python3';
const py = await promisify(execFile)(PYTHON, ['-c', 'import redis; print(redis.__version__)']).then(
  ({ stdout }) => ({ version: stdout.trim() }),
  () => ({ skip: `${PYTHON} -c 'import redis' failed (Debian: apt install python3-redis)` }),
);

// A Python program with redis-py's defaults: its default pipeline() wraps the commands in MULTI/EXEC.
const PY_SCRIPT = `
import json, sys, redis
r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
report = {'version': redis.__version__}
report['set'] = r.set('py:k', 'v1')
report['get'] = r.get('py:k').decode()
report['delete'] = r.delete('py:k')
report['incr'] = [r.incr('py:counter'), r.incr('py:counter', 9), r.decr('py:counter', 3)]
report['counter'] = r.get('py:counter').decode()
r.set('py:word', 'abc')
try:
    r.incr('py:word')
except redis.ResponseError as error:
    report['incr_error'] = str(error)
pipe = r.pipeline()
for i in range(${PIPELINE_COMMANDS}):
    pipe.set('py:p%d' % i, 'value-%d' % i)
pipe.incr('py:p-counter')
report['pipeline'] = pipe.execute()
for i in range(${SCANNED_KEYS}):
    r.set('py:scan:%d' % i, 'x')
report['scanned'] = sorted(k.decode() for k in r.scan_iter(match='py:scan:*', count=20))
with r.pipeline() as tx:
    tx.set('py:tx', '1').incr('py:tx').get('py:tx')
    report['transaction'] = [v.decode() if isinstance(v, bytes) else v for v in tx.execute()]
report['type'] = [r.type('py:tx').decode(), r.type('py:missing').decode()]
print(json.dumps(report))
`;

t.test(
  `redis-py ${'version' in py ? py.version : ''} (Debian python3-redis) with default settings: INCR, pipeline() (MULTI/EXEC), scan_iter`,
  { skip: 'skip' in py ? py.skip : false },
  async (t) => {
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', PY_SCRIPT, String(stack.port)]);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    t.comment(`redis-py ${String(report.version)}`);
    t.match(report, {
      set: true,
      get: 'v1',
      delete: 1,
      incr: [1, 10, 7],
      counter: '7',
      incr_error: 'value is not an integer or out of range',
      transaction: [true, 2, '2'],
      type: ['string', 'none'],
    });
    const pipeline = report.pipeline as unknown[];
    t.equal(
      pipeline.length,
      PIPELINE_COMMANDS + 1,
      'the default (transactional) pipeline answered every command',
    );
    t.ok(
      pipeline.slice(0, PIPELINE_COMMANDS).every((reply) => reply === true),
      'every SET in it answered OK',
    );
    t.equal(pipeline[PIPELINE_COMMANDS], 1);
    const scanned = report.scanned as string[];
    t.equal(scanned.length, SCANNED_KEYS, `scan_iter returned all ${SCANNED_KEYS} keys`);
    t.equal(new Set(scanned).size, SCANNED_KEYS);
  },
);
