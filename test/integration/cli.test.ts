// Goal: `ringkv start` behaves as documented for a user: it prints where it listens, serves
// RESP, and on SIGTERM during a write load stops cleanly (exit 0) losing no acknowledged
// write. Method: spawn bin/ringkv.js on ephemeral ports, write with ioredis, restart, read back.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import t from 'tap';
import { run, startServer } from '../fixtures/cli-process.js';
import { freshDir } from '../fixtures/tmp-dir.js';

t.test('ringkv --help lists every start flag and exits 0', async (t) => {
  const { code, stdout } = await run(['--help']);
  t.equal(code, 0);
  for (const flag of [
    '--dir',
    '--workers',
    '--partitions',
    '--port',
    '--http-port',
    '--bind',
    '--max-clients',
    '--fault-injection',
  ]) {
    t.match(stdout, flag);
  }
});

t.test('ringkv start --help and status --help print the help and exit 0', async (t) => {
  for (const args of [
    ['start', '--help'],
    ['status', '-h'],
  ]) {
    const { code, stdout } = await run(args);
    t.equal(code, 0, args.join(' '));
    t.match(stdout, '--workers', args.join(' '));
  }
});

t.test('two workers with the default n=3 fail with a message that suggests --n 2', async (t) => {
  const { code, stderr } = await run([
    'start',
    '--dir',
    freshDir(t, 'cli-n'),
    '--workers',
    '2',
    '--port',
    'auto',
    '--http-port',
    'auto',
  ]);
  t.equal(code, 2);
  t.match(stderr, /ringkv start --n 2/);
});

t.test('an unknown flag or command is refused with exit code 2 and a pointer to --help', async (t) => {
  const flag = await run(['start', '--no-such-flag']);
  t.equal(flag.code, 2);
  t.match(flag.stderr, /--help/);
  const command = await run(['frobnicate']);
  t.equal(command.code, 2);
});

t.test('SIGTERM during a write load exits 0 and loses no acknowledged write', async (t) => {
  const dir = freshDir(t, 'cli');
  const first = await startServer(dir, ['--workers', '3']);
  t.teardown(() => first.child.kill('SIGKILL'));
  const client = new Redis({
    port: first.port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  await once(client, 'ready');
  const acked = new Map<string, string>();
  let stopping = false;
  const writers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; !stopping; i++) {
      const key = `k:${w}:${i}`;
      try {
        if ((await client.set(key, `v${i}`)) === 'OK') acked.set(key, `v${i}`);
      } catch {
        return; // the server is going away
      }
    }
  });
  let writing = writers.length;
  for (const writer of writers) writer.finally(() => writing--);
  while (acked.size < 300 && writing > 0) await new Promise((resolve) => setImmediate(resolve));
  t.ok(acked.size >= 300, `${acked.size} writes acknowledged before SIGTERM`);
  first.child.kill('SIGTERM');
  const [code] = await once(first.child, 'exit');
  stopping = true;
  await Promise.all(writers);
  client.disconnect();
  t.equal(code, 0, 'a clean shutdown exits 0');
  t.match(first.output(), /stopped cleanly/);

  const second = await startServer(dir);
  t.teardown(() => second.child.kill('SIGKILL'));
  const reader = new Redis({ port: second.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  const keys = [...acked.keys()];
  const values = await reader.mget(...keys);
  const lost = keys.filter((key, i) => values[i] !== acked.get(key));
  t.same(lost, [], `all ${keys.length} acknowledged writes read back after the restart`);
  await reader.quit();
  second.child.kill('SIGTERM');
  t.equal((await once(second.child, 'exit'))[0], 0);
});
