// Goal: per-operation figures count every success, miss and error, and their percentiles come
// from the recorded latencies (never above the max). Method: record known latencies and
// errors into a phase's stats, summarize, and compare with the values computed by hand.
import t from 'tap';
import { PhaseStats, summarize } from '../../../src/loadgen/stats.js';
import { OP_READ, OP_RMW, OP_UPDATE } from '../../../src/loadgen/workloads.js';

t.test('each operation type and the total carry their counts, rate, percentiles and errors', async (t) => {
  const stats = new PhaseStats();
  for (let us = 1; us <= 1000; us++) stats.record(OP_READ, us, us);
  for (let us = 1001; us <= 2000; us++) stats.record(OP_UPDATE, us, us);
  stats.ops[OP_READ].notFound = 4;
  stats.error(OP_UPDATE, 'QUORUM', 2001);
  stats.error(OP_UPDATE, 'QUORUM', 2002);
  stats.error(OP_READ, 'BUSY', 2003);
  t.equal(stats.completed, 2003, 'successes and errors');
  t.equal(stats.lastReplyAt, 2003);

  const [read, update, total] = summarize(stats, 2, [OP_READ, OP_UPDATE]);
  t.match(read, { op: 'read', count: 1000, opsPerSec: 500, notFound: 4, errors: { BUSY: 1 }, errorCount: 1 });
  t.match(update, { op: 'update', count: 1000, errors: { QUORUM: 2 }, errorCount: 2, maxUs: 2000 });
  t.match(total, { op: 'total', count: 2000, opsPerSec: 1000, notFound: 4, errorCount: 3 });
  t.same(total?.errors, { BUSY: 1, QUORUM: 2 }, 'errors merged over types, by word');
  t.ok(Math.abs((read?.p50Us ?? 0) - 500) <= 1, `read p50 ${read?.p50Us}`);
  t.ok(Math.abs((read?.p99Us ?? 0) - 990) <= 1, `read p99 ${read?.p99Us}`);
  t.ok(Math.abs((total?.p50Us ?? 0) - 1000) <= 1, `total p50 ${total?.p50Us}`);
  for (const row of [read, update, total]) {
    t.ok((row?.p999Us ?? 0) <= (row?.maxUs ?? 0), `${row?.op}: p99.9 ≤ max`);
  }
});

t.test('a type the workload uses shows even with no replies; an unused one only if it saw any', async (t) => {
  const stats = new PhaseStats();
  stats.error(OP_RMW, 'CLOSED', 1);
  const rows = summarize(stats, 1, [OP_READ]);
  t.same(
    rows.map((r) => r.op),
    ['read', 'rmw', 'total'],
  );
  t.match(rows[0], { count: 0, p50Us: 0, maxUs: 0, errorCount: 0 });
  t.match(rows[2], { errors: { CLOSED: 1 }, errorCount: 1 });
});
