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
    '0',
    '--http-port',
    '0',
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

t.test('every start flag is in --help and in the README', async (t) => {
  const { START_FLAGS } = await import('../../src/cli/options.js');
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const { stdout } = await run(['--help']);
  for (const flag of START_FLAGS) {
    t.match(stdout, new RegExp(`--${flag}\\b`), `--${flag} in --help`);
    t.match(readme, new RegExp(`--${flag}\\b`), `--${flag} in the README`);
  }
  t.match(stdout, /Stored props win over these four flags/, '--help states the flag/props rule');
  t.match(readme, /[Ss]tored props win/, 'and so does the README');
});

t.test('a start whose flags disagree with the stored props warns that the stored ones win', async (t) => {
  const dir = `${freshDir(t, 'cli-props')}/data`;
  const first = await startServer(dir, ['--workers', '2', '--n', '2', '--r', '1', '--w', '1']);
  const put = await fetch(`http://127.0.0.1:${first.httpPort}/buckets/default/keys/k`, {
    method: 'PUT',
    body: 'v',
  });
  t.equal(put.status, 204, 'a first write stores the default bucket props');
  first.child.kill('SIGTERM');
  await once(first.child, 'exit');
  const second = await startServer(dir, ['--w', '2', '--r', '1']);
  t.teardown(() => {
    second.child.kill('SIGTERM');
  });
  t.match(
    second.output(),
    /ringkv: warning: w=2 \(--w\) is ignored: .* stores the default bucket's w=1, and stored props win over flags; change it with PUT \/buckets\/default\/props/,
  );
  t.notMatch(second.output(), /r=1 \(--r\) is ignored/, 'a flag that agrees is not warned about');
  t.match(second.output(), /default bucket n=2 r=1 w=1/, 'the banner shows what applies');
});

t.test('a start that fails (taken port, bad n) creates no data directory', async (t) => {
  const { createServer } = await import('node:net');
  const { existsSync } = await import('node:fs');
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const dir = `${freshDir(t, 'cli-taken')}/data`;
  const onTaken = await run(['start', '--dir', dir, '--port', String(port), '--http-port', '0']);
  t.equal(onTaken.code, 2);
  t.match(onTaken.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is in use; pick another with --port`));
  t.notOk(existsSync(dir), 'no directory after a taken RESP port');
  const httpTaken = await run(['start', '--dir', dir, '--port', '0', '--http-port', String(port)]);
  t.match(httpTaken.stderr, /pick another with --http-port/);
  t.notOk(existsSync(dir), 'no directory after a taken HTTP port');
  const badN = await run(['start', '--dir', dir, '--workers', '2', '--port', '0', '--http-port', '0']);
  t.equal(badN.code, 2);
  t.notOk(existsSync(dir), 'no directory after n above the worker count');
});

t.test('ringkv status prints a table of the workers, and --json the /stats document', async (t) => {
  const server = await startServer(`${freshDir(t, 'cli-status')}/data`, ['--workers', '2', '--n', '2']);
  t.teardown(() => {
    server.child.kill('SIGTERM');
  });
  const table = await run(['status', '--http-port', String(server.httpPort)]);
  t.equal(table.code, 0);
  const lines = table.stdout.split('\n');
  t.match(lines[0], /^Status: ok \(2 of 2 workers up\), 256 partitions/);
  t.match(lines[1], /^worker\s+health\s+storage\s+owned\s+replicas\s+keys\s+hints\s+repaired\s+respawns$/);
  t.match(lines[2], /^0\s+up\s+ok\s+128\s+256\s+0\s+0\s+0\s+0$/);
  t.match(lines[3], /^1\s+up\s+ok\s+128\s+256\s+0\s+0\s+0\s+0$/);
  const json = await run(['status', '--json', '--http-port', String(server.httpPort)]);
  const stats = JSON.parse(json.stdout) as { health: { status: string }; workers: unknown[] };
  t.equal(stats.health.status, 'ok');
  t.equal(stats.workers.length, 2);
});
