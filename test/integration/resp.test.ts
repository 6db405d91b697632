// Goal: every RESP command behaves as documented when a real Redis client drives it, siblings and
// limits included, and pipelined replies come back in order. Method: ioredis against a real
// server on port 0 over a real engine (3 workers, n=3 r=2 w=2).
import { once } from 'node:events';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import t from 'tap';
import { open } from '../../src/index.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { startRespServer } from '../../src/server/resp/server.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const MAX_VALUE_BYTES = 1024;
const PIPELINE_DEPTH_MAX = 32;

const db = await open({
  dir: freshDir(t, 'resp'),
  workers: 3,
  n: 3,
  r: 2,
  w: 2,
  maxValueBytes: MAX_VALUE_BYTES,
});
const metrics = new ServerMetrics();
const options = {
  host: '127.0.0.1',
  port: 0,
  maxClients: 100,
  pipelineDepthMax: PIPELINE_DEPTH_MAX,
  maxBulkBytes: 64 * 1024,
  maxArrayLength: 4096,
  maxInlineBytes: 4096,
  idleTimeoutMs: 0,
  metrics,
};
const server = await startRespServer(db, options);
const clients: Redis[] = [];
t.teardown(async () => {
  for (const redis of clients) redis.disconnect();
  await server.close();
  await db.close();
});

/** A connected ioredis client, disconnected in teardown (before the server closes). */
async function client(): Promise<Redis> {
  const redis = new Redis({
    port: server.port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
  });
  clients.push(redis);
  await redis.connect();
  return redis;
}

const redis = await client();

t.test('PING answers PONG, or its argument; ECHO answers its argument', async (t) => {
  t.equal(await redis.ping(), 'PONG');
  t.equal(await redis.ping('hello'), 'hello');
  t.equal(await redis.echo('a b\r\nc'), 'a b\r\nc');
});

t.test('SET then GET returns the value; GET of a missing key returns null', async (t) => {
  t.equal(await redis.set('greeting', 'hello'), 'OK');
  t.equal(await redis.get('greeting'), 'hello');
  t.equal(await redis.get('never-written'), null);
  const binary = Buffer.from([0, 13, 10, 255, 1]);
  await redis.set(Buffer.from('bin\r\nkey'), binary);
  t.same(await redis.getBuffer(Buffer.from('bin\r\nkey')), binary, 'binary keys and values round-trip');
});

t.test('repeated SETs replace the value instead of piling up siblings', async (t) => {
  for (const value of ['one', 'two', 'three']) await redis.set('replaced', value);
  t.equal(await redis.get('replaced'), 'three');
  const siblings = (await redis.call('VGET', 'replaced')) as string[];
  t.same(siblings.slice(1), ['three']);
});

t.test('VPUT with a shared context makes siblings: VGET returns both, GET the newest', async (t) => {
  const base = await redis.call('VPUT', 'fork', '', 'base');
  t.type(base, 'string');
  t.ok((base as string).length > 0, 'VPUT answers the new context');
  const [context] = (await redis.call('VGET', 'fork')) as string[];
  await redis.call('VPUT', 'fork', context as string, 'left');
  await redis.call('VPUT', 'fork', context as string, 'right');
  const both = (await redis.call('VGET', 'fork')) as string[];
  t.equal(both.length, 3, 'the context and two values');
  t.same(both.slice(1).sort(), ['left', 'right']);
  t.equal(await redis.get('fork'), both[2], 'GET answers the newest sibling, the last VGET lists');
  await redis.call('VPUT', 'fork', both[0] as string, 'merged');
  t.same(
    ((await redis.call('VGET', 'fork')) as string[]).slice(1),
    ['merged'],
    'a put with both in its context resolves them',
  );
});

t.test('VGET of a missing key is an empty array', async (t) => {
  t.same(await redis.call('VGET', 'no-such-key'), []);
});

t.test('VGET takes R and VPUT takes W within 1..n; other options are errors', async (t) => {
  await redis.call('VPUT', 'quorum', '', 'v', 'W', '3');
  const got = (await redis.call('VGET', 'quorum', 'R', '1')) as string[];
  t.same(got.slice(1), ['v']);
  await t.rejects(redis.call('VGET', 'quorum', 'R', '4'), /^ERR r must be an integer from 1 to n=3; got 4/);
  await t.rejects(redis.call('VPUT', 'quorum', '', 'v', 'W', '0'), /^ERR w must be an integer from 1 to n=3/);
  await t.rejects(redis.call('VGET', 'quorum', 'R', 'two'), /^ERR value is not an integer/);
  await t.rejects(redis.call('VGET', 'quorum', 'X', '1'), /^ERR syntax error/);
  await t.rejects(redis.call('VGET', 'quorum', 'R'), /^ERR wrong number of arguments for 'vget' command/);
});

