// Goal: the quorum arithmetic answers 'met' exactly when enough replicas succeeded and
// 'unreachable' exactly when too many failed. Method: every answer order for small N.
import t from 'tap';
import { addResult, allAnswered, newTally, type Verdict } from '../../../src/coordinator/quorum-core.js';

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
