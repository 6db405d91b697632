// Goal: an expiry is part of a version: it round-trips through the record in all four version
// shapes, survives merges and lww, and an expired version reads as a tombstone of its own ts.
// Method: hand-made versions and the pure clock functions, no threads.
import t from 'tap';
import {
  decodeRecord,
  encodeRecord,
  isDeleted,
  isOldTombstones,
  makeVersion,
  mergeVersions,
  newestValue,
  newVersion,
  reconcile,
  recordExpiry,
  type Version,
  versionClock,
} from '../../../src/clock/index.js';

const value = (text: string) => Buffer.from(text);
const dot = (node: number, counter: number) => ({ node, counter });

t.test(
  'a record round-trips the expiry in every version shape, and old records decode without one',
  async (t) => {
    const shapes: Version[] = [
      makeVersion(dot(1, 1), [], 100, value('a'), 0, [], undefined),
      makeVersion(dot(2, 1), [], 110, value('b'), 0, [], 5_000),
      makeVersion(dot(3, 1), [], 120, value('c'), 120, [{ node: 9, counter: 1, ts: 50 }], undefined),
      makeVersion(dot(4, 1), [], 130, value('d'), 130, [], 6_000),
    ];
    const decoded = decodeRecord(encodeRecord(shapes));
    t.same(
      decoded.map((v) => v.expiresAt),
      [undefined, 5_000, undefined, 6_000],
    );
    t.same(
      decoded.map((v) => Object.keys(v).join(',')),
      shapes.map((v) => Object.keys(v).join(',')),
      'the decoded objects have the shapes (and key order) makeVersion gives',
    );
    t.same(
      decoded.map((v) => v.floor ?? 0),
      [0, 0, 120, 130],
    );
  },
);

t.test('newestValue and isDeleted treat an expired version as absent at its time, not before', async (t) => {
  const expiring = makeVersion(dot(1, 1), [], 100, value('v'), 0, [], 1_000);
  t.equal(newestValue([expiring], 1_000), expiring, 'live at its expiry time (Redis: expired after it)');
  t.equal(newestValue([expiring], 1_001), undefined);
  t.equal(isDeleted([expiring], 999), false);
  t.equal(isDeleted([expiring], 1_001), true);
  const olderSibling = makeVersion(dot(2, 1), [], 50, value('older'), 0, [], undefined);
  t.equal(
    newestValue([olderSibling, expiring], 2_000),
    undefined,
    'an expired newest version hides older siblings',
  );
  const newerSibling = makeVersion(dot(3, 1), [], 200, value('newer'), 0, [], undefined);
  t.equal(newestValue([newerSibling, expiring], 2_000), newerSibling, 'a newer sibling stays visible');
});

t.test('merges keep each sibling expiry, and lww keeps the winner expiry', async (t) => {
  const a = makeVersion(dot(1, 1), [], 100, value('a'), 0, [], 1_000);
  const b = makeVersion(dot(2, 1), [], 110, value('b'), 0, [], 2_000);
  const merged = mergeVersions([a], [b], 'siblings');
  t.same(
    merged.map((v) => v.expiresAt),
    [1_000, 2_000],
  );
  const floored = makeVersion(dot(3, 1), [], 120, value('c'), 120, [], 3_000);
  t.same(
    reconcile([a, floored], 'siblings').map((v) => v.expiresAt),
    [3_000],
    'a replace floor drops the older one, keeps its own expiry',
  );
  const lww = reconcile([a, b], 'lww');
  t.equal(lww.length, 1);
  t.equal(lww[0]?.expiresAt, 2_000);
  const joinedCopy = { ...a, clock: [{ node: 2, counter: 1, ts: 110 }] };
  t.same(
    reconcile([a, joinedCopy], 'siblings').map((v) => v.expiresAt),
    [1_000],
    'two copies of one dot joined keep the expiry',
  );
});

t.test(
  'newVersion writes the expiry; the sweep tombstone supersedes exactly the expired version',
  async (t) => {
    const made = newVersion([], [], 7, 1_000, value('v'), 'siblings', 128, true, 5_000);
    t.equal(made.written.expiresAt, 5_000);
    t.equal(made.written.floor, 1_000);
    const expired = made.written;
    const sibling = makeVersion(dot(99, 1), [], 1_500, value('other'), 0, [], undefined);
    const local = reconcile([expired, sibling], 'siblings');
    // The sweep's delete: context = the expired version's clock, ts just after the expired one's.
    const tombstone = newVersion(local, versionClock(expired), 8, expired.ts + 0.001, null, 'siblings', 128);
    const after = tombstone.versions;
    t.equal(after.length, 2, 'the sibling it did not see stays');
    t.ok(
      after.some((v) => v.value === null && v.ts === expired.ts + 0.001),
      'the tombstone takes the expired version place',
    );
    // Survivors of a merge carry the floor, so versions are compared by their dot.
    t.same(
      newestValue(after, 10_000)?.dot,
      sibling.dot,
      'the newer sibling is what GET answers, before and after',
    );
    t.same(newestValue(local, 10_000)?.dot, sibling.dot);
  },
);

t.test(
  'recordExpiry finds expired values without decoding, and isOldTombstones skips the expiry',
  async (t) => {
    const live = makeVersion(dot(1, 1), [], 100, value('v'), 0, [], 5_000);
    const plainValue = makeVersion(dot(2, 1), [], 100, value('v'), 100, [], undefined);
    t.equal(recordExpiry(encodeRecord([live]), 4_000), 'pending');
    t.equal(recordExpiry(encodeRecord([live]), 6_000), 'expired');
    t.equal(
      recordExpiry(encodeRecord([plainValue, live]), 6_000),
      'expired',
      'after a version of another shape',
    );
    t.equal(recordExpiry(encodeRecord([plainValue]), 6_000), 'none');
    t.equal(recordExpiry(Uint8Array.of(2, 0, 1, 4), 6_000), 'none', 'a truncated record is not work');
    const tombstone = makeVersion(dot(3, 1), [], 100, null, 0, [], undefined);
    t.equal(isOldTombstones(encodeRecord([tombstone]), 200), true);
    t.equal(isOldTombstones(encodeRecord([tombstone, live]), 200), false);
  },
);
