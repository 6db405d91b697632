// Goal: the RESP request decoder yields exactly the commands sent, refuses malformed input with a
// protocol error, and never holds more than its limits. Method: every case is fed whole, byte
// by byte and in 7-byte chunks (node-redis's habit), and the three runs must agree.
import t from 'tap';
import { type DecoderLimits, RespDecoder, RespProtocolError } from '../../../src/server/resp/decoder.js';

const LIMITS: DecoderLimits = {
  maxBulkBytes: 1024 * 1024,
  maxArrayLength: 1000,
  maxInlineBytes: 1024,
  maxRequestBytes: 4 * 1024 * 1024,
};

interface Outcome {
  commands: string[][];
  error: string | null;
  /** Bytes the decoder held when it stopped (at the error, or at the end of the input). */
  buffered: number;
  /** Input bytes fed before the error was raised (all of them when there was none). */
  fed: number;
}

function decode(input: Buffer, chunkBytes: number, limits: DecoderLimits = LIMITS): Outcome {
  const decoder = new RespDecoder(limits);
  const commands: string[][] = [];
  let at = 0;
  while (at < input.length) {
    decoder.push(input.subarray(at, at + chunkBytes));
    at = Math.min(input.length, at + chunkBytes);
    try {
      for (let command = decoder.next(); command !== null; command = decoder.next()) {
        commands.push(command.map((arg) => arg.toString('latin1')));
      }
    } catch (error) {
      if (!(error instanceof RespProtocolError)) throw error;
      return { commands, error: error.message, buffered: decoder.bufferedBytes, fed: at };
    }
  }
  return { commands, error: null, buffered: decoder.bufferedBytes, fed: at };
}

/** Decodes whole, byte by byte and in 7-byte chunks; checks the runs agree and returns one. */
/**
 * Decodes whole, byte by byte and in 7-byte chunks. Returns the whole run's outcome and how the
 * split runs differed from it (an empty list when they agree).
 */
function decodeEveryWay(
  input: Buffer | string,
  limits: DecoderLimits = LIMITS,
): Outcome & { differences: string[] } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const whole = decode(bytes, bytes.length || 1, limits);
  const differences: string[] = [];
  for (const chunkBytes of [1, 7]) {
    const split = decode(bytes, chunkBytes, limits);
    if (JSON.stringify(split.commands) !== JSON.stringify(whole.commands)) {
      differences.push(`${chunkBytes}-byte chunks gave commands ${JSON.stringify(split.commands)}`);
    }
    if (split.error !== whole.error) differences.push(`${chunkBytes}-byte chunks gave error ${split.error}`);
  }
  return { ...whole, differences };
}

const bulk = (arg: string) => `$${Buffer.byteLength(arg, 'latin1')}\r\n${arg}\r\n`;
const command = (...args: string[]) => `*${args.length}\r\n${args.map(bulk).join('')}`;

t.test('well-formed requests', async (t) => {
  const cases: [string, string, string[][]][] = [
    ['a single array of bulk strings', command('PING'), [['PING']]],
    [
      'several commands in one chunk',
      command('SET', 'k', 'v') + command('GET', 'k'),
      [
        ['SET', 'k', 'v'],
        ['GET', 'k'],
      ],
    ],
    [
      'a bulk holding CR, LF and binary bytes',
      command('SET', 'k', 'a\r\nb\x00\xff'),
      [['SET', 'k', 'a\r\nb\x00\xff']],
    ],
    ['an empty bulk string', command('SET', 'k', ''), [['SET', 'k', '']]],
    [
      'arrays of zero or fewer elements, which carry no command (Redis skips them)',
      `*0\r\n*-1\r\n*-10\r\n*-999999999999999\r\n${command('PING')}`,
      [['PING']],
    ],
    ['an inline command ended by CRLF', 'PING\r\n', [['PING']]],
    ['an inline command ended by LF alone', 'SET k v\n', [['SET', 'k', 'v']]],
    ['inline words separated by runs of spaces and tabs', '  GET \t k  \r\n', [['GET', 'k']]],
    ['empty inline lines, which are skipped', '\r\n\n   \r\nPING\r\n', [['PING']]],
    [
      'inline and array commands mixed',
      `PING\r\n${command('ECHO', 'x')}PING\r\n`,
      [['PING'], ['ECHO', 'x'], ['PING']],
    ],
  ];
  for (const [name, input, expected] of cases) {
    t.test(`${name} decodes to its arguments`, async (t) => {
      const outcome = decodeEveryWay(input);
      t.same(outcome.differences, [], 'whole, byte by byte and in chunks agree');
      t.same(outcome.commands, expected);
      t.equal(outcome.error, null);
      t.equal(outcome.buffered, 0, 'nothing is held once the commands are out');
    });
  }
});