t.test('VPUT with a context ringkv did not issue is refused with BADCONTEXT', async (t) => {
  await t.rejects(redis.call('VPUT', 'ctx', 'not-a-context!', 'v'), /^BADCONTEXT /);
  await t.rejects(redis.call('VPUT', 'ctx', 'AAAA', 'v'), /^BADCONTEXT /);
  t.same(await redis.call('VGET', 'ctx'), [], 'nothing was written');
});

t.test('VDEL with the read context deletes the key and answers a context', async (t) => {
  await redis.set('doomed', 'v');
  const [context] = (await redis.call('VGET', 'doomed')) as string[];
  const after = await redis.call('VDEL', 'doomed', context as string);
  t.type(after, 'string');
  t.same(await redis.call('VGET', 'doomed'), []);
  t.equal(await redis.get('doomed'), null);
});

t.test('DEL counts the keys that existed; EXISTS counts keys holding a value', async (t) => {
  await redis.mset('d1', 'x', 'd2', 'y');
  t.equal(await redis.exists('d1', 'd2', 'd3', 'd1'), 3, 'a key named twice counts twice');
  t.equal(await redis.del('d1', 'd2', 'd3', 'd2'), 2, 'a key named twice counts once');
  t.equal(await redis.del('d1'), 0);
  t.equal(await redis.exists('d1'), 0);
});

t.test('MSET writes every pair and MGET reads them in order, null for missing keys', async (t) => {
  t.equal(await redis.mset('m1', 'a', 'm2', 'b', 'm3', 'c'), 'OK');
  t.same(await redis.mget('m1', 'missing', 'm3', 'm2'), ['a', null, 'c', 'b']);
  await redis.mset('twice', 'first', 'twice', 'last');
  t.same(
    await redis.call('VGET', 'twice').then((got) => (got as string[]).slice(1)),
    ['last'],
    'a key set twice keeps its last value',
  );
  await t.rejects(redis.call('MSET', 'm1', 'a', 'm2'), /^ERR wrong number of arguments for 'mset' command/);
});

t.test('a value over maxValueBytes is refused with TOOLARGE and not stored', async (t) => {
  const big = 'x'.repeat(MAX_VALUE_BYTES + 1);
  await t.rejects(
    redis.set('big', big),
    new RegExp(`^TOOLARGE value is ${MAX_VALUE_BYTES + 1} bytes; maxValueBytes is ${MAX_VALUE_BYTES}`),
  );
  t.equal(await redis.get('big'), null, 'nothing was stored');
  await t.rejects(redis.get('k'.repeat(2000)), /^TOOLARGE key is 2000 bytes/);
  t.equal(await redis.ping(), 'PONG', 'the connection stays open after an engine error');
});

t.test("SET takes Redis's options over RESP2 too and refuses unknown ones", async (t) => {
  t.equal(await redis.call('SET', 'opt', 'v', 'ex', '10'), 'OK');
  t.equal(await redis.ttl('opt'), 10);
  t.equal(await redis.call('SET', 'opt', 'w', 'nx'), null, 'NX on an existing key: nil');
  await t.rejects(redis.call('SET', 'opt', 'x', 'BOGUS'), /^ERR syntax error/);
  t.equal(await redis.get('opt'), 'v');
});

t.test('an unknown command and a wrong arity are errors that keep the connection', async (t) => {
  await t.rejects(
    redis.call('NOPE', 'a', 'b'),
    /^ERR unknown command 'NOPE', with args beginning with: 'a' 'b'/,
  );
  await t.rejects(redis.call('GET'), /^ERR wrong number of arguments for 'get' command/);
  await t.rejects(redis.call('GET', 'a', 'b'), /^ERR wrong number of arguments for 'get' command/);
  t.equal(await redis.ping(), 'PONG');
});

