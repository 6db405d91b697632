// Goal: a connection that sends HELLO 3 gets RESP3 replies exactly as Redis 7 sends them (null,
// maps, sets, verbatim strings), one that stays on RESP2 gets RESP2, and HELLO, CLIENT and
// COMMAND answer as Redis does. Method: raw sockets against a real server; expected bytes are
// written out here by hand from Redis 7.2's networking.c and server.c, not by ringkv's encoder.
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';

const stack = await startStack(t, 'resp3', { workers: 3, n: 3, r: 2, w: 2 });

// Wire-form builders for the expected replies, independent of src/server/resp/encoder.ts.
const b = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
const int = (value: number) => `:${value}\r\n`;
const status = (text: string) => `+${text}\r\n`;
const arr = (...items: string[]) => `*${items.length}\r\n${items.join('')}`;
const map3 = (...entries: string[]) => `%${entries.length / 2}\r\n${entries.join('')}`;
const set3 = (...items: string[]) => `~${items.length}\r\n${items.join('')}`;
const command = (...args: string[]) => arr(...args.map(b));

let markers = 0;

/** A raw connection: `send` writes one command and resolves with exactly its reply's bytes. */
async function dial(): Promise<{ send: (...args: string[]) => Promise<string>; socket: Socket }> {
  const socket = connect(stack.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.once('connect', resolve));
  let text = '';
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    waiter?.();
  });
  const send = (...args: string[]) => {
    // An ECHO of a fresh marker follows the command: its reply ends the command's reply.
    const marker = `end-of-reply-${++markers}`;
    const end = b(marker);
    socket.write(command(...args) + command('ECHO', marker));
    return new Promise<string>((resolve) => {
      const check = () => {
        if (!text.endsWith(end)) return;
        const reply = text.slice(0, -end.length);
        text = '';
        waiter = null;
        resolve(reply);
      };
      waiter = check;
      check();
    });
  };
  return { send, socket };
}

/** HELLO's reply for protocol `proto` and client id `id`, as Redis 7 builds it. */
function helloReply(proto: 2 | 3, id: number): string {
  const entries = [
    b('server'),
    b('ringkv'),
    b('version'),
    b('7.0.0'),
    b('proto'),
    int(proto),
    b('id'),
    int(id),
    b('mode'),
    b('standalone'),
    b('role'),
    b('master'),
    b('modules'),
    arr(),
  ];
  return proto === 3 ? map3(...entries) : arr(...entries);
}

