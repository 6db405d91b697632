// Goal: `ringkv start` applies the password flags as a user meets them: protected mode refuses a
// public address without a password (and only warns when opted out), the password can come from
// the environment, and users files made with `ringkv hash-password` work. Method: bin/ringkv.js
// as a child process, redis-cli as the client.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { type Running, run, startServer } from '../fixtures/cli-process.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const exec = promisify(execFile);
const SMALL = ['--workers', '2', '--partitions', '16', '--n', '1', '--r', '1', '--w', '1'];

async function stop(server: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  return exited;
}

/** Waits until the server's output matches. */
async function outputMatches(server: Running, pattern: RegExp): Promise<void> {
  while (!pattern.test(server.output())) {
    await new Promise((resolve) => {
      server.child.stdout?.once('data', resolve);
      server.child.stderr?.once('data', resolve);
    });
  }
}

const cli = async (port: number, ...args: string[]) =>
  (await exec('redis-cli', ['-p', String(port), '--no-auth-warning', ...args])).stdout.trim();

t.test('--bind 0.0.0.0 without a password exits 2 saying how to set one or opt out', async (t) => {
  const dir = freshDir(t, 'protected');
  const env = { ...process.env, RINGKV_PASSWORD: '' };
  const result = await run(
    ['start', '--dir', dir, '--bind', '0.0.0.0', '--port', 'auto', '--http-port', 'auto'],
    {
      env,
    },
  );
  t.equal(result.code, 2);
  t.match(result.stderr, /protected mode: refusing to listen on 0\.0\.0\.0/);
  for (const hint of [
    '--requirepass',
    'RINGKV_PASSWORD',
    '--users-file',
    '--bind 127.0.0.1',
    '--protected-mode no',
  ]) {
    t.match(result.stderr, hint, `names ${hint}`);
  }
});

t.test('--protected-mode no starts on 0.0.0.0 and warns', async (t) => {
  const server = await startServer(
    freshDir(t, 'unprotected'),
    [...SMALL, '--bind', '0.0.0.0', '--protected-mode', 'no'],
    {
      ...process.env,
      RINGKV_PASSWORD: '',
    },
  );
  t.teardown(() => server.child.kill('SIGKILL'));
  t.match(server.output(), /RESP on 0\.0\.0\.0:\d+/);
  await outputMatches(server, /WARNING: protected mode is off/);
  t.equal(await cli(server.port, 'PING'), 'PONG', 'and serves without a password');
  t.equal(await stop(server), 0);
});

t.test('RINGKV_PASSWORD sets the password without showing it in the command line', async (t) => {
  const password = 'from-the-environment';
  const server = await startServer(freshDir(t, 'env-pass'), [...SMALL, '--bind', '0.0.0.0'], {
    ...process.env,
    RINGKV_PASSWORD: password,
  });
  t.teardown(() => server.child.kill('SIGKILL'));
  const commandLine = readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8');
  t.notMatch(commandLine, password, 'ps does not show it');
  t.equal(await cli(server.port, 'SET', 'k', 'v'), 'NOAUTH Authentication required.');
  t.equal(await cli(server.port, '-a', password, 'SET', 'k', 'v'), 'OK');
  const status = await run(['status', '--json', '--http-port', String(server.httpPort)], {
    env: { ...process.env, RINGKV_PASSWORD: password },
  });
  t.equal(status.code, 0, 'ringkv status sends the password from the environment');
  t.match(JSON.parse(status.stdout), { requests: {} });
  t.equal(await stop(server), 0);
});

t.test('a users file made with ringkv hash-password gives each user its role', async (t) => {
  const dir = freshDir(t, 'users');
  const hashed = await run(['hash-password'], { stdin: 'alice-secret\n' });
  t.equal(hashed.code, 0, hashed.stderr);
  const hash = hashed.stdout.trim();
  t.match(hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  const usersFile = join(dir, 'users.txt');
  writeFileSync(usersFile, `# name hash role\nalice ${hash} read\n`);
  const server = await startServer(join(dir, 'data'), [...SMALL, '--users-file', usersFile]);
  t.teardown(() => server.child.kill('SIGKILL'));
  t.equal(await cli(server.port, '--user', 'alice', '--pass', 'alice-secret', 'GET', 'k'), '');
  t.equal(
    await cli(server.port, '--user', 'alice', '--pass', 'alice-secret', 'SET', 'k', 'v'),
    "NOPERM User alice has no permissions to run the 'set' command",
  );
  t.equal(await stop(server), 0);

  writeFileSync(usersFile, `alice ${hash}\n`);
  const bad = await run(['start', '--dir', join(dir, 'data'), '--users-file', usersFile, '--port', 'auto']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, `${usersFile}:1: expected 'name hash role', got 2 fields`);
});
