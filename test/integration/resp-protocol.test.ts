// Goal: the RESP server survives what real clients and broken ones send: malformed streams,
// inline commands, QUIT, too many clients, idle and never-reading clients. Method: raw sockets
// (each malformed case whole and byte by byte) and redis-cli against real servers on port 0.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import t from 'tap';
import { open } from '../../src/index.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { type RespServerOptions, startRespServer } from '../../src/server/resp/server.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const MAX_INLINE_BYTES = 1024;
const MAX_BULK_BYTES = 1024 * 1024;

const db = await open({ dir: freshDir(t, 'resp-protocol'), workers: 3, n: 3, r: 2, w: 2 });
const options: RespServerOptions = {
  host: '127.0.0.1',
  port: 0,
  maxClients: 100,
  pipelineDepthMax: 1024,
  maxBulkBytes: MAX_BULK_BYTES,
  maxArrayLength: 1024,
  maxInlineBytes: MAX_INLINE_BYTES,
  idleTimeoutMs: 0,
  metrics: new ServerMetrics(),
};
const server = await startRespServer(db, options);
t.teardown(async () => {
  await server.close();
  await db.close();
});

async function dial(port = server.port): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {}); // a reset after the server closes is an expected outcome here
  await once(socket, 'connect');
  return socket;
}

/** Collects what a socket receives; `until` resolves once the text satisfies a test. */
function reader(socket: Socket) {
  let text = '';
  const waiters: { test: (text: string) => boolean; resolve: (text: string) => void }[] = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const waiter of waiters.splice(0)) {
      if (waiter.test(text)) waiter.resolve(text);
      else waiters.push(waiter);
    }
  });
  return {
    text: () => text,
    until: (test: (text: string) => boolean) =>
      new Promise<string>((resolve) => {
        if (test(text)) resolve(text);
        else waiters.push({ test, resolve });
      }),
  };
}

/** Sends `input` (whole, or one byte per write) and returns all the server said before closing. */
async function sendUntilClosed(input: string, byteByByte: boolean): Promise<string> {
  const socket = await dial();
  const received = reader(socket);
  const closed = once(socket, 'close');
  const bytes = Buffer.from(input, 'latin1');
  if (byteByByte) {
    for (let at = 0; at < bytes.length && socket.writable; at++) {
      await new Promise<void>((resolve) => socket.write(bytes.subarray(at, at + 1), () => resolve()));
    }
  } else {
    socket.write(bytes);
  }
  await closed;
  return received.text();
}

async function ping(port = server.port): Promise<string> {
  const socket = await dial(port);
  const received = reader(socket);
  socket.write('*1\r\n$4\r\nPING\r\n');
  const reply = await received.until((text) => text.includes('\r\n'));
  socket.destroy();
  return reply;
}

