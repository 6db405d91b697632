// Goal: many writers racing on one key never lose an acknowledged value. Method: writers
// loop read → put(with that context) or blind put; at the end every acknowledged value is
// either still a sibling or was seen (its clock is covered) by a later acknowledged put.
import t from 'tap';
import { decodeContext, descends } from '../../src/clock/index.js';
import { open } from '../../src/index.js';
import { seededRandom } from '../fixtures/ring-pattern.js';
import { testSeed } from '../fixtures/seed.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const random = seededRandom(testSeed(t));

interface Acked {
  value: string;
  /** The new version's own clock, returned by the put. */
  written: string;
  /** The context the put was based on ('' for a blind write). */
  basedOn: string;
}

/**
 * The acknowledged writes that are lost: neither still a sibling of the final read nor seen
 * (their clock covered) by the context of a later acknowledged put. The race tests and their
 * negative control both judge with this one function.
 */
function lostAcknowledged(acked: readonly Acked[], finalValues: readonly Buffer[]): Acked[] {
  const present = new Set(finalValues.map((v) => v.toString()));
  return acked.filter(
    (a) =>
      !present.has(a.value) &&
      !acked.some(
        (later) => later.basedOn !== '' && descends(decodeContext(later.basedOn), decodeContext(a.written)),
      ),
  );
}

for (const { n, r, w } of [
  { n: 3, r: 2, w: 2 },
  { n: 1, r: 1, w: 1 },
]) {
  t.test(`concurrent writers on one key lose nothing acknowledged at n=${n} r=${r} w=${w}`, async (t) => {
    const db = await open({ dir: freshDir(t, 'race'), workers: 4, n, r, w });
    t.teardown(() => db.close());
    const acked: Acked[] = [];
    const writer = async (id: number) => {
      for (let round = 0; round < 15; round++) {
        const value = `w${id}-r${round}`;
        const blind = random() < 0.2; // seeded: SEED= replays which writes are blind
        const basedOn = blind ? '' : (await db.get('hot')).context;
        const { context } = await db.put('hot', value, { context: basedOn });
        acked.push({ value, written: context, basedOn });
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, id) => writer(id)));
    const final = await db.get('hot', { r: n });
    t.same(
      lostAcknowledged(acked, final.values),
      [],
      'every acknowledged value survives or was seen by a later put',
    );
    t.ok(final.values.length >= 1, `the key holds ${final.values.length} sibling(s)`);
    // Resolve: a put with the final context leaves exactly one value.
    await db.put('hot', 'resolved', { context: final.context });
    t.same(
      (await db.get('hot', { r: n })).values.map((v) => v.toString()),
      ['resolved'],
    );
  });
}

t.test('the checker catches a lost write when acknowledged values are dropped', async (t) => {
  // Negative control: an lww bucket drops concurrent values by design, so the same checker
  // must report losses there; otherwise it could not tell a losing store from a correct one.
  const db = await open({ dir: freshDir(t, 'race-lww'), workers: 3, n: 3, r: 2, w: 2 });
  t.teardown(() => db.close());
  const lww = db.bucket('lww', { policy: 'lww' });
  const acked: Acked[] = [];
  await Promise.all(
    Array.from({ length: 6 }, async (_, id) => {
      const { context } = await lww.put('hot', `v${id}`);
      acked.push({ value: `v${id}`, written: context, basedOn: '' });
    }),
  );
  const final = await lww.get('hot');
  const lost = lostAcknowledged(acked, final.values);
  t.equal(lost.length, 5, 'five of six blind writes are gone under lww, and the same checker sees it');
});
