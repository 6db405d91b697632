// Goal: the quorum arithmetic answers 'met' exactly when enough replicas succeeded and
// 'unreachable' exactly when too many failed, and says which failure made it unreachable.
// Method: every answer order for small N; the failure cases by hand.
import t from 'tap';
import {
  addResult,
  allAnswered,
  failureCode,
  newTally,
  type Verdict,
} from '../../../src/coordinator/quorum-core.js';

/** Every sequence of ok/failed answers of length `total`. */
function* outcomes(total: number): Generator<boolean[]> {
  for (let mask = 0; mask < 1 << total; mask++)
    yield Array.from({ length: total }, (_, i) => ((mask >> i) & 1) === 1);
}

t.test(
  'the verdict after each answer matches a direct count, for every N up to 5 and every quorum',
  async (t) => {
    let cases = 0;
    for (let total = 1; total <= 5; total++) {
      for (let needed = 1; needed <= total; needed++) {
        for (const answers of outcomes(total)) {
          const tally = newTally(needed, total);
          let ok = 0;
          let failed = 0;
          for (const answer of answers) {
            const verdict = addResult(tally, answer);
            if (answer) ok++;
            else failed++;
            const expected: Verdict =
              ok >= needed ? 'met' : total - failed < needed ? 'unreachable' : 'waiting';
            if (verdict !== expected)
              t.fail(`N=${total} q=${needed} answers=${answers}: ${verdict} != ${expected}`);
            cases++;
          }
          t.equal(allAnswered(tally), true);
        }
      }
    }
    t.ok(cases > 500, `${cases} answer steps checked`);
  },
);

t.test('a quorum above N or below 1 is a programmer error', async (t) => {
  t.throws(() => newTally(4, 3));
  t.throws(() => newTally(0, 3));
});

t.test('more answers than replicas asked is a programmer error', async (t) => {
  const tally = newTally(1, 1);
  addResult(tally, true);
  t.throws(() => addResult(tally, true));
});

t.test(
  'an unreachable quorum is STORAGE exactly when, without its storage failures, it could still be met',
  async (t) => {
    const cases: [needed: number, total: number, ok: number, storage: number, other: number, code: string][] =
      [
        [2, 3, 0, 2, 0, 'STORAGE'], // every failure a full disk (n=3 w=2)
        [3, 3, 0, 1, 0, 'STORAGE'], // w=n: one full disk is enough to fail it
        [2, 3, 1, 1, 1, 'STORAGE'], // without the full disk, the last replica could still have made it
        [2, 3, 0, 1, 2, 'QUORUM'], // two replicas unreachable: the full disk alone does not explain it
        [2, 3, 0, 0, 2, 'QUORUM'],
        [1, 3, 0, 3, 0, 'STORAGE'],
      ];
    for (const [needed, total, ok, storage, other, code] of cases) {
      const tally = newTally(needed, total);
      for (let i = 0; i < ok; i++) addResult(tally, true);
      for (let i = 0; i < storage + other; i++) addResult(tally, false);
      t.equal(
        failureCode(tally, storage),
        code,
        `w=${needed} of ${total}: ${ok} ok, ${storage} STORAGE, ${other} other`,
      );
    }
    t.throws(
      () => failureCode(newTally(2, 3), 1),
      'more storage failures than failures is a programmer error',
    );
  },
);
