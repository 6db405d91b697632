// Goal: every reply ringkv sends, RESP2 and RESP3, has the exact wire form Redis clients parse.
// Method: encode each kind (nested arrays, edge lengths, both protocols) and compare the bytes.
import t from 'tap';
import {
  array,
  boolean,
  bulk,
  bulkArray,
  double,
  EMPTY_ARRAY,
  errorReply,
  integer,
  map,
  NULL,
  NULL_ARRAY,
  NULL_BULK,
  nil,
  nilArray,
  OK,
  PONG,
  type Protocol,
  set,
  simpleString,
  verbatim,
} from '../../../src/server/resp/encoder.js';

const wire = (reply: Buffer) => reply.toString('latin1');

t.test('simple strings and errors end in CRLF, with line breaks inside turned into spaces', async (t) => {
  t.equal(wire(simpleString('OK')), '+OK\r\n');
  t.equal(wire(simpleString('a\r\nb')), '+a  b\r\n');
  t.equal(wire(errorReply('TOOLARGE', 'value is 2 bytes')), '-TOOLARGE value is 2 bytes\r\n');
  t.equal(wire(errorReply('ERR', 'bad\nline')), '-ERR bad line\r\n');
  t.equal(wire(OK), '+OK\r\n');
  t.equal(wire(PONG), '+PONG\r\n');
});

t.test('integers are encoded in decimal, negative and large ones included', async (t) => {
  for (const value of [0, 1, 9, 10, 1024, 1025, -1, -42, 1_795_314_752_225, 4_294_967_295]) {
    t.equal(wire(integer(value)), `:${value}\r\n`);
  }
  t.equal(wire(integer(2.9)), ':2\r\n', 'a fraction is truncated');
});

t.test('bulk strings carry their byte length, binary content and empty values intact', async (t) => {
  t.equal(wire(bulk('')), '$0\r\n\r\n');
  t.equal(wire(bulk('hello')), '$5\r\nhello\r\n');
  t.equal(wire(bulk('é')), '$2\r\n\xc3\xa9\r\n', 'text is UTF-8 and the length counts bytes');
  const binary = Buffer.from([0, 13, 10, 255]);
  t.same(bulk(binary), Buffer.concat([Buffer.from('$4\r\n'), binary, Buffer.from('\r\n')]));
  for (const length of [9, 10, 99, 100, 12_345]) {
    t.equal(wire(bulk('x'.repeat(length))), `$${length}\r\n${'x'.repeat(length)}\r\n`);
  }
  t.equal(wire(NULL_BULK), '$-1\r\n');
});

t.test('arrays hold encoded elements, nested arrays and nulls included', async (t) => {
  t.equal(wire(array([])), '*0\r\n');
  t.equal(wire(EMPTY_ARRAY), '*0\r\n');
  t.equal(wire(NULL_ARRAY), '*-1\r\n');
  t.equal(wire(bulkArray(['a', 'bc'])), '*2\r\n$1\r\na\r\n$2\r\nbc\r\n');
  t.equal(
    wire(array([integer(1), array([bulk('x'), NULL_BULK]), simpleString('OK')])),
    '*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n+OK\r\n',
  );
  const many = Array.from({ length: 12 }, (_, i) => integer(i));
  t.ok(wire(array(many)).startsWith('*12\r\n:0\r\n'), 'a two-digit count is written whole');
});

t.test('RESP3 types have their own wire form on RESP3 and Redis’s RESP2 form otherwise', async (t) => {
  const pairs = [bulk('a'), integer(1), bulk('b'), NULL_BULK];
  const cases: [string, (protocol: Protocol) => Buffer, string, string][] = [
    ['null', (p) => nil(p), '_\r\n', '$-1\r\n'],
    ['a null array', (p) => nilArray(p), '_\r\n', '*-1\r\n'],
    [
      'a map',
      (p) => map(p, pairs),
      '%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n',
      '*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n',
    ],
    ['an empty map', (p) => map(p, []), '%0\r\n', '*0\r\n'],
    [
      'a set',
      (p) => set(p, [simpleString('x'), simpleString('y')]),
      '~2\r\n+x\r\n+y\r\n',
      '*2\r\n+x\r\n+y\r\n',
    ],
    ['an empty set', (p) => set(p, []), '~0\r\n', '*0\r\n'],
    ['true', (p) => boolean(p, true), '#t\r\n', ':1\r\n'],
    ['false', (p) => boolean(p, false), '#f\r\n', ':0\r\n'],
    ['a double', (p) => double(p, 1.5), ',1.5\r\n', '$3\r\n1.5\r\n'],
    ['an integral double', (p) => double(p, 3), ',3\r\n', '$1\r\n3\r\n'],
    ['infinity', (p) => double(p, Number.POSITIVE_INFINITY), ',inf\r\n', '$3\r\ninf\r\n'],
    ['minus infinity', (p) => double(p, Number.NEGATIVE_INFINITY), ',-inf\r\n', '$4\r\n-inf\r\n'],
    ['not a number', (p) => double(p, Number.NaN), ',nan\r\n', '$3\r\nnan\r\n'],
    [
      'a verbatim string',
      (p) => verbatim(p, 'txt', 'Some string'),
      '=15\r\ntxt:Some string\r\n',
      '$11\r\nSome string\r\n',
    ],
    ['an empty verbatim string', (p) => verbatim(p, 'mkd', ''), '=4\r\nmkd:\r\n', '$0\r\n\r\n'],
    [
      'a verbatim string of UTF-8 text',
      (p) => verbatim(p, 'txt', 'é'),
      '=6\r\ntxt:\xc3\xa9\r\n',
      '$2\r\n\xc3\xa9\r\n',
    ],
  ];
  for (const [name, encode, resp3, resp2] of cases) {
    t.equal(wire(encode(3)), resp3, `${name} in RESP3`);
    t.equal(wire(encode(2)), resp2, `${name} in RESP2`);
  }
  t.equal(wire(NULL), '_\r\n');
});

t.test('a map needs key, value pairs and a verbatim format three letters', async (t) => {
  t.throws(() => map(3, [bulk('lonely')]), /key, value pairs/);
  t.throws(() => verbatim(3, 'text', 'x'), /three letters/);
});
