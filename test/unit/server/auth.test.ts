// Goal: password hashes, users files and the authenticator behave as the README says: scrypt
// hashes verify only their password, bad files are refused with the place named, failures are
// counted, logged without the password and slow down their address, and every command has a
// role. Method: the modules directly, with cheap scrypt parameters.
import t from 'tap';
import { AUTH_DELAY_MS_BASE, AUTH_FAILURES_FREE } from '../../../src/constants.js';
import { ACCESS_ADMIN, ACCESS_OPEN, ACCESS_READ, ACCESS_WRITE } from '../../../src/server/auth/access.js';
import { Authenticator } from '../../../src/server/auth/authenticator.js';
import { formatHash, hashPassword, parseHash, verifyPassword } from '../../../src/server/auth/passwords.js';
import { parseUsers } from '../../../src/server/auth/users.js';
import { ServerMetrics } from '../../../src/server/metrics.js';
import { COMMANDS } from '../../../src/server/resp/commands/table.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

t.test('a scrypt hash verifies its password only, and survives its text form', async (t) => {
  const hash = await hashPassword('correct horse', CHEAP);
  t.ok(await verifyPassword('correct horse', hash));
  t.notOk(await verifyPassword('correct horsf', hash));
  t.notOk(await verifyPassword('', hash));
  const text = formatHash(hash);
  t.match(text, /^scrypt\$1024\$8\$1\$/);
  t.ok(await verifyPassword('correct horse', parseHash(text, 'test')));
  const other = await hashPassword('correct horse', CHEAP);
  t.not(formatHash(other), text, 'each hash has its own salt');
});

t.test('malformed hashes are refused with the place and the expected form', async (t) => {
  const good = formatHash(await hashPassword('x', CHEAP)).split('$');
  const variants = [
    'plain-password',
    ['bcrypt', ...good.slice(1)].join('$'),
    [good[0], '1000', ...good.slice(2)].join('$'),
    [good[0], String(1 << 21), ...good.slice(2)].join('$'),
    [...good.slice(0, 4), '', good[5]].join('$'),
    good.slice(0, 5).join('$'),
  ];
  for (const text of variants) {
    t.throws(
      () => parseHash(text, 'users.txt:3'),
      { code: 'BAD_REQUEST', message: /^users\.txt:3: .*scrypt\$N\$r\$p\$salt\$hash/ },
      text,
    );
  }
});

t.test(
  'users files: lines with comments, JSON arrays and objects; bad entries name their place',
  async (t) => {
    const hash = formatHash(await hashPassword('pw', CHEAP));
    const lines = parseUsers(`# users\n\nalice ${hash} read\n  bob ${hash} admin  \n`, 'u.txt');
    t.same([...lines.keys()], ['alice', 'bob']);
    t.equal(lines.get('bob')?.role, 'admin');
    const array = parseUsers(JSON.stringify([{ name: 'carol', role: 'write', hash }]), 'u.json');
    t.equal(array.get('carol')?.role, 'write');
    const object = parseUsers(JSON.stringify({ users: [{ name: 'dave', role: 'read', hash }] }), 'u.json');
    t.equal(object.get('dave')?.role, 'read');
    const bad: [string, RegExp][] = [
      [`alice ${hash}`, /^u\.txt:1: expected 'name hash role', got 2 fields/],
      [`alice ${hash} root`, /^u\.txt:1: user alice needs a role, one of read, write, admin/],
      [`alice ${hash} read\nalice ${hash} write`, /^u\.txt: user alice appears twice/],
      ['[{"name": "x", "role": "read"}]', /user x needs a password hash/],
      ['{"users": 3}', /expected an array of users/],
      ['[{"name": "a b", "role": "read", "hash": "h"}]', /a user name is 1 to 128 printable characters/],
      ['{not json', /is not valid JSON/],
    ];
    for (const [text, message] of bad) t.throws(() => parseUsers(text, 'u.txt'), { message }, text);
  },
);

t.test('the authenticator logs in users, counts and logs failures without the password', async (t) => {
  const metrics = new ServerMetrics();
  const log: string[] = [];
  const users = parseUsers(`reader ${formatHash(await hashPassword('reader-pw', CHEAP))} read`, 'u');
  const auth = await Authenticator.create({
    password: 'admin-pw',
    users,
    metrics,
    log: (line) => log.push(line),
  });
  const peer = { address: '10.0.0.1', protocol: 'resp' as const };
  t.match(await auth.authenticate('reader', 'reader-pw', peer), {
    name: 'reader',
    role: 'read',
    level: ACCESS_READ,
  });
  t.match(await auth.authenticate(null, 'admin-pw', peer), {
    name: 'default',
    role: 'admin',
    level: ACCESS_ADMIN,
  });
  t.match(await auth.authenticate(null, 'admin-pw', peer), { name: 'default' }, 'a remembered login');
  t.equal(await auth.authenticate('reader', 'admin-pw', peer), null, "another user's password");
  t.equal(
    await auth.authenticate('nobody', 'x', { address: '10.0.0.2', protocol: 'http' }),
    null,
    'an unknown user',
  );
  const counted = await metrics.registry.getSingleMetricAsString('ringkv_auth_failures_total');
  t.match(counted, 'ringkv_auth_failures_total{protocol="resp",reason="bad_credentials"} 1');
  t.match(counted, 'ringkv_auth_failures_total{protocol="http",reason="bad_credentials"} 1');
  t.equal(log.length, 2);
  t.match(
    log[0],
    /user "reader" from 10\.0\.0\.1 over resp \(failed attempts in a row from this address: 1\)/,
  );
  t.notMatch(log.join('\n'), /admin-pw|reader-pw/, 'no password in the log');
});

t.test('repeated failures from one address slow its next attempts; a success resets the count', async (t) => {
  const metrics = new ServerMetrics();
  const log: string[] = [];
  const users = parseUsers(`u ${formatHash(await hashPassword('right', CHEAP))} write`, 'u');
  const auth = await Authenticator.create({ users, metrics, log: (line) => log.push(line) });
  const peer = { address: '10.0.0.9', protocol: 'resp' as const };
  for (let i = 0; i < AUTH_FAILURES_FREE; i++) t.equal(await auth.authenticate('u', 'wrong', peer), null);
  const started = performance.now();
  t.match(await auth.authenticate('u', 'right', peer), { name: 'u' }, 'the right password still works');
  t.ok(
    performance.now() - started >= AUTH_DELAY_MS_BASE * 0.9,
    `it waited at least ${AUTH_DELAY_MS_BASE} ms`,
  );
  t.equal(await auth.authenticate('u', 'wrong', peer), null);
  t.match(log.at(-1), /failed attempts in a row from this address: 1\)/, 'the success reset the count');
});

t.test('every command has a role: open only for AUTH, HELLO and QUIT; writes need write', async (t) => {
  const open = COMMANDS.filter((spec) => spec.access === ACCESS_OPEN).map((spec) => spec.name);
  t.same(open.sort(), ['auth', 'hello', 'quit']);
  for (const spec of COMMANDS) {
    if (spec.flags.includes('write')) t.ok(spec.access >= ACCESS_WRITE, `${spec.name} needs write`);
  }
  const admin = COMMANDS.filter((spec) => spec.access === ACCESS_ADMIN).map((spec) => spec.name);
  t.same(admin.sort(), ['config', 'flushall', 'flushdb'], 'CONFIG and the commands that delete everything');
});
