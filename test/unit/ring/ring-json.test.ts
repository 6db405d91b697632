// Goal: a persisted ring reads back identical, and a damaged or edited file is refused clearly.
// Method: JSON text round trips over the Q x S matrix, then one broken field at a time.
import t from 'tap';
import type { Ring } from '../../../src/ring/index.js';
import { createRing, rebalance, ringFromJson, ringToJson } from '../../../src/ring/index.js';

const PARTITION_COUNTS = [1, 2, 4, 8, 16, 64, 256, 1024];

function throughText(ring: Ring): Ring {
  return ringFromJson(JSON.parse(JSON.stringify(ringToJson(ring))));
}

function plain(ring: Ring) {
  return { partitionCount: ring.partitionCount, workerCount: ring.workerCount, owners: [...ring.owners] };
}

t.test('every fresh and rebalanced ring reads back identical through JSON text', async (t) => {
  for (const q of PARTITION_COUNTS) {
    for (let s = 1; s <= Math.min(q, 16); s++) {
      const fresh = createRing(q, s);
      t.same(plain(throughText(fresh)), plain(fresh), `Q=${q} S=${s}`);
      if (s + 1 <= q) {
        const grown = rebalance(fresh, s + 1).ring;
        t.same(plain(throughText(grown)), plain(grown), `Q=${q} S=${s}->${s + 1}`);
      }
    }
  }
});

t.test('the persisted form names its format and lists one owner per partition', async (t) => {
  t.same(ringToJson(createRing(4, 2)), {
    format: 1,
    partitionCount: 4,
    workerCount: 2,
    owners: [0, 1, 0, 1],
  });
});

t.test('a ring read back cannot be changed in place', async (t) => {
  const ring = throughText(createRing(8, 3));
  t.ok(Object.isFrozen(ring) && Object.isFrozen(ring.owners));
});

const good = { format: 1, partitionCount: 4, workerCount: 2, owners: [0, 1, 0, 1] };

const broken: [string, unknown, RegExp][] = [
  ['null', null, /it is null, not an object/],
  ['a number', 4, /it is a number, not an object/],
  ['an array', [0, 1], /it is an array, not an object/],
  ['a string', '{"format":1}', /it is a string, not an object/],
  ['no format', { ...good, format: undefined }, /format is undefined; expected 1/],
  ['a later format', { ...good, format: 2 }, /format is 2; expected 1/],
  ['a partition count that is not a power of two', { ...good, partitionCount: 6 }, /partition count is 6/],
  ['a partition count given as text', { ...good, partitionCount: '4' }, /partition count is "4"; it must be/],
  ['no partition count', { ...good, partitionCount: undefined }, /partition count is undefined/],
  ['zero workers', { ...good, workerCount: 0 }, /worker count is 0/],
  ['more workers than partitions', { ...good, workerCount: 5 }, /worker count is 5; .* from 1 to 4/],
  [
    'owners that are not an array',
    { ...good, owners: { 0: 0 } },
    /owners must be an array of 4 worker slots/,
  ],
  ['too few owners', { ...good, owners: [0, 1, 0] }, /owners must be an array of 4/],
  ['too many owners', { ...good, owners: [0, 1, 0, 1, 0] }, /owners must be an array of 4/],
  ['an owner beyond the workers', { ...good, owners: [0, 1, 2, 1] }, /owners\[2\] is 2; .* from 0 to 1/],
  ['a negative owner', { ...good, owners: [0, -1, 0, 1] }, /owners\[1\] is -1/],
  ['a fractional owner', { ...good, owners: [0, 1, 0.5, 1] }, /owners\[2\] is 0.5/],
  ['an owner given as text', { ...good, owners: [0, '1', 0, 1] }, /owners\[1\] is "1"/],
  ['a missing owner', { ...good, owners: [0, 1, null, 1] }, /owners\[2\] is null/],
  [
    'an unbalanced assignment',
    { ...good, owners: [0, 0, 0, 1] },
    /worker 0 owns 3 partitions; .* gives each 2/,
  ],
  [
    'a worker that owns nothing, so another owns too many',
    { format: 1, partitionCount: 8, workerCount: 3, owners: [0, 1, 0, 1, 0, 1, 0, 1] },
    /worker 0 owns 4 partitions; .* gives each 2 or 3/,
  ],
];

t.test('a malformed or inconsistent ring file is refused with BAD_REQUEST naming the fault', async (t) => {
  t.ok(ringFromJson(good), 'the unbroken file reads');
  for (const [what, json, message] of broken) {
    t.throws(
      () => ringFromJson(json),
      { name: 'KvError', code: 'BAD_REQUEST', message: /^ring file is malformed: / },
      what,
    );
    t.throws(() => ringFromJson(json), { message }, `${what}: the message says what is wrong`);
  }
});
