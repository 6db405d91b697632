// Goal: 10,000 keys written with 2 s TTLs read as absent after 3 s on every replica, also when a
// worker was paused while they were written, and the expiry sweep then turns every expired version
// into a tombstone. Method: node-redis SET … PX 2000 through a real server (4 workers, n=3 r=2 w=2)
// with worker 1 paused over the admin route during the writes; then GET/EXISTS every key and
// read every key in every worker's own storage (a sample also through HTTP EXPLAIN). A control key
// written without TTL stays live.
import { createClient } from 'redis';
import t from 'tap';
import { decodeRecord, isExpired } from '../../src/clock/index.js';
import { startStack } from '../fixtures/stack.js';
import { eventually } from './checkers.js';

const KEYS = 10_000;
const TTL_MS = 2_000;
const BATCH = 500;
const PAUSED = 1;

interface ExplainedJson {
  preferenceList: number[];
  replicas: { worker: number; versions: { value: string | null; expired: boolean }[] }[];
}

const stack = await startStack(t, 'expiry-faults', { workers: 4, n: 3, r: 2, w: 2, requestTimeoutMs: 2_000 });
const redis = createClient({ url: `redis://127.0.0.1:${stack.port}` });
await redis.connect();
t.teardown(() => redis.destroy());
const keys = Array.from({ length: KEYS }, (_, i) => `session-${i}`);
// Writing 10,000 keys and reading each on every worker, twice, takes minutes on a loaded machine.
t.setTimeout(600_000);

async function admin(action: 'pause' | 'heal'): Promise<number> {
  const response = await fetch(`${stack.http}/admin/workers/${PAUSED}/${action}`, { method: 'POST' });
  await response.arrayBuffer();
  return response.status;
}

async function explain(key: string): Promise<ExplainedJson> {
  const response = await fetch(`${stack.http}/explain/default/${key}`);
  return (await response.json()) as ExplainedJson;
}

/** Runs `check` over each key, 64 at a time; the keys for which it is false. */
async function failing(
  keyList: readonly string[],
  check: (key: string) => Promise<boolean>,
): Promise<string[]> {
  const bad: string[] = [];
  for (let start = 0; start < keyList.length; start += 64) {
    const slice = keyList.slice(start, start + 64);
    const results = await Promise.all(slice.map(check));
    slice.forEach((key, i) => {
      if (!results[i]) bad.push(key);
    });
  }
  return bad;
}

/** Through HTTP EXPLAIN (each worker asked for its copy): no replica holds a live version. */
async function noLiveReplica(key: string): Promise<boolean> {
  const { replicas } = await explain(key);
  return !replicas.some((r) => r.versions.some((v) => v.value !== null && !v.expired));
}

type Holding = 'nothing' | 'tombstones' | 'expired' | 'live';

/**
 * What each worker's own storage holds for each key, read straight from its LMDB environment
 * (the main thread's replica reader): fast enough to look at 10,000 keys on every worker.
 */
function holdings(keyList: readonly string[] = keys): Map<string, Holding[]> {
  const { db } = stack;
  db.reader.noteCommit();
  db.reader.refresh();
  const now = Date.now();
  const all = new Map<string, Holding[]>();
  for (const key of keyList) {
    const { storageKey } = db.place('default', key);
    const perWorker: Holding[] = [];
    for (let slot = 0; slot < db.workerCount; slot++) {
      const record = db.reader.read(slot, storageKey);
      const versions = record === undefined ? [] : decodeRecord(record);
      const values = versions.filter((v) => v.value !== null);
      perWorker.push(
        versions.length === 0
          ? 'nothing'
          : values.length === 0
            ? 'tombstones'
            : values.some((v) => !isExpired(v, now))
              ? 'live'
              : 'expired',
      );
    }
    all.set(key, perWorker);
  }
  return all;
}

function keysHolding(all: Map<string, Holding[]>, holding: Holding): string[] {
  return [...all].filter(([, perWorker]) => perWorker.includes(holding)).map(([key]) => key);
}

t.test(
  'keys with 2 s TTLs written while a worker is paused are absent after 3 s everywhere, then swept',
  async (t) => {
    await redis.set('control', 'kept');
    t.equal(await admin('pause'), 204, `worker ${PAUSED} paused`);
    const started = Date.now();
    for (let start = 0; start < KEYS; start += BATCH) {
      const replies = await Promise.all(
        keys.slice(start, start + BATCH).map((key) => redis.set(key, 'v', { PX: TTL_MS })),
      );
      t.ok(
        replies.every((reply) => reply === 'OK'),
        `keys ${start}..${start + BATCH - 1} written`,
      );
    }
    const writtenAt = Date.now();
    t.comment(`${KEYS} SET PX ${TTL_MS} in ${writtenAt - started} ms with worker ${PAUSED} paused`);
    t.equal(await admin('heal'), 204, `worker ${PAUSED} healed`);
    const wait = writtenAt + 3_000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

    const found = await failing(keys, async (key) => (await redis.get(key)) === null);
    t.same(found.slice(0, 10), [], `GET answers nil for all ${KEYS} keys (${found.length} do not)`);
    const existing = await failing(keys, async (key) => (await redis.exists(key)) === 0);
    t.same(existing.slice(0, 10), [], 'EXISTS answers 0 for every key');
    const ttl = await failing(keys, async (key) => (await redis.ttl(key)) === -2);
    t.same(ttl.slice(0, 10), [], 'TTL answers -2 for every key');

    const sample = keys.filter((_, i) => i % 20 === 0);
    const liveSample = await failing(sample, noLiveReplica);
    t.same(liveSample.slice(0, 10), [], `EXPLAIN of ${sample.length} keys: no replica holds a live version`);
    const atThree = holdings();
    t.same(
      keysHolding(atThree, 'live').slice(0, 10),
      [],
      `no worker holds a live version of any of the ${KEYS} keys`,
    );
    t.same(
      holdings(['control'])
        .get('control')
        ?.filter((holding) => holding === 'live').length,
      3,
      'control: the same reading finds the live key without TTL on its three replicas',
    );

    // Handoff brings the paused worker its copies (expired at once); the sweep then writes a
    // tombstone over every expired value, and old tombstones are purged once all workers agree.
    const swept = await eventually(async () => keysHolding(holdings(), 'expired'), 180_000);
    t.same(
      swept.result.slice(0, 10),
      [],
      `no worker holds an expired value any more (after ${swept.ms} ms; ${swept.result.length} keys do)`,
    );
    const final = holdings();
    t.same(keysHolding(final, 'live'), [], 'and none a live one');
    const tombstoned = [...final.values()].filter((perWorker) => perWorker.includes('tombstones')).length;
    t.comment(`${tombstoned} keys hold tombstones, ${KEYS - tombstoned} are purged everywhere`);
    t.comment(`sweep counters: ${JSON.stringify(stack.db.expirySweep.counters)}`);
    t.equal(await redis.get('control'), 'kept', 'a key without TTL stays');
    const control = await explain('control');
    t.ok(
      control.replicas.every((r) => r.versions.every((v) => v.value !== null)),
      'the control key is not swept',
    );
  },
);
