// Goal: each workload draws its operation types in the stated proportions, and is found by name.
// Method: a seeded chooser drawn 200,000 times per workload; shares compared within 1%.
import t from 'tap';
import { Prng } from '../../../src/loadgen/prng.js';
import {
  OP_NAMES,
  OpChooser,
  parseWorkload,
  WORKLOAD_NAMES,
  WORKLOADS,
} from '../../../src/loadgen/workloads.js';

const DRAWS = 200_000;

const STATED: Record<string, [read: number, update: number, rmw: number]> = {
  A: [0.5, 0.5, 0],
  B: [0.95, 0.05, 0],
  C: [1, 0, 0],
  write: [0, 1, 0],
  F: [0.5, 0, 0.5],
};

for (const name of WORKLOAD_NAMES) {
  t.test(`workload ${name} draws read, update and read-modify-write in its stated shares`, async (t) => {
    const chooser = new OpChooser(WORKLOADS[name], new Prng(42));
    const counts = [0, 0, 0];
    for (let i = 0; i < DRAWS; i++) counts[chooser.next()]! += 1;
    const stated = STATED[name] as [number, number, number];
    t.same(WORKLOADS[name].mix, stated, 'the table states these shares');
    for (const [op, count] of counts.entries()) {
      const share = count / DRAWS;
      const want = stated[op] as number;
      if (want === 0 || want === 1) t.equal(share, want, `${OP_NAMES[op]} is exactly ${want}`);
      else t.ok(Math.abs(share - want) < 0.01, `${OP_NAMES[op]}: ${share.toFixed(4)} vs ${want}`);
    }
  });
}

t.test('only workload F goes through VGET and VPUT', async (t) => {
  for (const name of WORKLOAD_NAMES) t.equal(WORKLOADS[name].dynamo, name === 'F', name);
});

t.test('workloads are found by name in any case; unknown names are not', async (t) => {
  t.equal(parseWorkload('a')?.name, 'A');
  t.equal(parseWorkload('WRITE')?.name, 'write');
  t.equal(parseWorkload('f')?.name, 'F');
  t.equal(parseWorkload('D'), undefined);
  t.equal(parseWorkload(''), undefined);
});
