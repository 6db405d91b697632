// Goal: MULTI, EXEC, DISCARD and WATCH answer byte for byte as Redis 7 does, over RESP2 and
// RESP3: queueing, EXECABORT after a command refused while queueing, errors of queued commands
// inside EXEC's array, nested MULTI, WATCH inside MULTI, a watched key changed by another client.
// Method: raw sockets against a real server; expected bytes are written out here by hand.
import { connect } from 'node:net';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';

const stack = await startStack(t, 'resp-transactions', { workers: 3, n: 3, r: 2, w: 2 });

const b = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
const int = (value: number) => `:${value}\r\n`;
const status = (text: string) => `+${text}\r\n`;
const error = (text: string) => `-${text}\r\n`;
const arr = (...items: string[]) => `*${items.length}\r\n${items.join('')}`;
const command = (...args: string[]) => arr(...args.map(b));
const OK = status('OK');
const QUEUED = status('QUEUED');
const NULL_ARRAY = '*-1\r\n';
const NULL3 = '_\r\n';

/** A raw connection: `exchange` writes commands and resolves with as many reply bytes as expected. */
async function dial(): Promise<{ exchange: (commands: string[][], expected: string) => Promise<string> }> {
  const socket = connect(stack.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.once('connect', resolve));
  let text = '';
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    waiter?.();
  });
  const exchange = (commands: string[][], expected: string) => {
    socket.write(commands.map((args) => command(...args)).join(''));
    return new Promise<string>((resolve) => {
      const check = () => {
        if (text.length < expected.length) return;
        const reply = text;
        text = '';
        waiter = null;
        resolve(reply);
      };
      waiter = check;
      check();
    });
  };
  return { exchange };
}

async function expect(
  t: { equal: (found: string, wanted: string, message: string) => void },
  connection: Awaited<ReturnType<typeof dial>>,
  commands: string[][],
  expected: string,
  what: string,
) {
  t.equal(await connection.exchange(commands, expected), expected, what);
}

t.test('EXEC runs the queued commands in order and answers their replies in one array', async (t) => {
  const c = await dial();
  await expect(
    t,
    c,
    [
      ['MULTI'],
      ['SET', 'tx:a', '1'],
      ['INCR', 'tx:a'],
      ['GET', 'tx:a'],
      ['SET', 'tx:w', 'x'],
      ['INCR', 'tx:w'],
      ['EXEC'],
    ],
    OK +
      QUEUED +
      QUEUED +
      QUEUED +
      QUEUED +
      QUEUED +
      arr(OK, int(2), b('2'), OK, error('ERR value is not an integer or out of range')),
    'a failing queued command answers its error inside the array; the others ran',
  );
  await expect(t, c, [['GET', 'tx:a']], b('2'), 'and their writes stay');
  await expect(t, c, [['MULTI'], ['EXEC']], OK + arr(), 'an empty transaction answers an empty array');
});

t.test('a command refused while queueing aborts the EXEC, as in Redis', async (t) => {
  const c = await dial();
  await expect(
    t,
    c,
    [['MULTI'], ['SET', 'tx:b', '1'], ['GET'], ['NOSUCH', 'x'], ['EXEC'], ['GET', 'tx:b']],
    OK +
      QUEUED +
      error("ERR wrong number of arguments for 'get' command") +
      error("ERR unknown command 'NOSUCH', with args beginning with: 'x' ") +
      error('EXECABORT Transaction discarded because of previous errors.') +
      `$-1\r\n`,
    'EXECABORT, and nothing of it ran',
  );
});

t.test('MULTI, EXEC, DISCARD and WATCH out of place answer Redis errors', async (t) => {
  const c = await dial();
  await expect(
    t,
    c,
    [
      ['EXEC'],
      ['DISCARD'],
      ['MULTI'],
      ['MULTI'],
      ['WATCH', 'k'],
      ['SET', 'tx:c', 'v'],
      ['DISCARD'],
      ['GET', 'tx:c'],
    ],
    error('ERR EXEC without MULTI') +
      error('ERR DISCARD without MULTI') +
      OK +
      error('ERR MULTI calls can not be nested') +
      error('ERR WATCH inside MULTI is not allowed') +
      QUEUED +
      OK +
      `$-1\r\n`,
    'nested MULTI and WATCH inside MULTI are refused without aborting; DISCARD drops the queue',
  );
});

t.test(
  'WATCH: EXEC answers nil (RESP2 *-1, RESP3 _) and runs nothing when a watched key changed',
  async (t) => {
    const c = await dial();
    const other = await dial();
    await expect(
      t,
      c,
      [
        ['SET', 'tx:w1', 'a'],
        ['WATCH', 'tx:w1'],
      ],
      OK + OK,
      'WATCH answers OK',
    );
    await expect(t, other, [['SET', 'tx:w1', 'b']], OK, 'another client writes the key');
    await expect(
      t,
      c,
      [['MULTI'], ['SET', 'tx:w1', 'c'], ['EXEC']],
      OK + QUEUED + NULL_ARRAY,
      'RESP2: a null array',
    );
    await expect(t, c, [['GET', 'tx:w1']], b('b'), 'the queued SET did not run');
    await expect(
      t,
      c,
      [['WATCH', 'tx:w1'], ['MULTI'], ['SET', 'tx:w1', 'd'], ['EXEC']],
      OK + OK + QUEUED + arr(OK),
      'unchanged: EXEC runs',
    );
    await expect(t, c, [['WATCH', 'tx:w1'], ['UNWATCH']], OK + OK, 'UNWATCH forgets');
    await expect(t, other, [['SET', 'tx:w1', 'e']], OK, 'a change after UNWATCH');
    await expect(t, c, [['MULTI'], ['GET', 'tx:w1'], ['EXEC']], OK + QUEUED + arr(b('e')), 'does not abort');

    const hello = await c.exchange([['HELLO', '3']], '%');
    t.match(hello, /^%7\r\n/, 'the connection switches to RESP3');
    await expect(t, c, [['WATCH', 'tx:w1']], OK, 'WATCH on RESP3');
    await expect(t, other, [['DEL', 'tx:w1']], int(1), 'another client deletes the key');
    await expect(t, c, [['MULTI'], ['GET', 'tx:w1'], ['EXEC']], OK + QUEUED + NULL3, 'RESP3: a null');
  },
);
