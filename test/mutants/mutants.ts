// The named mutants of issue 15: each is a deliberate break of one mechanism of the engine,
// applied as a textual patch to one compiled file under dist/src, with the test files that must
// catch it. To add one, add an entry: a patch whose search text is not found exactly once
// fails the run, so a refactor cannot silently turn a mutant into a no-op (update the search).
//
// `expect` names the assertion that should fail. `mode: 'every'` demands that every listed
// test file fails on its own (used for the fault injections: no fault test may pass when its
// injection does nothing); the default 'any' stops at the first listed file that fails. List
// the fastest files first.

export interface Patch {
  /** Compiled file, relative to dist/src. */
  file: string;
  search: string;
  replace: string;
}

export interface Mutant {
  name: string;
  /** What the mutant breaks, in a sentence. */
  breaks: string;
  patches: Patch[];
  /** Test files, relative to dist/test, compiled (.js). */
  tests: string[];
  mode?: 'any' | 'every';
  /**
   * A failing assertion's name must match this for a file to count as catching the mutant, so
   * a mutant that merely crashes the test (a patch gone wrong) is not reported as killed.
   */
  expect: RegExp;
}

const HANDOFF_NEVER_DELIVERS: Patch = {
  file: 'replica/handoff.js',
  search: '    tick(now) {\n',
  replace: '    tick(now) {\n        return;\n',
};

const READ_REPAIR_OFF: Patch = {
  file: 'main/db.js',
  search: '    repair(placement, slots, answers, merged, policy) {\n',
  replace: '    repair(placement, slots, answers, merged, policy) {\n        return;\n',
};

const KILL_NOOP: Patch = {
  file: 'main/pool.js',
  search: 'this.control.set(slot, KILL, 1);',
  replace: '',
};

const PAUSE_NOOP: Patch = {
  file: 'main/pool.js',
  search: 'this.control.set(slot, PAUSED, 1);',
  replace: '',
};

const ISOLATE_NOOP: Patch = {
  file: 'main/pool.js',
  search: 'this.control.set(slot, ISOLATED, 1);',
  replace: '',
};

