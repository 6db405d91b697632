// Goal: the Redis clients people use today connect to ringkv with their default settings and
// work: node-redis 6 (HELLO 3, RESP3 replies), ioredis 5 (RESP2) and redis-py (Debian's 4.3.4,
// RESP2). Method: each client, as installed, runs SET/GET/DEL, a 1,000-command pipeline and what
// it asks on connect, against a real server on port 0.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';

const stack = await startStack(t, 'resp-clients', { workers: 3, n: 3, r: 2, w: 2 });
const url = `redis://127.0.0.1:${stack.port}`;
const PIPELINE_COMMANDS = 1_000;

const require = createRequire(import.meta.url);
const versionOf = (name: string) =>
  (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;

t.test(`node-redis ${versionOf('redis')} with default settings speaks RESP3 to ringkv`, async (t) => {
  const client = createClient({ url });
  t.teardown(() => client.destroy());
  // A failed handshake is retried for ever (node-redis never falls back to RESP2): the first
  // error it reports ends the test instead.
  const firstError = once(client, 'error').then(([error]) => Promise.reject(error as Error));
  await Promise.race([client.connect(), firstError]);
  firstError.catch(() => {});
  const errors: unknown[] = [];
  client.on('error', (error: unknown) => errors.push(error));

  const hello = (await client.hello()) as unknown as Record<string, unknown>;
  t.match(hello, { server: 'ringkv', version: '7.0.0', proto: 3, mode: 'standalone', role: 'master' });
  t.same(hello.modules, []);

  t.equal(await client.set('node-redis:k', 'v1'), 'OK');
  t.equal(await client.get('node-redis:k'), 'v1');
  t.equal(await client.get('node-redis:missing'), null, 'a RESP3 null is decoded as null');
  t.same(await client.mGet(['node-redis:k', 'node-redis:missing']), ['v1', null]);
  t.equal(await client.del('node-redis:k'), 1);
  t.equal(await client.get('node-redis:k'), null);

  const pipeline = client.multi();
  for (let i = 0; i < PIPELINE_COMMANDS; i++) pipeline.set(`node-redis:p${i}`, `value-${i}`);
  const replies = await pipeline.execAsPipeline();
  t.equal(replies.length, PIPELINE_COMMANDS);
  t.ok(
    replies.every((reply) => String(reply) === 'OK'),
    'every pipelined SET answered OK',
  );
  const reads = await Promise.all(
    Array.from({ length: PIPELINE_COMMANDS }, (_, i) => client.get(`node-redis:p${i}`)),
  );
  t.ok(
    reads.every((value, i) => value === `value-${i}`),
    'and 1,000 concurrent GETs read them back in order',
  );

  const info = await client.info('server');
  t.type(info, 'string', 'INFO (a verbatim string) is decoded as text');
  t.match(info, /^# Server\r\nredis_version:7\.0\.0\r\n/);
  t.same(await client.configGet('save'), { save: '' }, 'CONFIG GET (a map) is decoded as an object');
  const clientInfo = await client.clientInfo();
  t.match(
    clientInfo,
    { resp: 3, libName: 'node-redis', libVer: versionOf('redis') },
    'its SETINFO on connect was kept',
  );
  const unparsed = Object.entries(clientInfo).filter(
    ([, value]) => value === undefined || Number.isNaN(value),
  );
  t.same(unparsed, [], 'CLIENT INFO has every field node-redis parses');
  const [get, missing] = await client.commandInfo(['get', 'no-such-command']);
  t.match(get, { name: 'get', arity: 2, firstKeyIndex: 1, lastKeyIndex: 1, step: 1, isKeyless: false });
  t.same([...(get?.flags ?? [])], ['readonly', 'fast']);
  t.same([...(get?.categories ?? [])], ['@read', '@string', '@fast']);
  t.equal(missing, null);
  const names = await client.commandList();
  t.equal(await client.commandCount(), names.filter((name) => !name.includes('|')).length);
  t.same(errors, [], 'no error was emitted');
});

t.test(`ioredis ${versionOf('ioredis')} with default settings speaks RESP2 to ringkv`, async (t) => {
  const redis = new Redis({ port: stack.port, host: '127.0.0.1' });
  const errors: unknown[] = [];
  redis.on('error', (error: unknown) => errors.push(error));
  t.teardown(() => redis.disconnect());
  t.equal(await redis.set('ioredis:k', 'v1'), 'OK');
  t.equal(await redis.get('ioredis:k'), 'v1');
  t.equal(await redis.get('ioredis:missing'), null);
  t.equal(await redis.del('ioredis:k'), 1);

  const pipeline = redis.pipeline();
  for (let i = 0; i < PIPELINE_COMMANDS; i++) pipeline.set(`ioredis:p${i}`, `value-${i}`);
  for (let i = 0; i < PIPELINE_COMMANDS; i++) pipeline.get(`ioredis:p${i}`);
  const results = (await pipeline.exec()) ?? [];
  t.equal(results.length, 2 * PIPELINE_COMMANDS);
  t.ok(
    results.every(([error]) => error === null),
    'no pipelined command failed',
  );
  t.ok(
    results.slice(PIPELINE_COMMANDS).every(([, value], i) => value === `value-${i}`),
    'the GETs read the SETs back in order',
  );
  const clientInfo = (await redis.client('INFO')) as string;
  t.match(clientInfo, / resp=2 lib-name=ioredis lib-ver=\S+\n$/, 'its SETINFO on connect was kept');
  t.same(errors, []);
});

const PYTHON = '/usr/bin/python3';

/** redis-py's version, or why it cannot run here. */
async function redisPy(): Promise<{ version: string } | { skip: string }> {
  try {
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', 'import redis; print(redis.__version__)']);
    return { version: stdout.trim() };
  } catch {
    return { skip: `${PYTHON} -c 'import redis' failed (Debian: apt install python3-redis)` };
  }
}

const py = await redisPy();

// What a Python program does with redis-py's defaults: redis.Redis(host, port), then commands and
// a pipeline without MULTI (transaction=False; the default, MULTI/EXEC, is in resp-clients-commands.test.ts). It prints a JSON report.
const PY_SCRIPT = `
import json, sys, redis
r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
report = {'version': redis.__version__}
report['set'] = r.set('redis-py:k', 'v1')
report['get'] = r.get('redis-py:k').decode()
report['missing'] = r.get('redis-py:missing')
report['delete'] = r.delete('redis-py:k')
report['after_delete'] = r.get('redis-py:k')
pipe = r.pipeline(transaction=False)
for i in range(${PIPELINE_COMMANDS}):
    pipe.set('redis-py:p%d' % i, 'value-%d' % i)
report['pipeline_sets'] = pipe.execute()
report['mget'] = [v.decode() for v in r.mget(['redis-py:p0', 'redis-py:p999'])]
report['info_version'] = r.info('server')['redis_version']
report['client_id'] = r.client_id()
report['ping'] = r.ping()
print(json.dumps(report))
`;

t.test(
  `redis-py ${'version' in py ? py.version : ''} (Debian python3-redis) with default settings speaks RESP2 to ringkv`,
  { skip: 'skip' in py ? py.skip : false },
  async (t) => {
    t.comment(`redis-py ${'version' in py ? py.version : '?'} from ${PYTHON}`);
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', PY_SCRIPT, String(stack.port)]);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    t.match(report, {
      set: true,
      get: 'v1',
      missing: null,
      delete: 1,
      after_delete: null,
      mget: ['value-0', 'value-999'],
      info_version: '7.0.0',
      ping: true,
    });
    t.type(report.client_id, 'number');
    const sets = report.pipeline_sets as unknown[];
    t.equal(sets.length, PIPELINE_COMMANDS);
    t.ok(
      sets.every((reply) => reply === true),
      'every pipelined SET answered OK',
    );
  },
);
