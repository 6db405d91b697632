// Goal: 10,000 keys written with 2 s TTLs read as absent after 3 s on every replica, also when a
// worker was paused while they were written, and the expiry sweep then turns every expired version
// into a tombstone. Method: node-redis SET … PX 2000 through a real server (4 workers, n=3 r=2 w=2)
// with worker 1 paused over the admin route during the writes; then GET/EXISTS every key and
// EXPLAIN (HTTP) every key on every worker. A control key written without TTL stays live.
import { createClient } from 'redis';
import t from 'tap';
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
const keys = Array.from({ length: KEYS }, (_, i) => `session:${i}`);

async function admin(action: 'pause' | 'heal'): Promise<number> {
  const response = await fetch(`${stack.http}/admin/workers/${PAUSED}/${action}`, { method: 'POST' });
  await response.arrayBuffer();
  return response.status;
}

async function explain(key: string): Promise<ExplainedJson> {
  const response = await fetch(`${stack.http}/explain/default/${encodeURIComponent(key)}`);
  return (await response.json()) as ExplainedJson;
}

/** Runs `check` over every key, 64 at a time; the keys for which it is false. */
async function failing(check: (key: string) => Promise<boolean>): Promise<string[]> {
  const bad: string[] = [];
  for (let start = 0; start < keys.length; start += 64) {
    const slice = keys.slice(start, start + 64);
    const results = await Promise.all(slice.map(check));
    slice.forEach((key, i) => {
      if (!results[i]) bad.push(key);
    });
  }
  return bad;
}

/** No replica holds a live version of the key, and each of its preference list holds some version. */
async function absentEverywhere(key: string): Promise<boolean> {
  const { preferenceList, replicas } = await explain(key);
  const holders = new Set(replicas.filter((r) => r.versions.length > 0).map((r) => r.worker));
  const live = replicas.some((r) => r.versions.some((v) => v.value !== null && !v.expired));
  return !live && preferenceList.every((worker) => holders.has(worker));
}

/** Every replica in the key's preference list holds tombstones only (the sweep's work). */
async function tombstonesOnly(key: string): Promise<boolean> {
  const { preferenceList, replicas } = await explain(key);
  return preferenceList.every((worker) => {
    const versions = replicas.find((r) => r.worker === worker)?.versions ?? [];
    return versions.length > 0 && versions.every((v) => v.value === null);
  });
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

    const found = await failing(async (key) => (await redis.get(key)) === null);
    t.same(found.slice(0, 10), [], `GET answers nil for all ${KEYS} keys (${found.length} do not)`);
    const existing = await failing(async (key) => (await redis.exists(key)) === 0);
    t.same(existing.slice(0, 10), [], 'EXISTS answers 0 for every key');
    const ttl = await failing(async (key) => (await redis.ttl(key)) === -2);
    t.same(ttl.slice(0, 10), [], 'TTL answers -2 for every key');

    // Hinted handoff brings the paused worker its versions: wait until every replica holds one.
    const absent = await eventually(() => failing(absentEverywhere), 120_000);
    t.same(
      absent.result.slice(0, 10),
      [],
      `every replica holds the keys and none holds a live version (after ${absent.ms} ms; ${absent.result.length} keys not)`,
    );
    const swept = await eventually(() => failing(tombstonesOnly), 180_000);
    t.same(
      swept.result.slice(0, 10),
      [],
      `the sweep left only tombstones on every replica (after ${swept.ms} ms; ${swept.result.length} keys not)`,
    );
    t.comment(`sweep counters: ${JSON.stringify(stack.db.expirySweep.counters)}`);
    t.equal(await redis.get('control'), 'kept', 'a key without TTL stays');
    const control = await explain('control');
    t.ok(
      control.replicas.every((r) => r.versions.every((v) => v.value !== null)),
      'the control key is not swept',
    );
  },
);
