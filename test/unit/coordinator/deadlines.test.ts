// Goal: the deadline queue expires exactly the ids whose time has come, in order, once.
// Method: push deadlines in time order, sweep at chosen instants, compare with a filter.
import t from 'tap';
import { DeadlineQueue } from '../../../src/coordinator/deadlines.js';

t.test('a sweep expires exactly the deadlines at or before now, in insertion order', async (t) => {
  const queue = new DeadlineQueue();
  for (let id = 1; id <= 10; id++) queue.push(id, id * 100);
  const expired: number[] = [];
  queue.sweep(350, (id) => expired.push(id));
  t.same(expired, [1, 2, 3]);
  queue.sweep(350, (id) => expired.push(id));
  t.same(expired, [1, 2, 3], 'a second sweep at the same time expires nothing more');
  queue.sweep(1000, (id) => expired.push(id));
  t.same(expired, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.equal(queue.size, 0);
});

t.test('the queue compacts without losing or repeating entries over many cycles', async (t) => {
  const queue = new DeadlineQueue();
  let expired = 0;
  let pushed = 0;
  for (let cycle = 0; cycle < 50; cycle++) {
    for (let i = 0; i < 1000; i++) queue.push(pushed, pushed++);
    queue.sweep(pushed - 500, () => expired++);
  }
  queue.sweep(pushed, () => expired++);
  t.equal(expired, pushed);
  t.equal(queue.size, 0);
});
