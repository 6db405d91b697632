// Goal: the failure detector suspects a worker that owes work and stopped beating, within its
// bound, and never one that keeps beating however slowly its turns go, nor an idle one that
// sleeps. Method: the pure Liveness judged at the pool's check interval over simulated time,
// with the pool's reaction to 'quiet' (a probe, so the worker owes an answer) modelled.
import t from 'tap';
import {
  HEALTH_CHECK_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS_DEFAULT,
  PROBE_QUIET_WORKER_AFTER_MS,
  WORKER_IDLE_SLEEP_MS,
} from '../../../src/constants.js';
import { Liveness, type LivenessVerdict } from '../../../src/main/liveness.js';

const OPTIONS = { stallMs: HEARTBEAT_TIMEOUT_MS_DEFAULT, probeAfterMs: PROBE_QUIET_WORKER_AFTER_MS };
const SUSPECT_WITHIN_MS = 2_000;

/** A seeded generator (mulberry32), so a failing case replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Worker {
  /** The worker's heartbeat at time `now`. */
  heartbeat(now: number): number;
  /** Whether it owes the main thread an answer at `now`, before any probe. */
  owes(now: number): boolean;
  /** Whether it reads a probe sent at or before `now` (a live worker does, at its next turn). */
  readsProbes(now: number): boolean;
}

/**
 * Runs the pool's loop: a check every `checkEveryMs` (or at the given times), a probe sent on
 * 'quiet' and owed until the worker reads it. Returns every verdict with its time.
 */
function run(worker: Worker, checkTimes: number[]): [number, LivenessVerdict][] {
  const liveness = new Liveness(OPTIONS, 0);
  const verdicts: [number, LivenessVerdict][] = [];
  let probeSentAt: number | null = null;
  for (const now of checkTimes) {
    if (probeSentAt !== null && worker.readsProbes(now)) probeSentAt = null;
    const verdict = liveness.observe(now, worker.heartbeat(now), worker.owes(now) || probeSentAt !== null);
    if (verdict === 'quiet' && probeSentAt === null) {
      probeSentAt = now;
      liveness.probed(now);
    }
    verdicts.push([now, verdict]);
  }
  return verdicts;
}

const checks = (untilMs: number, everyMs = HEALTH_CHECK_INTERVAL_MS) =>
  Array.from({ length: Math.floor(untilMs / everyMs) }, (_, i) => (i + 1) * everyMs);

/** Beats at the given times (sorted): the heartbeat is the count of beats so far. */
function beatsAt(times: number[]): (now: number) => number {
  return (now) => {
    let count = 0;
    while (count < times.length && (times[count] as number) <= now) count++;
    return count;
  };
}

const suspicions = (verdicts: [number, LivenessVerdict][]) => verdicts.filter(([, v]) => v === 'suspect');

t.test('a worker owing work whose beats come slowly but within the bound is never suspect', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const next = random(seed);
    const times: number[] = [];
    // Turns of 1 ms to just under the bound, as a saturated CPU makes them.
    for (let at = 0; at < 60_000; at += 1 + Math.floor(next() * (HEARTBEAT_TIMEOUT_MS_DEFAULT - 2))) {
      times.push(at);
    }
    const verdicts = run(
      { heartbeat: beatsAt(times), owes: () => true, readsProbes: () => true },
      checks(60_000),
    );
    t.same(suspicions(verdicts), [], `seed ${seed}`);
  }
});

t.test('late checks (a busy main thread) do not turn a beating worker suspect', async (t) => {
  const next = random(7);
  const times: number[] = [];
  for (let at = 0; at < 60_000; at += 50 + Math.floor(next() * 1500)) times.push(at);
  const beats = Array.from({ length: 600 }, (_, i) => i * 100);
  const verdicts = run({ heartbeat: beatsAt(beats), owes: () => true, readsProbes: () => true }, times);
  t.same(suspicions(verdicts), []);
});

t.test('an idle worker is never suspect, however long it sleeps between beats', async (t) => {
  for (const sleepMs of [WORKER_IDLE_SLEEP_MS, 1_500, 10_000]) {
    const beats = Array.from({ length: Math.ceil(60_000 / sleepMs) }, (_, i) => i * sleepMs);
    // An idle worker answers a probe at its next turn: a doorbell wakes it at once.
    const worker = { heartbeat: beatsAt(beats), owes: () => false, readsProbes: () => true };
    const verdicts = run(worker, checks(60_000));
    t.same(suspicions(verdicts), [], `beats every ${sleepMs} ms`);
    if (sleepMs === WORKER_IDLE_SLEEP_MS) {
      t.notOk(
        verdicts.some(([, v]) => v === 'quiet'),
        'beating at its idle sleep, it is never even probed',
      );
    }
  }
});

t.test('a worker that stops beating while it owes work is suspect within the stall bound', async (t) => {
  for (const stopAt of [1_000, 1_050, 1_099, 5_432]) {
    const beats = Array.from({ length: stopAt / 10 }, (_, i) => i * 10);
    const verdicts = run(
      { heartbeat: beatsAt(beats), owes: () => true, readsProbes: () => false },
      checks(10_000),
    );
    const first = suspicions(verdicts)[0]?.[0] ?? Number.POSITIVE_INFINITY;
    t.ok(
      first - stopAt <= HEARTBEAT_TIMEOUT_MS_DEFAULT + 2 * HEALTH_CHECK_INTERVAL_MS,
      `stopped at ${stopAt}, suspect at ${first}`,
    );
    t.ok(
      first - stopAt >= HEARTBEAT_TIMEOUT_MS_DEFAULT - HEALTH_CHECK_INTERVAL_MS,
      'and not before the bound',
    );
  }
});

t.test('a paused idle worker is probed and suspect within 2 s of the pause, whenever it came', async (t) => {
  for (let pausedAt = 3_000; pausedAt < 3_000 + WORKER_IDLE_SLEEP_MS; pausedAt += 37) {
    // Idle beats every WORKER_IDLE_SLEEP_MS until the pause; a paused worker reads nothing.
    const beats = Array.from({ length: 20 }, (_, i) => i * WORKER_IDLE_SLEEP_MS).filter(
      (at) => at < pausedAt,
    );
    const worker = {
      heartbeat: beatsAt(beats),
      owes: () => false,
      readsProbes: (now: number) => now < pausedAt,
    };
    const first = suspicions(run(worker, checks(10_000)))[0]?.[0] ?? Number.POSITIVE_INFINITY;
    t.ok(first - pausedAt < SUSPECT_WITHIN_MS, `paused at ${pausedAt}, suspect at ${first}`);
  }
});

t.test('a suspect worker that beats again is up at once; a restart forgets the past', async (t) => {
  const liveness = new Liveness(OPTIONS, 0);
  t.equal(liveness.observe(100, 5, true), 'up');
  t.equal(liveness.observe(200, 5, true), 'up', 'owed since 200');
  t.equal(liveness.observe(1_200, 5, true), 'suspect');
  t.equal(liveness.observe(1_250, 5, false), 'suspect', 'owing nothing more does not clear it');
  t.equal(liveness.observe(1_300, 6, true), 'up', 'a beat clears it');
  t.equal(liveness.observe(1_400, 6, true), 'up');
  t.equal(liveness.observe(2_500, 6, true), 'suspect');
  liveness.restart(2_600, 0);
  t.equal(liveness.observe(2_700, 0, true), 'up', 'after a restart the stall counts afresh');
  t.equal(liveness.observe(3_600, 0, true), 'quiet', 'still owing, quiet long enough to be probed');
  t.equal(liveness.observe(3_700, 0, true), 'suspect');
});