t.test('EXPLAIN renders partition, preference list and each replica with its versions', async (t) => {
  await redis.set('explained', 'v');
  const reply = (await redis.call('EXPLAIN', 'explained')) as unknown[];
  t.equal(reply[0], 'partition');
  t.type(reply[1], 'number');
  t.equal(reply[2], 'preference_list');
  const list = reply[3] as number[];
  t.equal(new Set(list).size, 3, 'n=3 distinct workers');
  t.equal(reply[4], 'replicas');
  const replicas = reply[5] as unknown[][];
  const holders = replicas.map((replica) => replica[1] as number);
  // w=2: the third replica may still be writing when SET answers.
  t.ok(holders.length >= 2, `at least w=2 replicas hold the key (${holders.length})`);
  t.ok(
    holders.every((worker) => list.includes(worker)),
    'only workers of the preference list hold it',
  );
  for (const replica of replicas) {
    t.same([replica[0], replica[2], replica[4]], ['worker', 'worker_id', 'versions']);
    const versions = replica[5] as unknown[][];
    t.equal(versions.length, 1);
    const [version] = versions as [unknown[]];
    t.same([version[0], version[1], version[2], version[4]], ['value', 'v', 'ts', 'clock']);
    const clock = version[5] as number[][];
    t.ok(
      clock.length >= 1 && clock.every((entry) => entry.length === 3),
      'clock entries are [id, counter, ts]',
    );
  }
});

