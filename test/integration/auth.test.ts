// Goal: with passwords set, only authenticated clients are served, each within its role, over
// RESP and HTTP, and the clients people use log in with their default settings. Method: a real
// server with a default password and a read, a write and an admin user; redis-cli, ioredis,
// node-redis (URL credentials), redis-py and raw sockets over RESP; fetch over HTTP.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import t from 'tap';
import { COMMANDS } from '../../src/server/resp/commands/table.js';
import { DEFAULT_PASSWORD, startSecureStack } from '../fixtures/secure-stack.js';

const exec = promisify(execFile);
const stack = await startSecureStack(t, 'auth');
const port = stack.resp.port;
const base = `http://127.0.0.1:${stack.http.port}`;

/** Sends raw RESP and collects what comes back until `done` says it is all there. */
async function raw(payload: string, done: (text: string) => boolean): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    if (done(text)) socket.end();
  });
  socket.write(payload);
  await once(socket, 'close');
  return text;
}

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

const lines = (count: number) => (text: string) => text.split('\r\n').length > count;

t.test('before AUTH every command in the table but AUTH, HELLO and QUIT answers NOAUTH', async (t) => {
  const guarded = COMMANDS.filter((spec) => !['auth', 'hello', 'quit'].includes(spec.name));
  t.ok(guarded.length >= 15, 'the table has its commands');
  const payload = guarded
    .map((spec) => {
      const argc = Math.abs(spec.arity);
      return command(spec.name, ...Array.from({ length: argc - 1 }, (_, i) => `arg${i}`));
    })
    .join('');
  const text = await raw(payload, lines(guarded.length));
  const replies = text.split('\r\n').slice(0, guarded.length);
  t.same(
    replies,
    guarded.map(() => '-NOAUTH Authentication required.'),
    `every command but AUTH, HELLO and QUIT answers NOAUTH: ${guarded.map((spec) => spec.name).join(' ')}`,
  );
  const hello = await raw(command('HELLO', '3'), lines(1));
  t.match(hello, /^-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO/);
  t.equal(await raw(command('QUIT'), () => false), '+OK\r\n', 'QUIT answers and closes');
});

t.test('commands pipelined behind AUTH run as the user it logged in', async (t) => {
  const payload =
    command('AUTH', 'writer', 'writer-pass') + command('SET', 'pipelined', 'v') + command('GET', 'pipelined');
  t.equal(await raw(payload, lines(4)), '+OK\r\n+OK\r\n$1\r\nv\r\n');
  const wrong = command('AUTH', 'writer', 'nope') + command('GET', 'pipelined');
  t.equal(
    await raw(wrong, lines(2)),
    '-WRONGPASS invalid username-password pair or user is disabled.\r\n-NOAUTH Authentication required.\r\n',
    'a failed AUTH leaves the connection unauthenticated',
  );
  const tooMany = await raw(command('AUTH', 'a', 'b', 'c'), lines(1));
  t.equal(tooMany, '-ERR syntax error\r\n');
});

t.test('redis-cli logs in with -a and --user/--pass; a read user gets NOPERM for SET', async (t) => {
  const cli = async (...args: string[]) =>
    (await exec('redis-cli', ['-p', String(port), '--no-auth-warning', ...args])).stdout.trim();
  t.equal(await cli('SET', 'cli:k', 'v'), 'NOAUTH Authentication required.', 'SET before AUTH gets NOAUTH');
  t.equal(await cli('-a', DEFAULT_PASSWORD, 'SET', 'cli:k', 'v'), 'OK');
  t.equal(await cli('--user', 'reader', '--pass', 'reader-pass', 'GET', 'cli:k'), 'v');
  t.equal(
    await cli('--user', 'reader', '--pass', 'reader-pass', 'SET', 'cli:k', 'w'),
    "NOPERM User reader has no permissions to run the 'set' command",
    'a read user gets NOPERM for SET',
  );
  t.equal(
    await cli('--user', 'writer', '--pass', 'writer-pass', 'CONFIG', 'GET', 'save'),
    "NOPERM User writer has no permissions to run the 'config' command",
    'CONFIG needs the admin role',
  );
  t.match(await cli('--user', 'boss', '--pass', 'boss-pass', 'CONFIG', 'GET', 'save'), /^save/);
  const wrong = await exec('redis-cli', ['-p', String(port), '--user', 'boss', '--pass', 'wrong', 'PING']);
  t.match(wrong.stderr, /AUTH failed: WRONGPASS invalid username-password pair or user is disabled\./);
  t.equal(wrong.stdout.trim(), 'NOAUTH Authentication required.', 'and the connection stays unauthenticated');
});