t.test('inline lines split as Redis splits them (sdssplitargs)', async (t) => {
  // Expected arguments worked out from Redis 7.2's sdssplitargs (src/sds.c), case by case.
  const cases: [string, string, string[]][] = [
    ['double quotes keep spaces', 'set "a b" c', ['set', 'a b', 'c']],
    ['single quotes keep spaces', "set 'a b' c", ['set', 'a b', 'c']],
    ['an empty quoted word is an empty argument', 'set k ""', ['set', 'k', '']],
    ['an empty single-quoted word too', "set k ''", ['set', 'k', '']],
    ['double-quote escapes', String.raw`echo "\n\r\t\b\a\\\""`, ['echo', '\n\r\t\b\x07\\"']],
    ['hex escapes', String.raw`echo "\x41\xfF\x00"`, ['echo', 'A\xff\x00']],
    ['a hex escape with one hex digit stands for x', String.raw`echo "\x4g"`, ['echo', 'x4g']],
    ['an unknown escape stands for the byte', String.raw`echo "\q"`, ['echo', 'q']],
    [String.raw`single quotes, where only \' escapes`, String.raw`echo 'a\'b\n'`, ['echo', "a'b\\n"]],
    ['a quote opening inside a word joins it', 'echo a"b c"', ['echo', 'ab c']],
    ['a closing quote may be followed by a tab', 'echo "a"\tb', ['echo', 'a', 'b']],
    ['quotes inside the other quotes are plain', `echo "it's" 'say "x"'`, ['echo', "it's", 'say "x"']],
    ['a vertical tab is a blank between words but part of a word', 'echo \x0ba\x0bb', ['echo', 'a\x0bb']],
    ['a bare backslash is a plain byte', String.raw`echo a\b`, ['echo', 'a\\b']],
    ['a NUL byte is an ordinary byte', 'echo a\x00b "c\x00"', ['echo', 'a\x00b', 'c\x00']],
  ];
  for (const [name, line, expected] of cases) {
    for (const ending of ['\r\n', '\n']) {
      const outcome = decodeEveryWay(`${line}${ending}PING${ending}`);
      t.same(outcome.differences, [], `${name}: whole, byte by byte and in chunks agree`);
      t.same(outcome.commands, [expected, ['PING']], `${name} (${JSON.stringify(ending)})`);
      t.equal(outcome.error, null);
    }
  }
});

