// Goal: every RESP2 reply ringkv sends has the exact wire form Redis clients parse. Method:
// encode each kind (including nested arrays and edge lengths) and compare the bytes.
import t from 'tap';
import {
  array,
  bulk,
  bulkArray,
  EMPTY_ARRAY,
  errorReply,
  integer,
  NULL_ARRAY,
  NULL_BULK,
  OK,
  PONG,
  simpleString,
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