t.test('ioredis logs in with a password or a user name and password', async (t) => {
  const admin = new Redis({ port, password: DEFAULT_PASSWORD, lazyConnect: true });
  const reader = new Redis({ port, username: 'reader', password: 'reader-pass', lazyConnect: true });
  const anonymous = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false });
  t.teardown(() => {
    admin.disconnect();
    reader.disconnect();
    anonymous.disconnect();
  });
  await admin.connect();
  t.equal(await admin.set('ioredis:k', 'v'), 'OK');
  await reader.connect();
  t.equal(await reader.get('ioredis:k'), 'v');
  await t.rejects(
    reader.set('ioredis:k', 'w'),
    /NOPERM User reader has no permissions to run the 'set' command/,
  );
  t.match(await reader.client('INFO'), / user=reader /, 'CLIENT INFO names the user');
  await anonymous.connect();
  await t.rejects(anonymous.get('ioredis:k'), /NOAUTH Authentication required/);
  const wrong = new Redis({ port, password: 'wrong', lazyConnect: true, maxRetriesPerRequest: 0 });
  t.teardown(() => wrong.disconnect());
  const errors: unknown[] = [];
  wrong.on('error', (error: unknown) => errors.push(error));
  await t.rejects(wrong.connect());
  t.match(String(errors[0]), /WRONGPASS invalid username-password pair/);
});

t.test('node-redis logs in from a redis://user:pass@ URL (HELLO 3 AUTH)', async (t) => {
  const writer = createClient({ url: `redis://writer:writer-pass@127.0.0.1:${port}` });
  const reader = createClient({ url: `redis://reader:reader-pass@127.0.0.1:${port}` });
  t.teardown(() => {
    writer.destroy();
    reader.destroy();
  });
  await writer.connect();
  await reader.connect();
  t.equal(await writer.set('node-redis:k', 'v'), 'OK');
  t.equal(await reader.get('node-redis:k'), 'v');
  await t.rejects(
    reader.set('node-redis:k', 'w'),
    /NOPERM User reader has no permissions to run the 'set' command/,
  );
  const info = await writer.clientInfo();
  t.match(info, { user: 'writer', resp: 3, libName: 'node-redis' }, 'its handshake ran after the login');
  const wrong = createClient({ url: `redis://writer:wrong@127.0.0.1:${port}` });
  t.teardown(() => wrong.destroy());
  const failed = once(wrong, 'error');
  wrong.connect().catch(() => {});
  const [error] = await failed;
  t.match(String(error), /WRONGPASS/);
});

const PY_SCRIPT = `
import json, sys, redis
port = sys.argv[1]
report = {}
def attempt(name, fn):
    try:
        report[name] = fn()
    except Exception as error:
        report[name] = type(error).__name__ + ': ' + str(error)
w = redis.Redis.from_url('redis://writer:writer-pass@127.0.0.1:%s' % port)
r = redis.Redis.from_url('redis://reader:reader-pass@127.0.0.1:%s' % port)
anonymous = redis.Redis(host='127.0.0.1', port=int(port))
attempt('set', lambda: w.set('redis-py:k', 'v'))
attempt('get', lambda: r.get('redis-py:k').decode())
attempt('reader_set', lambda: r.set('redis-py:k', 'w'))
attempt('anonymous_get', lambda: anonymous.get('redis-py:k'))
print(json.dumps(report))
`;