const command = (...args: string[]) =>
  `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

t.test(
  'malformed streams get a protocol error and a close, and the server answers the next PING',
  async (t) => {
    const cases: [string, string][] = [
      ['an array length with a leading zero', '*01\r\n'],
      ['an inline line with an unclosed quote', 'SET "k v\r\n'],
      ['an inline closing quote followed by a byte', 'SET """k""" v\r\n'],
      ['a non-numeric array length', '*abc\r\n'],
      ['a negative bulk length', '*1\r\n$-5\r\n'],
      ['a huge bulk length', '*1\r\n$99999999999999\r\n'],
      ['a declared 2 GB bulk', '*2\r\n$3\r\nSET\r\n$2147483648\r\n'],
      ['a nested array', '*1\r\n*1\r\n$4\r\nPING\r\n'],
      ['an integer element', '*1\r\n:1\r\n'],
      ['a bulk without its CRLF', '*1\r\n$4\r\nPINGxx'],
      ['a header line not ended by CRLF', '*1\rX'],
      ['an inline line over maxInlineBytes', 'A'.repeat(MAX_INLINE_BYTES + 10)],
    ];
    for (const [name, input] of cases) {
      for (const byteByByte of [false, true]) {
        t.test(`${name}, sent ${byteByByte ? 'byte by byte' : 'whole'}`, async (t) => {
          const reply = await sendUntilClosed(input, byteByByte);
          t.match(reply, /^-ERR Protocol error: [^\r\n]+\r\n$/);
          t.equal(await ping(), '+PONG\r\n', 'a fresh connection is served');
        });
      }
    }
  },
);

t.test('commands before a malformed one are answered before the error', async (t) => {
  const reply = await sendUntilClosed(
    `${command('PING')}${command('ECHO', 'hi')}*abc\r\n${command('PING')}`,
    false,
  );
  t.equal(reply, '+PONG\r\n$2\r\nhi\r\n-ERR Protocol error: invalid multibulk length\r\n');
});

t.test(
  'garbage bytes ending in a newline are an unknown command, and the connection stays open',
  async (t) => {
    const socket = await dial();
    const received = reader(socket);
    socket.write(Buffer.from([0x00, 0xff, 0xfe, 0x20, 0x67, 0x0d, 0x0a]));
    socket.write(command('PING'));
    const text = await received.until((text) => text.endsWith('+PONG\r\n'));
    t.match(text, /^-ERR unknown command '[^']*', with args beginning with: 'g' \r\n\+PONG\r\n$/);
    socket.destroy();
  },
);

t.test('inline commands, as typed in telnet, are answered', async (t) => {
  const socket = await dial();
  const received = reader(socket);
  socket.write('PING\r\nSET inline-key inline-value\r\nGET inline-key\nECHO   spaced\r\n');
  const text = await received.until((text) => text.endsWith('spaced\r\n'));
  t.equal(text, '+PONG\r\n+OK\r\n$12\r\ninline-value\r\n$6\r\nspaced\r\n');
  socket.destroy();
});

t.test('array counts of zero or less get no reply and keep the connection, as in Redis', async (t) => {
  for (const byteByByte of [false, true]) {
    const socket = await dial();
    const received = reader(socket);
    const bytes = Buffer.from(`*0\r\n*-1\r\n*-10\r\n${command('ECHO', 'after')}`, 'latin1');
    for (let at = 0; at < bytes.length; at += byteByByte ? 1 : bytes.length) {
      socket.write(bytes.subarray(at, byteByByte ? at + 1 : bytes.length));
    }
    const text = await received.until((text) => text.endsWith('after\r\n'));
    t.equal(
      text,
      '$5\r\nafter\r\n',
      `only the ECHO is answered (sent ${byteByByte ? 'byte by byte' : 'whole'})`,
    );
    socket.destroy();
  }
});

t.test('inline commands with quotes and escapes reach the command as Redis splits them', async (t) => {
  const socket = await dial();
  const received = reader(socket);
  socket.write(`SET "spaced key" 'it\\'s'\r\nGET "spaced\\x20key"\r\nECHO "tab\\there"\r\n`);
  const text = await received.until((text) => text.endsWith('here\r\n'));
  t.equal(text, "+OK\r\n$4\r\nit's\r\n$8\r\ntab\there\r\n");
  socket.destroy();
});

t.test('QUIT answers OK, closes, and what follows it is not run', async (t) => {
  const reply = await sendUntilClosed(`${command('QUIT')}${command('SET', 'after-quit', 'v')}`, false);
  t.equal(reply, '+OK\r\n');
  t.equal(await ping(), '+PONG\r\n');
  const check = await dial();
  const received = reader(check);
  check.write(command('EXISTS', 'after-quit'));
  t.equal(await received.until((text) => text.endsWith('\r\n')), ':0\r\n');
  check.destroy();
});

t.test('a client that half-closes after its commands still gets every reply, then a close', async (t) => {
  const socket = await dial();
  const received = reader(socket);
  const closed = once(socket, 'close');
  socket.end(`${command('SET', 'half', 'closed')}${command('GET', 'half')}PING\r\n`);
  await closed;
  t.equal(received.text(), '+OK\r\n$6\r\nclosed\r\n+PONG\r\n');
});

