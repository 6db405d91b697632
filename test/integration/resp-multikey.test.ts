// Goal: one multi-key command cannot take the server from other clients: it names at most
// --max-keys-per-command keys (past it a TOOLARGE error, and the connection goes on), and its keys
// reach the engine in bounded slices while other clients are answered. Method: a real server
// over a real engine; the engine's get/put/delete are wrapped to count the keys in flight.
import { Redis } from 'ioredis';
import t from 'tap';
import { type Bytes, open, type WriteOptions } from '../../src/index.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { startRespServer } from '../../src/server/resp/server.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const MAX_KEYS = 2000;
const IN_FLIGHT_MAX = 100;

const db = await open({ dir: freshDir(t, 'multikey'), workers: 3, n: 3, r: 2, w: 2 });
const server = await startRespServer(db, {
  host: '127.0.0.1',
  port: 0,
  maxClients: 10,
  pipelineDepthMax: 16,
  maxBulkBytes: 64 * 1024,
  maxArrayLength: 1024 * 1024,
  maxInlineBytes: 4096,
  idleTimeoutMs: 0,
  metrics: new ServerMetrics(),
  maxKeysPerCommand: MAX_KEYS,
  keysInFlightPerCommandMax: IN_FLIGHT_MAX,
});

/** Keys sent to the engine and not answered yet, the most seen at once, and how many were sent. */
const engine = { inFlight: 0, inFlightMax: 0, sent: 0 };
/** While set, an engine call waits for it before it answers (the test holds a slice back). */
let gate: Promise<void> | null = null;
/** Called at each engine call, after it is counted. */
let onCall: (() => void) | null = null;

function counted<A extends unknown[], R>(call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    engine.inFlight++;
    engine.sent++;
    engine.inFlightMax = Math.max(engine.inFlightMax, engine.inFlight);
    onCall?.();
    try {
      const result = await call(...args);
      if (gate !== null) await gate;
      return result;
    } finally {
      engine.inFlight--;
    }
  };
}
const realGet = db.get.bind(db);
const realPut = db.put.bind(db);
const realDelete = db.delete.bind(db);
db.get = counted((key: Bytes, options?: { r?: number }) => realGet(key, options));
db.put = counted((key: Bytes, value: Bytes, options?: WriteOptions) => realPut(key, value, options));
db.delete = counted((key: Bytes, options?: WriteOptions) => realDelete(key, options));

function resetCounts(): void {
  engine.inFlight = 0;
  engine.inFlightMax = 0;
  engine.sent = 0;
}

const clients: Redis[] = [];
t.teardown(async () => {
  for (const redis of clients) redis.disconnect();
  await server.close();
  await db.close();
});

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

const keys = (count: number, prefix = 'k') => Array.from({ length: count }, (_, i) => `${prefix}:${i}`);

t.test('MSET and MGET of the most keys allowed run in slices and answer every key in order', async (t) => {
  const redis = await client();
  const names = keys(MAX_KEYS);
  resetCounts();
  t.equal(await redis.mset(...names.flatMap((key) => [key, `v-${key}`])), 'OK');
  t.equal(engine.sent, MAX_KEYS, 'every pair was written');
  t.ok(
    engine.inFlightMax <= IN_FLIGHT_MAX,
    `at most ${IN_FLIGHT_MAX} writes in flight (saw ${engine.inFlightMax})`,
  );
  resetCounts();
  const values = await redis.mget(...names.slice(0, MAX_KEYS - 1), 'missing');
  t.same(values, [...names.slice(0, MAX_KEYS - 1).map((key) => `v-${key}`), null]);
  t.ok(
    engine.inFlightMax <= IN_FLIGHT_MAX,
    `at most ${IN_FLIGHT_MAX} reads in flight (saw ${engine.inFlightMax})`,
  );
  resetCounts();
  t.equal(await redis.exists(...names.slice(0, 250), 'missing'), 250);
  t.equal(await redis.del(...names.slice(0, 250)), 250);
  t.ok(engine.inFlightMax <= IN_FLIGHT_MAX, `DEL and EXISTS too (saw ${engine.inFlightMax})`);
});

t.test('another client is answered while an MGET of many keys is in flight', async (t) => {
  const [big, other] = [await client(), await client()];
  resetCounts();
  // The first slice's answers are held until the other client has its PONG: the MGET is
  // then still in flight, and the PING could only be answered if the server went on serving.
  let releaseGate = () => {};
  gate = new Promise<void>((resolve) => {
    releaseGate = resolve;
  });
  const firstCall = new Promise<void>((resolve) => {
    onCall = resolve;
  });
  let mgetAnswered = false;
  const mget = big.mget(...keys(MAX_KEYS)).then((values) => {
    mgetAnswered = true;
    return values;
  });
  await firstCall;
  onCall = null;
  t.equal(await other.ping(), 'PONG');
  t.notOk(mgetAnswered, 'the PONG came while the MGET was in flight');
  t.ok(engine.sent <= IN_FLIGHT_MAX, `only the first slice was sent (${engine.sent} keys)`);
  gate = null;
  releaseGate();
  t.equal((await mget).length, MAX_KEYS);
  t.equal(engine.sent, MAX_KEYS);
});

t.test('a command over --max-keys-per-command gets TOOLARGE and the connection goes on', async (t) => {
  const redis = await client();
  resetCounts();
  const message = (command: string, count: number) =>
    new RegExp(`^TOOLARGE ${command} names ${count} keys; --max-keys-per-command is ${MAX_KEYS}$`);
  await t.rejects(redis.mget(...keys(MAX_KEYS + 1)), message('MGET', MAX_KEYS + 1));
  t.equal(await redis.ping(), 'PONG', 'the connection still answers');
  await t.rejects(redis.exists(...keys(MAX_KEYS + 1)), message('EXISTS', MAX_KEYS + 1));
  await t.rejects(redis.del(...keys(MAX_KEYS + 1)), message('DEL', MAX_KEYS + 1));
  const pairs = keys(MAX_KEYS + 1, 'over').flatMap((key) => [key, 'v']);
  await t.rejects(redis.mset(...pairs), message('MSET', MAX_KEYS + 1));
  // Longer than any command takes: the decoder reads it through without keeping the keys.
  await t.rejects(redis.mget(...keys(5 * MAX_KEYS)), message('MGET', 5 * MAX_KEYS));
  await t.rejects(redis.call('PING', ...keys(5 * MAX_KEYS)), /^TOOLARGE PING has 10001 arguments/);
  t.equal(engine.sent, 0, 'nothing of the refused commands reached the engine');
  t.equal(await redis.get('over:0'), null, 'no pair of the refused MSET was written');
  t.equal(await redis.echo('still here'), 'still here');
});