t.test('INFO answers the server, clients, stats, keyspace and ringkv sections', async (t) => {
  const all = await redis.info();
  for (const title of ['# Server', '# Clients', '# Stats', '# Keyspace', '# Ringkv']) t.match(all, title);
  t.match(all, /redis_version:7\.0\.0\r\n/);
  t.match(all, new RegExp(`tcp_port:${server.port}\\r\\n`));
  t.match(all, /ringkv_version:\d+\.\d+\.\d+/);
  t.match(all, new RegExp(`process_id:${process.pid}\\r\\n`));
  t.match(all, /connected_clients:[1-9]/);
  t.match(all, /total_commands_processed:[1-9]/);
  const ring = await redis.info('ringkv');
  t.notMatch(ring, '# Server', 'a section alone is only that section');
  t.match(ring, /status:ok\r\nworkers_up:3\r\nworkers_suspect:0\r\nworkers_down:0\r\nworkers_total:3\r\n/);
  t.match(ring, /default_bucket_n:3\r\ndefault_bucket_r:2\r\ndefault_bucket_w:2\r\n/);
  t.match(ring, /worker0:health=up,respawns=0,worker_id=\d+,partitions_owned=\d+/);
  t.match(await redis.info('keyspace'), /^# Keyspace\r\n$/);
});

t.test('COMMAND lists every command in Redis 7 form; COUNT, INFO and DOCS answer', async (t) => {
  const all = (await redis.call('COMMAND')) as [string, number, string[], number, number, number][];
  const get = all.find((entry) => entry[0] === 'get');
  t.same(get?.slice(0, 6), ['get', 2, ['readonly', 'fast'], 1, 1, 1]);
  t.equal(get?.length, 10);
  for (const name of ['set', 'del', 'mget', 'mset', 'vget', 'vput', 'vdel', 'explain', 'info', 'bucket']) {
    t.ok(
      all.some((entry) => entry[0] === name),
      `${name} is listed`,
    );
  }
  t.equal(await redis.call('COMMAND', 'COUNT'), all.length);
  t.same(((await redis.call('COMMAND', 'DOCS', 'get')) as unknown[]).slice(0, 2), [
    'get',
    [
      'summary',
      'Returns the string value of a key.',
      'since',
      '1.0.0',
      'group',
      'string',
      'complexity',
      'O(1)',
      'arguments',
      [['name', 'key', 'type', 'key', 'display_text', 'key', 'key_spec_index', 0]],
    ],
  ]);
  const info = (await redis.call('COMMAND', 'INFO', 'vput', 'nope')) as unknown[];
  t.equal((info[0] as unknown[])[1], -4);
  t.equal(info[1], null);
});

t.test('CLIENT SETNAME, GETNAME, SETINFO and ID answer as Redis does', async (t) => {
  const own = await client();
  t.equal(await own.call('CLIENT', 'GETNAME'), null);
  t.equal(await own.call('CLIENT', 'SETNAME', 'worker-7'), 'OK');
  t.equal(await own.call('CLIENT', 'GETNAME'), 'worker-7');
  await t.rejects(own.call('CLIENT', 'SETNAME', 'has space'), /^ERR Client names cannot contain spaces/);
  t.equal(await own.call('CLIENT', 'SETINFO', 'LIB-NAME', 'test'), 'OK');
  t.type(await own.call('CLIENT', 'ID'), 'number');
  await t.rejects(own.call('CLIENT', 'KILL', 'x'), /^ERR unknown subcommand 'KILL'/);
});

t.test('SELECT 0 is accepted and other databases are refused', async (t) => {
  t.equal(await redis.call('SELECT', '0'), 'OK');
  await t.rejects(redis.call('SELECT', '1'), /^ERR DB index is out of range/);
});

t.test('HELLO 2 answers the server description and HELLO 4 gets NOPROTO', async (t) => {
  const hello = (await redis.call('HELLO', '2')) as unknown[];
  t.same(hello.slice(0, 6), ['server', 'ringkv', 'version', '7.0.0', 'proto', 2]);
  await t.rejects(redis.call('HELLO', '4'), /^NOPROTO unsupported protocol version/);
});

t.test('BUCKET switches the keyspace of one connection only', async (t) => {
  const carts = await client();
  t.equal(await carts.call('BUCKET'), 'default');
  t.equal(await carts.call('BUCKET', 'carts'), 'OK');
  t.equal(await carts.call('BUCKET'), 'carts');
  await carts.set('shared-name', 'in carts');
  await redis.set('shared-name', 'in default');
  t.equal(await carts.get('shared-name'), 'in carts');
  t.equal(await redis.get('shared-name'), 'in default');
  t.match(await carts.info('ringkv'), /client_bucket:carts/);
  await t.rejects(carts.call('BUCKET', ''), /^ERR a bucket name must be 1 to 255 bytes/);
  t.equal(await carts.call('BUCKET', 'default'), 'OK');
  t.equal(await carts.get('shared-name'), 'in default');
});

t.test('a pipeline of 1000 commands is answered in order, past the pipeline depth limit', async (t) => {
  let pauses = 0;
  const onPause = () => pauses++;
  server.events.on('paused', onPause);
  t.teardown(() => server.events.off('paused', onPause));
  const pipeline = redis.pipeline();
  for (let i = 0; i < 500; i++) {
    pipeline.set(`p:${i}`, `value ${i}`);
    pipeline.get(`p:${i}`);
  }
  const results = (await pipeline.exec()) ?? [];
  t.equal(results.length, 1000);
  const wrong = results.filter(([error, value], at) => {
    const i = Math.floor(at / 2);
    return error !== null || value !== (at % 2 === 0 ? 'OK' : `value ${i}`);
  });
  t.same(wrong, [], 'every reply is the one for its command');
  t.ok(pauses > 0, `reading paused at the depth limit (${pauses} times)`);
  t.equal(server.stats().connectionsPaused, 0, 'and resumed once the replies drained');
});

t.test('metrics record each command by name and outcome', async (t) => {
  t.ok(metrics.totalCommands > 0);
  const text = await metrics.registry.metrics();
  t.match(text, /ringkv_requests_total\{protocol="resp",command="get",outcome="ok"\} \d+/);
  t.match(text, /ringkv_requests_total\{protocol="resp",command="set",outcome="TOOLARGE"\} 1/);
  t.match(text, /ringkv_connections_total\{protocol="resp"\} [1-9]/);
});

t.test('QUIT answers OK and closes the connection', async (t) => {
  const leaving = await client();
  const ended = once(leaving, 'end');
  t.equal(await leaving.quit(), 'OK');
  await ended;
  t.equal(leaving.status, 'end');
});

t.test('close() answers the commands already read before it closes their connections', async (t) => {
  // Deep enough that all 200 commands are read, and so in flight, at once.
  const second = await startRespServer(db, { ...options, pipelineDepthMax: 1024 });
  const socket = connect(second.port, '127.0.0.1');
  await once(socket, 'connect');
  const count = 200;
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  const closed = once(socket, 'close');
  const request = `*3\r\n$3\r\nSET\r\n$5\r\nclose\r\n$1\r\nv\r\n`;
  socket.write(request.repeat(count));
  await once(socket, 'data');
  await second.close();
  await closed;
  t.equal(received, '+OK\r\n'.repeat(count), 'every command read got its reply');
  t.equal(second.connections(), 0);
});

t.test('CONFIG GET answers the documented parameters as pairs and nothing for others', async (t) => {
  // What redis-benchmark reads: no RDB snapshots, acknowledged writes committed (an AOF's promise).
  t.same(await redis.call('CONFIG', 'GET', 'save'), ['save', ''], 'CONFIG GET save');
  t.same(await redis.call('CONFIG', 'GET', 'APPENDONLY'), ['appendonly', 'yes'], 'CONFIG GET APPENDONLY');
  t.same(
    await redis.call('CONFIG', 'GET', 'save', 'appendonly'),
    ['save', '', 'appendonly', 'yes'],
    'CONFIG GET save appendonly',
  );
  t.same(await redis.call('CONFIG', 'GET', 'maxmemory'), [], 'an unknown parameter matches nothing');
  await t.rejects(redis.call('CONFIG', 'SET', 'save', ''), /^ERR .*CONFIG GET only/);
  await t.rejects(redis.call('CONFIG', 'GET'), /^ERR wrong number of arguments/);
});