t.test('a connection past maxClients gets an error and is closed; a freed slot is reused', async (t) => {
  const small = await startRespServer(db, { ...options, maxClients: 2 });
  t.teardown(() => small.close());
  const first = await dial(small.port);
  const second = await dial(small.port);
  for (const socket of [first, second]) {
    const received = reader(socket);
    socket.write(command('PING'));
    t.equal(await received.until((text) => text.endsWith('\r\n')), '+PONG\r\n');
  }
  const third = await dial(small.port);
  const received = reader(third);
  await once(third, 'close');
  t.equal(received.text(), '-ERR max number of clients reached\r\n');
  t.equal(small.stats().connectionsRejected, 1);
  t.equal(small.connections(), 2);
  const freed = once(small.events, 'closed');
  first.destroy();
  await freed;
  t.equal(await ping(small.port), '+PONG\r\n');
  second.destroy();
});

t.test('an idle connection is closed after idleTimeoutMs', async (t) => {
  const idle = await startRespServer(db, { ...options, idleTimeoutMs: 50 });
  t.teardown(() => idle.close());
  const socket = await dial(idle.port);
  const received = reader(socket);
  const serverSide = once(idle.events, 'closed');
  socket.write(command('PING'));
  await received.until((text) => text.endsWith('\r\n'));
  await Promise.all([once(socket, 'close'), serverSide]);
  t.equal(received.text(), '+PONG\r\n', 'the server closed it without a reply');
  t.equal(idle.connections(), 0);
});

t.test('a client that never reads is paused, and the replies held for it stay bounded', async (t) => {
  const depth = 16;
  const writeBufferBytesMax = 1024 * 1024;
  const valueBytes = 256 * 1024;
  const strict = await startRespServer(db, { ...options, pipelineDepthMax: depth, writeBufferBytesMax });
  t.teardown(() => strict.close());
  const writer = await dial(strict.port);
  const written = reader(writer);
  writer.write(command('SET', 'large', 'L'.repeat(valueBytes)));
  t.equal(await written.until((text) => text.endsWith('\r\n')), '+OK\r\n');
  // The writer's close must not be taken for the stalled client's below.
  const writerGone = once(strict.events, 'closed');
  writer.destroy();
  await writerGone;

  const before = strict.stats().commandsProcessed;
  const stalled = await dial(strict.port);
  stalled.pause(); // and no 'data' listener: the client reads nothing
  const pausedForWrites = new Promise<void>((resolve) => {
    const listener = (_id: number, reason: string) => {
      if (reason !== 'writes') return;
      strict.events.off('paused', listener);
      resolve();
    };
    strict.events.on('paused', listener);
  });
  const gets = 400;
  stalled.write(command('GET', 'large').repeat(gets));
  await pausedForWrites;
  const stats = strict.stats();
  t.equal(stats.connectionsPaused, 1, 'the connection stopped reading');
  t.ok(
    stats.commandsProcessed - before < gets,
    `only ${stats.commandsProcessed - before} of ${gets} commands were run`,
  );
  const bound = writeBufferBytesMax + depth * (valueBytes + 16);
  t.ok(
    stats.bufferedReplyBytes <= bound,
    `${stats.bufferedReplyBytes} reply bytes held; the bound is ${bound}`,
  );
  t.ok(stats.bufferedReplyBytes > writeBufferBytesMax, 'it paused because its replies were not read');
  const gone = once(strict.events, 'closed');
  stalled.destroy();
  await gone;
  t.equal(strict.stats().connectionsPaused, 0);
  t.equal(await ping(strict.port), '+PONG\r\n');
});

const REDIS_CLI = '/usr/bin/redis-cli';

t.test(
  'redis-cli can PING, SET and GET',
  { skip: existsSync(REDIS_CLI) ? false : `${REDIS_CLI} is not installed (Debian: apt install redis-tools)` },
  async (t) => {
    const cli = async (...args: string[]) =>
      (await promisify(execFile)(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(server.port), ...args])).stdout;
    t.equal(await cli('PING'), 'PONG\n');
    t.equal(await cli('SET', 'from-cli', 'hello world'), 'OK\n');
    t.equal(await cli('GET', 'from-cli'), 'hello world\n');
    t.match(await cli('VGET', 'from-cli'), /^[A-Za-z0-9_-]+\nhello world\n$/);
    t.match(await cli('INFO', 'server'), /redis_version:7\.0\.0/);
  },
);