t.test('redis-py (Debian python3-redis) logs in from a URL', async (t) => {
  const { stdout } = await exec('/usr/bin/python3', ['-c', PY_SCRIPT, String(port)]);
  const report = JSON.parse(stdout) as Record<string, unknown>;
  t.match(report, {
    set: true,
    get: 'v',
    reader_set: /NoPermissionError: User reader has no permissions to run the 'set' command/,
    anonymous_get: /AuthenticationError: Authentication required/,
  });
});

t.test('HTTP: 401 without or with wrong credentials, 403 beyond the role', async (t) => {
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });
  const none = await fetch(`${base}/buckets/default/keys/h`);
  t.equal(none.status, 401, 'no credentials: 401');
  t.match(none.headers.get('www-authenticate'), /^Basic realm="ringkv"/);
  t.match(await none.json(), { error: { code: 'UNAUTHORIZED' } });
  const wrong = await fetch(`${base}/stats`, { headers: basic('reader', 'nope') });
  t.equal(wrong.status, 401);
  t.match(await wrong.json(), { error: { code: 'UNAUTHORIZED', message: 'invalid username-password pair' } });

  const put = (headers: Record<string, string>) =>
    fetch(`${base}/buckets/default/keys/h`, { method: 'PUT', body: 'v', headers });
  const denied = await put(basic('reader', 'reader-pass'));
  t.equal(denied.status, 403, 'a read user gets 403 on PUT');
  t.match(await denied.json(), {
    error: { code: 'FORBIDDEN', message: /user reader has the read role; PUT .* needs write/ },
  });
  t.equal((await put(basic('writer', 'writer-pass'))).status, 204);
  const read = await fetch(`${base}/buckets/default/keys/h`, { headers: basic('reader', 'reader-pass') });
  t.equal(read.status, 200);
  t.equal(await read.text(), 'v');

  const props = (headers: Record<string, string>) =>
    fetch(`${base}/buckets/b13/props`, {
      method: 'PUT',
      body: JSON.stringify({ props: { n: 1, r: 1, w: 1 } }),
      headers: { 'content-type': 'application/json', ...headers },
    });
  t.equal((await props(basic('writer', 'writer-pass'))).status, 403, 'bucket props need admin');
  t.ok((await props(basic('boss', 'boss-pass'))).ok, 'an admin sets them');
  const bearer = await fetch(`${base}/stats`, { headers: { authorization: `Bearer ${DEFAULT_PASSWORD}` } });
  t.equal(bearer.status, 200, 'Bearer carries the default user password');
  const admin = await fetch(`${base}/admin/hints/drop`, {
    method: 'POST',
    headers: basic('writer', 'writer-pass'),
  });
  t.equal(admin.status, 403, '/admin needs admin');
  t.match(await admin.json(), { error: { message: /needs admin/ } });
  t.equal((await fetch(`${base}/health`)).status, 200, '/health stays open for probes');
  t.equal((await fetch(`${base}/nowhere`)).status, 401, 'unknown paths are not revealed before a login');
});

t.test('failed logins are counted in /metrics and logged without the password', async (t) => {
  const before = stack.log.length;
  await raw(command('AUTH', 'mallory', 'hunter2-secret'), lines(1));
  const metrics = await (
    await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${DEFAULT_PASSWORD}` } })
  ).text();
  t.match(metrics, /ringkv_auth_failures_total\{protocol="resp",reason="bad_credentials"\} [1-9]/);
  t.match(metrics, /ringkv_auth_failures_total\{protocol="http",reason="bad_credentials"\} [1-9]/);
  const logged = stack.log.slice(before).join('\n');
  t.match(logged, /authentication failed .* user "mallory" from 127\.0\.0\.1 over resp/);
  t.notMatch(logged, /hunter2/, 'the password is not logged');
});

t.test('the embedded API is unaffected by passwords', async (t) => {
  await stack.db.put('embedded', Buffer.from('in-process'));
  const { values } = await stack.db.get('embedded');
  t.same(
    values.map((value) => Buffer.from(value).toString()),
    ['in-process'],
  );
});