t.test('HELLO 3 switches one connection to RESP3 and HELLO 2 back; others stay on RESP2', async (t) => {
  const resp3 = await dial();
  const resp2 = await dial();
  const id = Number((await resp3.send('CLIENT', 'ID')).slice(1, -2));
  t.equal(await resp3.send('HELLO', '3'), helloReply(3, id), 'the map of server properties');
  t.equal(await resp3.send('HELLO'), helloReply(3, id), 'HELLO alone reports and keeps RESP3');
  await resp3.send('SET', 'resp3-present', 'v');
  t.equal(await resp3.send('GET', 'resp3-missing'), '_\r\n', 'a missing key is RESP3 null');
  t.equal(await resp3.send('MGET', 'resp3-present', 'resp3-missing'), arr(b('v'), '_\r\n'));
  t.equal(await resp3.send('CLIENT', 'GETNAME'), '_\r\n');
  t.equal(await resp3.send('CONFIG', 'GET', 'save'), map3(b('save'), b('')));
  t.equal(await resp3.send('CONFIG', 'GET', 'nothing-matches'), '%0\r\n');
  t.match(await resp3.send('INFO', 'server'), /^=\d+\r\ntxt:# Server\r\nredis_version:7\.0\.0\r\n/);
  t.equal(await resp2.send('GET', 'resp3-missing'), '$-1\r\n', 'the other connection is still RESP2');
  t.equal(await resp2.send('MGET', 'resp3-present', 'resp3-missing'), arr(b('v'), '$-1\r\n'));
  t.equal(await resp2.send('CONFIG', 'GET', 'save'), arr(b('save'), b('')));
  t.match(await resp2.send('INFO', 'server'), /^\$\d+\r\n# Server\r\nredis_version:7\.0\.0\r\n/);
  t.equal(await resp3.send('HELLO', '2'), helloReply(2, id));
  t.equal(await resp3.send('GET', 'resp3-missing'), '$-1\r\n', 'back on RESP2');
});

t.test('an INFO verbatim string counts its txt: prefix and holds the whole text', async (t) => {
  const { send } = await dial();
  await send('HELLO', '3');
  const reply = await send('INFO', 'keyspace');
  t.equal(reply, `=${'txt:# Keyspace\r\n'.length}\r\ntxt:# Keyspace\r\n\r\n`);
});

t.test('HELLO refuses what Redis refuses, and a refused HELLO changes nothing', async (t) => {
  const { send } = await dial();
  t.equal(await send('HELLO', '1'), '-NOPROTO unsupported protocol version\r\n');
  t.equal(await send('HELLO', '4'), '-NOPROTO unsupported protocol version\r\n');
  for (const version of ['x', '3.0', '03', ' 3', '']) {
    t.equal(
      await send('HELLO', version),
      '-ERR Protocol version is not an integer or out of range\r\n',
      JSON.stringify(version),
    );
  }
  t.equal(await send('HELLO', '3', 'FOO'), "-ERR Syntax error in HELLO option 'FOO'\r\n");
  t.equal(await send('HELLO', '3', 'AUTH', 'default'), "-ERR Syntax error in HELLO option 'AUTH'\r\n");
  t.equal(await send('HELLO', '3', 'SETNAME'), "-ERR Syntax error in HELLO option 'SETNAME'\r\n");
  t.equal(
    await send('HELLO', '3', 'SETNAME', 'has space'),
    '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
  );
  // Redis without requirepass: the default user has no password, other users do not exist.
  t.equal(
    await send('HELLO', '3', 'AUTH', 'alice', 'secret'),
    '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
  );
  t.equal(await send('GET', 'hello-refused'), '$-1\r\n', 'still RESP2 after every refusal');
  t.equal(await send('CLIENT', 'GETNAME'), '$-1\r\n', 'and still unnamed');
});

t.test(
  'HELLO 3 AUTH default <any password> SETNAME name is accepted, as by Redis with no password',
  async (t) => {
    const { send } = await dial();
    const id = Number((await send('CLIENT', 'ID')).slice(1, -2));
    t.equal(await send('HELLO', '3', 'auth', 'default', 'anything', 'setname', 'cart-7'), helloReply(3, id));
    t.equal(await send('CLIENT', 'GETNAME'), b('cart-7'));
    t.equal(await send('HELLO', '3', 'SETNAME', ''), helloReply(3, id), 'an empty name removes it');
    t.equal(await send('CLIENT', 'GETNAME'), '_\r\n');
  },
);

t.test('CLIENT SETINFO validates its attribute and value; CLIENT INFO reports them', async (t) => {
  const { send } = await dial();
  t.equal(await send('CLIENT', 'SETINFO', 'lib-name', 'node-redis'), '+OK\r\n');
  t.equal(await send('CLIENT', 'SETINFO', 'LIB-VER', '6.3.1'), '+OK\r\n');
  t.equal(await send('CLIENT', 'SETINFO', 'lib-foo', 'x'), "-ERR Unrecognized option 'lib-foo'\r\n");
  t.equal(
    await send('CLIENT', 'SETINFO', 'LIB-NAME', 'has space'),
    '-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n',
  );
  t.equal(
    await send('CLIENT', 'SETINFO', 'lib-ver', 'line\nbreak'),
    '-ERR lib-ver cannot contain spaces, newlines or special characters.\r\n',
  );
  t.equal(
    await send('CLIENT', 'SETINFO', 'lib-name'),
    "-ERR wrong number of arguments for 'client|setinfo' command\r\n",
  );
  t.equal(await send('CLIENT', 'NOPE'), "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
  t.equal(await send('CLIENT', 'SETNAME', 'shop-1'), '+OK\r\n');
  const id = Number((await send('CLIENT', 'ID')).slice(1, -2));
  const info2 = await send('CLIENT', 'INFO');
  t.match(info2, /^\$\d+\r\nid=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=-1 name=shop-1 /);
  t.match(info2, new RegExp(`^\\$\\d+\\r\\nid=${id} `));
  t.match(info2, / cmd=client\|info user=default redir=-1 resp=2 lib-name=node-redis lib-ver=6\.3\.1\n\r\n$/);
  await send('HELLO', '3');
  const info3 = await send('CLIENT', 'INFO');
  t.match(info3, /^=\d+\r\ntxt:id=\d+ .* resp=3 lib-name=node-redis lib-ver=6\.3\.1\n\r\n$/);
  const body = info3.slice(info3.indexOf('\r\n') + 2, -2);
  t.equal(Number(info3.slice(1, info3.indexOf('\r\n'))), Buffer.byteLength(body), 'the length counts txt:');
});

/** COMMAND INFO get as Redis 7.2 answers it (addReplyCommandInfo), in either protocol. */
function getInfo(proto: 2 | 3): string {
  const s = proto === 3 ? set3 : arr;
  const m = proto === 3 ? map3 : arr;
  return arr(
    b('get'),
    int(2),
    s(status('readonly'), status('fast')),
    int(1),
    int(1),
    int(1),
    s(status('@read'), status('@string'), status('@fast')),
    s(),
    s(
      m(
        b('flags'),
        s(status('RO'), status('access')),
        b('begin_search'),
        m(b('type'), b('index'), b('spec'), m(b('index'), int(1))),
        b('find_keys'),
        m(
          b('type'),
          b('range'),
          b('spec'),
          m(b('lastkey'), int(0), b('keystep'), int(1), b('limit'), int(0)),
        ),
      ),
    ),
    s(),
  );
}

t.test('COMMAND INFO answers Redis 7’s ten fields, with sets and maps on RESP3', async (t) => {
  const { send } = await dial();
  t.equal(await send('COMMAND', 'INFO', 'get', 'no-such-command'), arr(getInfo(2), '$-1\r\n'));
  t.equal(await send('COMMAND', 'INFO', 'GET'), arr(getInfo(2)), 'names are case-insensitive');
  await send('HELLO', '3');
  t.equal(await send('COMMAND', 'INFO', 'get', 'no-such-command'), arr(getInfo(3), '_\r\n'));
  const mset = await send('COMMAND', 'INFO', 'mset');
  t.ok(
    mset.startsWith(
      `*1\r\n*10\r\n${b('mset')}${int(-3)}${set3(status('write'), status('denyoom'))}${int(1)}${int(-1)}${int(2)}`,
    ),
    'MSET: keys from 1 to the last, every second argument',
  );
  t.match(mset, /\$7\r\nlastkey\r\n:-1\r\n\$7\r\nkeystep\r\n:2\r\n/);
  const client = await send('COMMAND', 'INFO', 'client');
  t.ok(client.includes(status('@slow')), 'a container without flags is @slow');
  for (const sub of ['client|setname', 'client|getname', 'client|setinfo', 'client|id', 'client|info']) {
    t.ok(client.includes(b(sub)), `CLIENT lists ${sub}`);
  }
  t.match(
    await send('COMMAND', 'INFO', 'client|setinfo'),
    /^\*1\r\n\*10\r\n\$14\r\nclient\|setinfo\r\n:4\r\n/,
  );
});

t.test('COMMAND DOCS answers a map per command: summary, since, group, complexity, arguments', async (t) => {
  const { send } = await dial();
  await send('HELLO', '3');
  const key = map3(
    b('name'),
    b('key'),
    b('type'),
    b('key'),
    b('display_text'),
    b('key'),
    b('key_spec_index'),
    int(0),
  );
  const getDocs = map3(
    b('summary'),
    b('Returns the string value of a key.'),
    b('since'),
    b('1.0.0'),
    b('group'),
    b('string'),
    b('complexity'),
    b('O(1)'),
    b('arguments'),
    arr(key),
  );
  t.equal(await send('COMMAND', 'DOCS', 'get', 'no-such-command'), map3(b('get'), getDocs));
  t.equal(await send('COMMAND', 'DOCS', 'no-such-command'), '%0\r\n');
  const ping = await send('COMMAND', 'DOCS', 'ping');
  t.ok(
    ping.includes(
      arr(
        map3(
          b('name'),
          b('message'),
          b('type'),
          b('string'),
          b('display_text'),
          b('message'),
          b('flags'),
          set3(status('optional')),
        ),
      ),
    ),
    'PING has one optional message argument',
  );
  const hello = await send('COMMAND', 'DOCS', 'hello');
  t.ok(hello.includes(b('token') + b('AUTH')), 'HELLO documents its AUTH block');
  t.ok(hello.includes(b('history')), 'HELLO has its history');
  const client = await send('COMMAND', 'DOCS', 'client');
  t.ok(
    client.includes(b('subcommands')) && client.includes(b('client|setinfo')),
    'CLIENT documents its subcommands',
  );
  const all = await send('COMMAND', 'DOCS');
  const count = Number((await send('COMMAND', 'COUNT')).slice(1, -2));
  t.ok(all.startsWith(`%${count}\r\n`), 'COMMAND DOCS alone documents every command');
});

t.test('COMMAND COUNT counts the commands; COMMAND LIST adds the subcommands', async (t) => {
  const { send } = await dial();
  const count = Number((await send('COMMAND', 'COUNT')).slice(1, -2));
  const list = await send('COMMAND', 'LIST');
  const names = [...list.matchAll(/\$\d+\r\n([^\r]*)\r\n/g)].map((match) => match[1] as string);
  t.equal(names.filter((name) => !name.includes('|')).length, count);
  const expected = [
    'get',
    'set',
    'del',
    'exists',
    'mget',
    'mset',
    'vget',
    'vput',
    'vdel',
    'explain',
    'ping',
    'echo',
    'quit',
    'select',
    'hello',
    'client',
    'client|setname',
    'client|getname',
    'client|setinfo',
    'client|id',
    'client|info',
    'client|help',
    'bucket',
    'info',
    'command',
    'command|count',
    'command|list',
    'command|info',
    'command|docs',
    'command|help',
    'config',
    'config|get',
  ];
  for (const name of expected) t.ok(names.includes(name), `${name} is listed`);
  const all = await send('COMMAND');
  t.ok(all.startsWith(`*${count}\r\n*10\r\n`), 'COMMAND alone describes every command in ten fields');
  t.equal(await send('COMMAND', 'NOPE'), "-ERR unknown subcommand 'NOPE'. Try COMMAND HELP.\r\n");
  t.equal(
    await send('COMMAND', 'COUNT', 'x'),
    "-ERR wrong number of arguments for 'command|count' command\r\n",
  );
});

t.test('CONFIG GET takes glob patterns, as Redis 7 does', async (t) => {
  const { send } = await dial();
  t.equal(await send('CONFIG', 'GET', '*'), arr(b('save'), b(''), b('appendonly'), b('yes')));
  t.equal(await send('CONFIG', 'GET', 'APPEND*', 'sav?'), arr(b('appendonly'), b('yes'), b('save'), b('')));
  t.equal(
    await send('CONFIG', 'GET', 's[a-b]ve', 'save'),
    arr(b('save'), b('')),
    'a name matched twice is listed once',
  );
  t.equal(await send('CONFIG', 'GET', 'maxmemory'), '*0\r\n');
});

t.test('CLIENT HELP and COMMAND HELP answer, as the unknown-subcommand errors suggest', async (t) => {
  const { send } = await dial();
  for (const container of ['CLIENT', 'COMMAND']) {
    const help = await send(container, 'help');
    t.match(
      help,
      new RegExp(
        `^\\*\\d+\\r\\n\\+${container} <subcommand> \\[<arg> \\[value\\] \\[opt\\] \\.\\.\\.\\]\\. Subcommands are:\\r\\n`,
      ),
    );
    t.ok(
      help.endsWith(`${status('HELP')}${status('    Print this help.')}`),
      `${container} HELP ends with HELP itself`,
    );
  }
  t.match(await send('CLIENT', 'HELP'), /\+SETINFO <option> <value>\r\n/);
  t.match(await send('COMMAND', 'HELP'), /\+DOCS \[<command-name> \.\.\.\]\r\n/);
});

t.test('EXPLAIN answers maps on RESP3 (flat pairs on RESP2), and a tombstone’s value is null', async (t) => {
  const { send } = await dial();
  await send('SET', 'explained', 'v');
  await send('DEL', 'explained');
  const resp2 = await send('EXPLAIN', 'explained');
  t.match(resp2, /^\*6\r\n\$9\r\npartition\r\n:\d+\r\n\$15\r\npreference_list\r\n\*3\r\n/);
  t.match(resp2, /\$5\r\nvalue\r\n\$-1\r\n\$2\r\nts\r\n:\d+\r\n/, 'the tombstone is a RESP2 null bulk');
  await send('HELLO', '3');
  const resp3 = await send('EXPLAIN', 'explained');
  t.match(resp3, /^%3\r\n\$9\r\npartition\r\n:\d+\r\n\$15\r\npreference_list\r\n\*3\r\n/);
  t.match(resp3, /\$8\r\nreplicas\r\n\*\d+\r\n%3\r\n\$6\r\nworker\r\n:\d+\r\n/, 'each replica is a map');
  t.match(
    resp3,
    /%5\r\n\$5\r\nvalue\r\n_\r\n\$2\r\nts\r\n:\d+\r\n/,
    'each version is a map; the tombstone is null',
  );
});

t.test('replies to commands pipelined before HELLO 3 stay RESP2, those after it are RESP3', async (t) => {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const byteByByte of [false, true]) {
    const { send, socket } = await dial();
    const id = Number((await send('CLIENT', 'ID')).slice(1, -2));
    // These answer once the workers reply, after the HELLO behind them has run.
    const before = ['GET missing-key', 'MGET missing-key', 'INFO keyspace ringkv'];
    const input = [...before, 'HELLO 3', ...before].map((line) => command(...line.split(' '))).join('');
    const bytes = Buffer.from(input + command('ECHO', 'end'), 'latin1');
    const received = new Promise<string>((resolve) => {
      let text = '';
      socket.removeAllListeners('data');
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.endsWith(b('end'))) resolve(text.slice(0, -b('end').length));
      });
    });
    for (let at = 0; at < bytes.length; at += byteByByte ? 1 : bytes.length) {
      socket.write(bytes.subarray(at, byteByByte ? at + 1 : bytes.length));
    }
    const info = '# Keyspace\r\n\r\n# Ringkv\r\n[^]*?';
    const expected = new RegExp(
      [
        `^${literal('$-1\r\n')}`,
        literal(arr('$-1\r\n')),
        `\\$\\d+\\r\\n${info}`,
        literal(helloReply(3, id)),
        literal('_\r\n'),
        literal(arr('_\r\n')),
        `=\\d+\\r\\ntxt:${info}$`,
      ].join(''),
    );
    t.match(
      await received,
      expected,
      `each reply in the protocol of its time (sent ${byteByByte ? 'byte by byte' : 'whole'})`,
    );
  }
});