export const MUTANTS: Mutant[] = [
  {
    name: 'handoff-never-delivers',
    breaks: 'Handoff.tick returns at once: hints are stored but never sent home',
    patches: [HANDOFF_NEVER_DELIVERS],
    tests: ['faults/kill.test.js', 'faults/pause.test.js'],
    expect: /every hint was handed off/,
  },
  {
    name: 'read-repair-off',
    breaks: 'a get never repairs the replicas that answered with something older',
    patches: [READ_REPAIR_OFF],
    tests: ['faults/read-repair.test.js'],
    expect: /read repairs were counted/,
  },
  {
    name: 'anti-entropy-never-exchanges',
    breaks: 'the anti-entropy driver never starts (or sweeps) an exchange',
    patches: [
      {
        file: 'replica/anti-entropy-driver.js',
        search: '    tick(now) {\n',
        replace: '    tick(now) {\n        return;\n',
      },
    ],
    tests: ['faults/dropped-hints.test.js'],
    expect: /anti-entropy repaired/,
  },
  {
    name: 'kill-noop',
    breaks: 'fault injection: kill does nothing',
    patches: [KILL_NOOP],
    tests: ['faults/race.test.js', 'faults/kill.test.js', 'faults/deletes.test.js'],
    expect: /is (seen )?down \(after/,
    mode: 'every',
  },
  {
    name: 'pause-noop',
    breaks: 'fault injection: pause does nothing',
    patches: [PAUSE_NOOP],
    tests: [
      'faults/quorum.test.js',
      'faults/pause.test.js',
      'faults/deletes.test.js',
      'faults/overload.test.js',
    ],
    expect: /suspect/,
    mode: 'every',
  },
  {
    name: 'isolate-noop',
    breaks: 'fault injection: isolate does nothing',
    patches: [ISOLATE_NOOP],
    tests: [
      'faults/read-repair.test.js',
      'faults/checkers.test.js',
      'faults/isolate.test.js',
      'faults/dropped-hints.test.js',
    ],
    expect: /suspect/,
    mode: 'every',
  },
  {
    name: 'write-acks-after-w-minus-1',
    breaks: 'a put is acknowledged once W-1 replicas committed',
    patches: [
      {
        file: 'coordinator/coordinator.js',
        search: "    settlePut(state, verdict) {\n        if (verdict === 'waiting')\n",
        replace:
          "    settlePut(state, verdict) {\n        if (verdict === 'waiting' && state.tally.ok < state.tally.needed - 1)\n",
      },
    ],
    tests: ['faults/quorum.test.js'],
    expect: /w=3 with one replica hung times out/,
  },
  {
    name: 'merkle-misses-first-write',
    breaks: "the worker's Merkle trees miss the first write of every key (the store hook skips it)",
    patches: [
      {
        file: 'replica/anti-entropy-driver.js',
        search:
          '        store.observer = (key, before, after) => {\n            this.trees.update(key, before, after);\n',
        replace:
          '        store.observer = (key, before, after) => {\n            if (before !== undefined) this.trees.update(key, before, after);\n',
      },
    ],
    tests: ['faults/dropped-hints.test.js'],
    expect: /anti-entropy repaired/,
  },
  {
    name: 'merkle-update-drops-new-entry',
    breaks: 'PartitionTree.update forgets the new record of a key it did not hold',
    patches: [
      {
        file: 'replica/merkle.js',
        search: '        if (oldRecord === undefined && newRecord === undefined)\n',
        replace: '        if (oldRecord === undefined)\n',
      },
    ],
    tests: ['unit/replica/merkle.test.js'],
    expect: /leaves, fanout/,
  },
  {
    name: 'no-failover',
    breaks: 'requests waiting on a coordinator that turns suspect fail instead of moving to another',
    patches: [
      {
        file: 'main/pool.js',
        search: 'if (request.failover !== undefined) {',
        replace: 'if (request.failover !== undefined && false) {',
      },
    ],
    tests: ['faults/pause.test.js'],
    expect: /no write failed/,
  },
  // Mutants that show the tests of behaviours nothing exercised before (issue 15, item 3) can fail.
  {
    name: 'respawn-without-backoff',
    breaks: 'a dead worker is restarted at once, without the backoff',
    patches: [{ file: 'main/pool.js', search: '}, delayMs).unref();', replace: '}, 0).unref();' }],
    tests: ['faults/respawn.test.js'],
    expect: /waited out the backoff/,
  },
  {
    name: 'respawn-backoff-constant',
    breaks: 'the respawn backoff does not double after a failed start',
    patches: [
      {
        file: 'main/pool.js',
        search: 'Math.min(delayMs * 2, RESPAWN_BACKOFF_MS_MAX)',
        replace: 'Math.min(delayMs, RESPAWN_BACKOFF_MS_MAX)',
      },
    ],
    tests: ['faults/respawn.test.js'],
    expect: /came \d+ ms after try/,
  },
  {
    name: 'outbox-unbounded',
    breaks: 'a full ring queues without limit instead of failing with BUSY',
    patches: [
      {
        file: 'transport/endpoint.js',
        search: 'if (outbox.length >= OUTBOX_FRAMES_MAX) {',
        replace: 'if (outbox.length >= OUTBOX_FRAMES_MAX && false) {',
      },
    ],
    tests: ['integration/error-codes.test.js'],
    expect: /failed with BUSY/,
  },
  {
    name: 'siblings-unbounded',
    breaks: 'a key takes any number of siblings (no SIBLINGS error)',
    patches: [
      {
        file: 'coordinator/coordinator.js',
        search: 'if (siblings > SIBLINGS_MAX) {',
        replace: 'if (siblings > SIBLINGS_MAX && false) {',
      },
    ],
    tests: ['integration/error-codes.test.js'],
    expect: /SIBLINGS|expected to reject/,
  },
  {
    name: 'vdel-ignores-w',
    breaks: "VDEL drops its W argument and uses the bucket's",
    patches: [
      {
        file: 'server/resp/commands/dynamo.js',
        search: 'session.bucket.delete(args[1], writeOptions(args[2], w))',
        replace: 'session.bucket.delete(args[1], writeOptions(args[2], undefined))',
      },
    ],
    tests: ['faults/quorum.test.js'],
    expect: /VDEL … W 3 answers -TIMEOUT/,
  },
  {
    name: 'health-never-503',
    breaks: '/health answers 200 even when too few workers are up',
    patches: [
      {
        file: 'server/http/status.js',
        search: "summary.status === 'unavailable' ? 503 : 200",
        replace: '200',
      },
    ],
    tests: ['integration/http-cluster.test.js'],
    expect: /503/,
  },
  {
    name: 'async-sync-timer-off',
    breaks: "durability 'async' never syncs (the once-a-second timer is not started)",
    patches: [
      {
        file: 'storage/store.js',
        search: 'setInterval(() => syncable.sync(synced), ASYNC_SYNC_INTERVAL_MS)',
        replace: 'setInterval(() => {}, ASYNC_SYNC_INTERVAL_MS)',
      },
    ],
    tests: ['integration/cli-durability.test.js'],
    expect: /once-a-second sync ran/,
  },
  {
    name: 'sigint-unhandled',
    breaks: 'ringkv start does not handle SIGINT (the process dies without a clean shutdown)',
    patches: [
      { file: 'cli/main.js', search: "process.on('SIGINT', () => void stop('SIGINT'));", replace: '' },
    ],
    tests: ['integration/cli-durability.test.js'],
    expect: /SIGINT exits 0/,
  },
  {
    name: 'status-prints-nothing',
    breaks: 'ringkv status prints nothing of the server it asked',
    patches: [
      {
        file: 'cli/main.js',
        search: 'console.log(json ? JSON.stringify(stats, null, 2) : statusTable(stats));',
        replace: 'void statusTable;',
      },
    ],
    tests: ['integration/cli-durability.test.js'],
    expect: /prints the server’s stats/,
  },
  {
    name: 'config-get-forgets-save',
    breaks: 'CONFIG GET save answers nothing',
    patches: [
      { file: 'server/resp/commands/introspection.js', search: "['save', '']", replace: "['saved', '']" },
    ],
    tests: ['integration/resp.test.js'],
    expect: /CONFIG GET save/,
  },
  {
    name: 'resp-role-check-off',
    breaks: 'the per-command access check is skipped: no NOAUTH before AUTH, no NOPERM beyond a role',
    patches: [
      {
        file: 'server/resp/connection.js',
        search: 'if (spec.access > this.session.access) {',
        replace: 'if (false) {',
      },
    ],
    tests: ['integration/auth.test.js'],
    expect: /NOAUTH|NOPERM/,
  },
  {
    name: 'http-credentials-unchecked',
    breaks: 'HTTP routes answer without checking credentials or roles',
    patches: [
      {
        file: 'server/http/server.js',
        search: 'if (context.auth !== null && match.access > ACCESS_OPEN)',
        replace: 'if (false)',
      },
    ],
    tests: ['integration/auth.test.js'],
    expect: /401|403/,
  },
  {
    name: 'replace-supersedes-coordinator-only',
    breaks:
      'a replace write (SET, DEL) sets no floor: it supersedes only what its coordinator held, and deletes through a stand-in come back',
    patches: [
      {
        file: 'clock/versions.js',
        search: 'makeVersion(dot, clock, ts, value, replace ? ts : 0, EMPTY_CLOCK, expiresAt)',
        replace: 'makeVersion(dot, clock, ts, value, 0, EMPTY_CLOCK, expiresAt)',
      },
    ],
    tests: ['faults/deletes.test.js'],
    expect: /no deleted key holds a value/,
  },
  {
    name: 'put-context-drops-own-dot',
    breaks: "the context a put returns is the client's own context, without the write's dot",
    patches: [
      {
        file: 'clock/versions.js',
        search: 'context: versionClock(written),',
        replace: 'context: written.clock,',
      },
    ],
    tests: ['integration/contexts.test.js'],
    expect:
      /returns a context that covers its write|superseded its own writes|answer one value|PUT \d returns a context/,
  },
  {
    name: 'replicate-overwrites-without-base',
    breaks:
      "a replica stores a coordinator's record as it came even when it holds more than the record it was made from",
    patches: [
      {
        file: 'replica/replica.js',
        search:
          '        if (!same)\n            return this.mergeAndWrite(key, decodeRecord(record), policy);\n',
        replace: '',
      },
    ],
    tests: ['faults/replicate-base.test.js'],
    expect: /keeps the value the stand-in never saw/,
  },
  {
    name: 'counter-merge-takes-last',
    breaks: "a counter merge takes the last sibling's totals of an actor instead of its maximum",
    patches: [
      {
        file: 'clock/counter.js',
        search: 'increments: max(seen.increments, entry.increments),',
        replace: 'increments: entry.increments,',
      },
    ],
    tests: ['unit/clock/counter.test.js'],
    expect: /every merge order gives the sum|round \d+/,
  },
  {
    name: 'build-a',
    breaks: "issue 15's Build A: hinted handoff never runs and read repair is off",
    patches: [HANDOFF_NEVER_DELIVERS, READ_REPAIR_OFF],
    tests: ['faults/read-repair.test.js', 'faults/kill.test.js', 'faults/pause.test.js'],
    expect: /read repairs were counted|every hint was handed off/,
  },
  {
    name: 'build-b',
    breaks: "issue 15's Build B: kill, pause and isolate all do nothing",
    patches: [KILL_NOOP, PAUSE_NOOP, ISOLATE_NOOP],
    tests: [
      'faults/race.test.js',
      'faults/quorum.test.js',
      'faults/read-repair.test.js',
      'faults/kill.test.js',
    ],
    expect: /is (seen )?down \(after|suspect/,
  },
];
