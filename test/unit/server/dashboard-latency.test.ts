// Goal: the dashboard's per-second throughput and quantiles come out right from two samples of
// cumulative histogram buckets. Method: hand-built bucket counts against figures worked by hand.
import t from 'tap';
import { commandRates, quantileMs } from '../../../src/server/dashboard/latency.js';
import { LATENCY_BUCKETS_S } from '../../../src/server/metrics.js';

/** Cumulative counts from per-bucket counts (the last entry is the +Inf bucket, i.e. all). */
function cumulative(perBucket: Record<number, number>, overflow = 0): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
    sum += perBucket[i] ?? 0;
    out.push(sum);
  }
  out.push(sum + overflow);
  return out;
}

t.test('an empty histogram has no quantile', async (t) => {
  t.equal(quantileMs(cumulative({}), 0.5), null);
});

t.test('a quantile is interpolated inside the bucket that holds it', async (t) => {
  // 100 requests all in (0.5 ms, 1 ms]: the median sits halfway, at 0.75 ms.
  const index = LATENCY_BUCKETS_S.indexOf(0.001);
  const counts = cumulative({ [index]: 100 });
  t.equal(quantileMs(counts, 0.5), 0.75);
  t.equal(quantileMs(counts, 0.99), 0.5 + 0.5 * 0.99);
  // The first bucket starts at 0.
  t.equal(quantileMs(cumulative({ 0: 10 }), 0.5), 0.025);
});

t.test('the median and the 99th percentile fall in different buckets when the tail is slow', async (t) => {
  const fast = LATENCY_BUCKETS_S.indexOf(0.0001);
  const slow = LATENCY_BUCKETS_S.indexOf(0.1);
  const counts = cumulative({ [fast]: 98, [slow]: 2 });
  const p50 = quantileMs(counts, 0.5) as number;
  const p99 = quantileMs(counts, 0.99) as number;
  t.ok(p50 > 0.05 && p50 <= 0.1, `p50 ${p50} ms in (0.05, 0.1]`);
  t.ok(p99 > 50 && p99 <= 100, `p99 ${p99} ms in (50, 100]`);
});

t.test('requests past the last bound count at that bound', async (t) => {
  t.equal(quantileMs(cumulative({}, 5), 0.5), 5000);
});

t.test(
  'commandRates diffs two samples: rate per second and the quantiles of the interval alone',
  async (t) => {
    const slow = LATENCY_BUCKETS_S.indexOf(1);
    const fast = LATENCY_BUCKETS_S.indexOf(0.001);
    const before = new Map([['resp set', cumulative({ [slow]: 1000 })]]);
    const after = new Map([
      ['resp set', cumulative({ [slow]: 1000, [fast]: 500 })],
      ['resp get', cumulative({ [fast]: 20 })],
    ]);
    const rates = commandRates(before, after, 500);
    t.same(
      rates.map((r) => r.command),
      ['resp get', 'resp set'],
      'sorted by name; a command new since the first sample counts from zero',
    );
    const set = rates.find((r) => r.command === 'resp set');
    t.equal(set?.perS, 1000, '500 requests in 0.5 s');
    t.equal(set?.p99Ms, 0.5 + 0.5 * 0.99, 'the slow requests of before the interval do not count');
    t.equal(rates.find((r) => r.command === 'resp get')?.perS, 40);
    t.same(
      commandRates(after, after, 1000).map((r) => [r.perS, r.p50Ms]),
      [
        [0, null],
        [0, null],
      ],
    );
  },
);