t.test('a bulk of 100 KiB arriving in pieces decodes intact', async (t) => {
  const value = Buffer.alloc(100 * 1024);
  for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
  const input = Buffer.concat([
    Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`),
    value,
    Buffer.from('\r\n'),
  ]);
  for (const chunkBytes of [1, 1000, input.length]) {
    const decoder = new RespDecoder(LIMITS);
    let got: Buffer[] | null = null;
    let heldMax = 0;
    for (let at = 0; at < input.length; at += chunkBytes) {
      decoder.push(input.subarray(at, at + chunkBytes));
      got = decoder.next() ?? got;
      heldMax = Math.max(heldMax, decoder.bufferedBytes);
    }
    t.ok(got?.[2]?.equals(value), `the value is intact when fed in ${chunkBytes}-byte chunks`);
    t.ok(heldMax <= value.length + 2, `at most the declared bulk is held (${heldMax} bytes)`);
  }
});

t.test('arguments of a command that arrived whole are slices of the chunk, not copies', async (t) => {
  const chunk = Buffer.from(command('SET', 'key', 'value'));
  const decoder = new RespDecoder(LIMITS);
  decoder.push(chunk);
  const args = decoder.next();
  t.ok(args !== null);
  for (const arg of args ?? []) t.equal(arg.buffer, chunk.buffer);
});

t.test('requests exactly at the limits are accepted', async (t) => {
  const limits: DecoderLimits = {
    maxBulkBytes: 16,
    maxArrayLength: 4,
    maxInlineBytes: 12,
    maxRequestBytes: 48,
  };
  const atLimit = `${command('A', 'b'.repeat(16), 'c'.repeat(16), 'd'.repeat(15))}PING 1234567\r\n`;
  const outcome = decodeEveryWay(atLimit, limits);
  t.same(outcome.differences, [], 'whole, byte by byte and in chunks agree');
  t.equal(outcome.error, null);
  t.same(
    outcome.commands.map((args) => args.length),
    [4, 2],
  );
});

t.test('malformed requests', async (t) => {
  const limits: DecoderLimits = {
    maxBulkBytes: 1024,
    maxArrayLength: 8,
    maxInlineBytes: 64,
    maxRequestBytes: 2048,
  };
  const cases: [string, string, RegExp][] = [
    ['a non-numeric array length', '*abc\r\n', /invalid multibulk length/],
    ['an array length with a space', '* 1\r\n', /invalid multibulk length/],
    ['an array length with a leading zero', '*01\r\n', /invalid multibulk length/],
    ['an array length of minus zero', '*-0\r\n', /invalid multibulk length/],
    ['a lone minus as the array length', '*-\r\n', /invalid multibulk length/],
    ['a bulk length with a leading zero', '*1\r\n$04\r\nPING\r\n', /invalid bulk length/],
    ['an inline line with an unclosed double quote', 'set "k v\r\n', /unbalanced quotes in request/],
    ['an inline line with an unclosed single quote', "set 'k v\r\n", /unbalanced quotes in request/],
    ['an inline closing quote followed by a byte', 'set """k""" v\r\n', /unbalanced quotes in request/],
    ['an inline closing single quote followed by a byte', "set 'k'v x\r\n", /unbalanced quotes in request/],
    ['an inline quote ended by an escaped quote', 'get "k\\"\r\n', /unbalanced quotes in request/],
    ['an array longer than maxArrayLength', '*9\r\n', /invalid multibulk length: 9 is over the limit of 8/],
    ['a negative bulk length', '*1\r\n$-5\r\n', /invalid bulk length/],
    ['a null bulk as an argument', '*1\r\n$-1\r\n', /invalid bulk length/],
    ['a non-numeric bulk length', '*1\r\n$x\r\n', /invalid bulk length/],
    ['a bulk length of 20 digits', '*1\r\n$99999999999999999999\r\n', /invalid bulk length/],
    ['a bulk over maxBulkBytes', '*1\r\n$1025\r\n', /invalid bulk length: 1025 is over the limit of 1024/],
    ['a bulk not followed by CRLF', '*1\r\n$4\r\nPINGxx', /not followed by CRLF/],
    ['a bulk followed by CR and a stray byte', '*1\r\n$4\r\nPING\rx', /not followed by CRLF/],
    ['a nested array', '*1\r\n*1\r\n$4\r\nPING\r\n', /expected '\$', got '\*'/],
    ['an integer element', '*1\r\n:1\r\n', /expected '\$', got ':'/],
    ['a simple-string element', '*1\r\n+OK\r\n', /expected '\$', got '\+'/],
    ['a binary element type', '*1\r\n\x00\r\n', /expected '\$', got '\\x00'/],
    ['a header whose CR is not followed by LF', '*1\rX', /invalid multibulk length/],
    ['an unterminated header that runs on', `*1${'1'.repeat(30)}`, /invalid multibulk length/],
    ['an unterminated inline line over maxInlineBytes', 'G'.repeat(100), /too big inline request/],
    ['a terminated inline line over maxInlineBytes', `${'G'.repeat(65)}\r\n`, /too big inline request/],
    ['an inline line of more words than maxArrayLength', `${'a '.repeat(9)}\r\n`, /too many arguments/],
    [
      'arguments over maxRequestBytes in total',
      command('x', 'a'.repeat(1000), 'b'.repeat(1000), 'c'.repeat(49)),
      /request is over the limit of 2048 bytes/,
    ],
  ];
  for (const [name, input, expected] of cases) {
    t.test(`${name} is a protocol error`, async (t) => {
      const outcome = decodeEveryWay(input, limits);
      t.same(outcome.differences, [], 'whole, byte by byte and in chunks agree');
      t.match(outcome.error, expected);
      t.same(outcome.commands, []);
    });
  }
});

t.test('commands before a malformed one still come out, in order', async (t) => {
  const outcome = decodeEveryWay(`${command('PING')}PING\r\n*1\r\n$x\r\n${command('GET', 'k')}`);
  t.same(outcome.differences, [], 'whole, byte by byte and in chunks agree');
  t.same(outcome.commands, [['PING'], ['PING']]);
  t.match(outcome.error, /invalid bulk length/);
});

t.test('a declared 2 GB bulk is refused at its header, before any of its bytes are held', async (t) => {
  const header = '*2\r\n$3\r\nSET\r\n$2147483648\r\n';
  const outcome = decodeEveryWay(`${header}${'x'.repeat(100)}`);
  t.same(outcome.differences, [], 'whole, byte by byte and in chunks agree');
  t.match(outcome.error, /invalid bulk length: 2147483648 is over the limit/);
  const byteByByte = decode(Buffer.from(`${header}${'x'.repeat(100)}`), 1);
  t.ok(byteByByte.fed <= header.length, 'the error comes by the last byte of the header');
  t.equal(byteByByte.buffered, 0, 'nothing is kept after the error');
});

t.test('an incomplete bulk holds only what arrived, and waiting is not an error', async (t) => {
  const outcome = decodeEveryWay('*2\r\n$3\r\nGET\r\n$1000\r\nabc');
  t.same(outcome.differences, [], 'whole, byte by byte and in chunks agree');
  t.equal(outcome.error, null);
  t.same(outcome.commands, []);
  t.ok(outcome.buffered <= 3 + 16, `${outcome.buffered} bytes held`);
});

t.test('an unterminated header within its limit just waits for more input', async (t) => {
  const outcome = decodeEveryWay('*1\r\n$12');
  t.same(outcome.differences, [], 'whole, byte by byte and in chunks agree');
  t.equal(outcome.error, null);
  t.same(outcome.commands, []);
});

t.test('after a protocol error the decoder keeps failing and holds nothing', async (t) => {
  const decoder = new RespDecoder(LIMITS);
  decoder.push(Buffer.from('*abc\r\n'));
  t.throws(() => decoder.next(), RespProtocolError);
  decoder.push(Buffer.from(command('PING')));
  t.throws(() => decoder.next(), RespProtocolError);
  t.equal(decoder.bufferedBytes, 0);
});

t.test('a partial command after a completed bulk is not held back by the finished wait', async (t) => {
  const decoder = new RespDecoder(LIMITS);
  decoder.push(Buffer.from('*2\r\n$4\r\nECHO\r\n$100\r\n'));
  t.equal(decoder.next(), null);
  decoder.push(Buffer.from(`${'v'.repeat(100)}\r\n*1\r\n$4\r\nPI`));
  t.equal(decoder.next()?.[1]?.length, 100);
  t.equal(decoder.next(), null);
  decoder.push(Buffer.from('NG\r\n'));
  t.same(decoder.next()?.map(String), ['PING']);
});

t.test('an array longer than maxArgumentsKept is read through, keeping only its name', async (t) => {
  const limits: DecoderLimits = { ...LIMITS, maxArgumentsKept: 3 };
  const keys = Array.from({ length: 500 }, (_, i) => `key:${i}`);
  const input = Buffer.from(command('MGET', ...keys) + command('MGET', 'a', 'b') + command('PING'), 'latin1');
  for (const chunkBytes of [input.length, 1, 7]) {
    const decoder = new RespDecoder(limits);
    const seen: [string[], number][] = [];
    let heldMax = 0;
    for (let at = 0; at < input.length; at += chunkBytes) {
      decoder.push(input.subarray(at, at + chunkBytes));
      for (let args = decoder.next(); args !== null; args = decoder.next()) {
        seen.push([args.map(String), decoder.droppedArguments]);
      }
      heldMax = Math.max(heldMax, decoder.bufferedBytes);
    }
    t.same(
      seen,
      [
        [['MGET'], 500],
        [['MGET', 'a', 'b'], 0],
        [['PING'], 0],
      ],
      `${chunkBytes}-byte chunks: the long one is cut to its name, the ones after it are whole`,
    );
    t.ok(heldMax <= Math.max(chunkBytes, 64), `${chunkBytes}-byte chunks: held at most one chunk`);
  }
});
