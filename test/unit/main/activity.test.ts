// Goal: background repair is logged as one event per worker and kind per window, from counter
// deltas (a respawned worker's counters start again from zero), and only while someone listens;
// every event kind formats as one timestamped line naming the worker.
// Method: ActivityWatch over a scripted stats source with a short window; formatEvent directly.
import t from 'tap';
import { ActivityWatch } from '../../../src/main/activity.js';
import type { DbStats, WorkerReport } from '../../../src/main/db.js';
import { type EngineEvent, EventHub, formatEvent } from '../../../src/main/events.js';

const WINDOW_MS = 20;

function worker(index: number, counters: Record<string, number> | null): WorkerReport {
  return {
    worker: index,
    workerId: index + 100,
    alive: true,
    health: 'up',
    respawns: 0,
    threadId: 1,
    partitionsOwned: 0,
    partitionsReplicated: 0,
    storage: 'ok',
    storageError: null,
    counters,
  };
}

t.test('hint deliveries and anti-entropy repairs become one event per worker per window', async (t) => {
  const script: Record<string, number>[][] = [
    [{ hintsDelivered: 0 }, { antiEntropyKeysRepaired: 5, antiEntropyExchanges: 1 }],
    [{ hintsDelivered: 12 }, { antiEntropyKeysRepaired: 5, antiEntropyExchanges: 1 }],
    [{ hintsDelivered: 12 }, { antiEntropyKeysRepaired: 45, antiEntropyExchanges: 3 }],
    // Worker 0 respawned: its counter went down, so what it shows is new since the respawn.
    [{ hintsDelivered: 3 }, { antiEntropyKeysRepaired: 45, antiEntropyExchanges: 3 }],
  ];
  let look = 0;
  const stats = async (): Promise<DbStats> => {
    const counters = script[Math.min(look++, script.length - 1)] as Record<string, number>[];
    return { uptimeMs: 0, partitions: 8, readRepairs: 0, workers: counters.map((c, i) => worker(i, c)) };
  };
  const hub = new EventHub();
  const watch = new ActivityWatch(stats, hub, WINDOW_MS);
  t.teardown(() => watch.stop());
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS * 3));
  t.equal(look, 0, 'nobody listens: the workers are not asked');
  const events: EngineEvent[] = [];
  hub.add((event) => events.push(event));
  while (look < script.length + 1) await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  t.same(events, [
    { kind: 'hints-delivered', worker: 0, count: 12, windowMs: WINDOW_MS },
    { kind: 'anti-entropy-repairs', worker: 1, keys: 40, exchanges: 2, windowMs: WINDOW_MS },
    { kind: 'hints-delivered', worker: 0, count: 3, windowMs: WINDOW_MS },
  ]);
});

t.test('every event kind is one line: an ISO timestamp, ringkv, the worker, what happened', (t) => {
  const at = new Date('2026-12-02T16:00:00.000Z');
  const events: [EngineEvent, RegExp][] = [
    [
      { kind: 'suspect', worker: 2, reason: 'its heartbeat stalled' },
      /worker 2 suspect: its heartbeat stalled/,
    ],
    [
      { kind: 'failed', worker: 1, reason: 'boom', retryInMs: 100 },
      /worker 1 failed: boom; respawning in 100 ms/,
    ],
    [
      { kind: 'respawned', worker: 1, respawns: 2, threadId: 9 },
      /worker 1 respawned \(respawn 2, thread 9\)/,
    ],
    [{ kind: 'recovered', worker: 3 }, /worker 3 recovered/],
    [
      { kind: 'hints-delivered', worker: 0, count: 1, windowMs: 5000 },
      /worker 0 delivered 1 hint \(handoff\) in the last 5 s/,
    ],
    [
      { kind: 'anti-entropy-repairs', worker: 0, keys: 7, exchanges: 2, windowMs: 5000 },
      /worker 0 anti-entropy repaired 7 keys in 2 exchanges in the last 5 s/,
    ],
  ];
  for (const [event, pattern] of events) {
    const line = formatEvent(event, at);
    t.match(line, /^2026-12-02T16:00:00\.000Z ringkv worker \d /, event.kind);
    t.match(line, pattern);
    t.notMatch(line, /\n/);
  }
  t.end();
});

t.test('a listener that throws does not stop the others', (t) => {
  const hub = new EventHub();
  const seen: string[] = [];
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  hub.add(() => {
    throw new Error('listener bug');
  });
  hub.add((event) => seen.push(event.kind));
  hub.emit({ kind: 'recovered', worker: 0 });
  t.same(seen, ['recovered']);
  t.end();
});
