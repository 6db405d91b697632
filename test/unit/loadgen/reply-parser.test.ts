// Goal: the load generator's RESP reply parser reports every reply's type, number and kept text
// correctly however the stream is split, and refuses malformed streams. Method: each case is fed
// whole, byte by byte, and in a concatenated stream, and the reported replies compared.
import t from 'tap';
import {
  REPLY_ARRAY,
  REPLY_BULK,
  REPLY_ERROR,
  REPLY_INTEGER,
  REPLY_NULL,
  REPLY_SIMPLE,
  ReplyParser,
  type ReplyType,
} from '../../../src/loadgen/reply-parser.js';

type Reported = [ReplyType, number, string | undefined];

interface Case {
  name: string;
  wire: string;
  replies: Reported[];
}

const longWord = 'W'.repeat(80);
const CASES: Case[] = [
  { name: 'a simple string', wire: '+OK\r\n', replies: [[REPLY_SIMPLE, 2, undefined]] },
  { name: 'an empty simple string', wire: '+\r\n', replies: [[REPLY_SIMPLE, 0, undefined]] },
  {
    name: 'an error keeps its code word',
    wire: '-QUORUM 1 of 2 replicas\r\n',
    replies: [[REPLY_ERROR, 22, 'QUORUM']],
  },
  { name: 'an error that is one word', wire: '-ERR\r\n', replies: [[REPLY_ERROR, 3, 'ERR']] },
  {
    name: 'a long error word is cut at 64 bytes',
    wire: `-${longWord} x\r\n`,
    replies: [[REPLY_ERROR, 82, 'W'.repeat(64)]],
  },
  { name: 'an integer', wire: ':1234\r\n', replies: [[REPLY_INTEGER, 1234, undefined]] },
  { name: 'a negative integer', wire: ':-42\r\n', replies: [[REPLY_INTEGER, -42, undefined]] },
  { name: 'a bulk string', wire: '$5\r\nhello\r\n', replies: [[REPLY_BULK, 5, undefined]] },
  { name: 'a bulk string holding CRLF', wire: '$4\r\n\r\n\r\n\r\n', replies: [[REPLY_BULK, 4, undefined]] },
  { name: 'an empty bulk string', wire: '$0\r\n\r\n', replies: [[REPLY_BULK, 0, undefined]] },
  { name: 'a null bulk string', wire: '$-1\r\n', replies: [[REPLY_NULL, 0, undefined]] },
  { name: 'a null array', wire: '*-1\r\n', replies: [[REPLY_NULL, 0, undefined]] },
  { name: 'an empty array (VGET of a missing key)', wire: '*0\r\n', replies: [[REPLY_ARRAY, 0, undefined]] },
  {
    name: "VGET's array keeps its context, the first bulk",
    wire: '*3\r\n$8\r\nAQAB8AMJ\r\n$2\r\nv1\r\n$2\r\nv2\r\n',
    replies: [[REPLY_ARRAY, 3, 'AQAB8AMJ']],
  },
  {
    name: 'an array whose first element is not a bulk keeps no text',
    wire: '*2\r\n:1\r\n$1\r\nx\r\n',
    replies: [[REPLY_ARRAY, 2, undefined]],
  },
  {
    name: 'nested arrays end where their counts say',
    wire: '*3\r\n*2\r\n:1\r\n*1\r\n$1\r\na\r\n*0\r\n$-1\r\n+OK\r\n',
    replies: [
      [REPLY_ARRAY, 3, undefined],
      [REPLY_SIMPLE, 2, undefined],
    ],
  },
  {
    name: 'an error inside an array does not make the reply an error',
    wire: '*2\r\n-ERR inner\r\n$1\r\nz\r\n',
    replies: [[REPLY_ARRAY, 2, undefined]],
  },
];

function parse(chunks: Buffer[]): { replies: Reported[]; ok: boolean; failure: string | undefined } {
  const replies: Reported[] = [];
  const parser = new ReplyParser((type, value, text) => replies.push([type, value, text]));
  let ok = true;
  for (const chunk of chunks) ok = parser.feed(chunk) && ok;
  return { replies, ok, failure: parser.failure };
}

const whole = (wire: string) => [Buffer.from(wire, 'latin1')];
const byteByByte = (wire: string) => [...Buffer.from(wire, 'latin1')].map((b) => Buffer.from([b]));

for (const c of CASES) {
  t.test(`${c.name} parses the same fed whole and byte by byte`, async (t) => {
    t.same(parse(whole(c.wire)).replies, c.replies, 'whole');
    t.same(parse(byteByByte(c.wire)).replies, c.replies, 'byte by byte');
  });
}

t.test('all cases in one stream, split at every offset, give every reply in order', async (t) => {
  const wire = CASES.map((c) => c.wire).join('');
  const expected = CASES.flatMap((c) => c.replies);
  const bytes = Buffer.from(wire, 'latin1');
  for (let split = 0; split <= bytes.length; split++) {
    const { replies, ok } = parse([bytes.subarray(0, split), bytes.subarray(split)]);
    if (!ok || replies.length !== expected.length) {
      t.fail(`split at ${split} gave ${replies.length} replies`);
      return;
    }
  }
  t.same(parse([bytes]).replies, expected);
  t.same(parse(byteByByte(wire)).replies, expected);
});

t.test('a parser fed a range of a larger buffer reads only that range', async (t) => {
  const buffer = Buffer.from('garbage+OK\r\n:7\r\ngarbage', 'latin1');
  const replies: Reported[] = [];
  const parser = new ReplyParser((type, value, text) => replies.push([type, value, text]));
  t.ok(parser.feed(buffer, 7, 16));
  t.same(replies, [
    [REPLY_SIMPLE, 2, undefined],
    [REPLY_INTEGER, 7, undefined],
  ]);
});

t.test('a context larger than the first read buffer is kept whole', async (t) => {
  const context = 'c'.repeat(5000);
  const wire = `*2\r\n$${context.length}\r\n${context}\r\n$1\r\nv\r\n`;
  t.same(parse(whole(wire)).replies, [[REPLY_ARRAY, 2, context]]);
  t.same(parse(byteByByte(wire)).replies, [[REPLY_ARRAY, 2, context]]);
});

const BAD: [string, string, RegExp][] = [
  ['an unknown type byte', '!oops\r\n', /type byte 0x21/],
  ['a RESP3 type RESP2 never sends', '_\r\n', /type byte 0x5f/],
  ['a bulk length that is not a number', '$x\r\n', /not a decimal number/],
  ['a bulk length below -1', '$-2\r\n', /bad bulk length -2/],
  ['an integer with no digits', ':\r\n', /no digits/],
  ['a header line with CR but no LF', '+OK\rX', /CR without LF/],
  ['a bulk string longer than its length', '$1\r\nab\r\n', /longer than its length/],
  ['a bulk string not followed by CRLF', '$1\r\na\rX', /not followed by CRLF/],
  ['an array length below -1', '*-5\r\n', /bad array length -5/],
  ['arrays nested deeper than the limit', `${'*1\r\n'.repeat(17)}:1\r\n`, /nested deeper than 16/],
];

for (const [name, wire, reason] of BAD) {
  t.test(`${name} is refused, whole and byte by byte`, async (t) => {
    for (const chunks of [whole(wire), byteByByte(wire)]) {
      const result = parse(chunks);
      t.equal(result.ok, false);
      t.match(result.failure, reason);
      t.same(result.replies, [], 'no reply is reported');
    }
  });
}

t.test('a refused stream stays refused and reports nothing more', async (t) => {
  const replies: Reported[] = [];
  const parser = new ReplyParser((type, value, text) => replies.push([type, value, text]));
  t.equal(parser.feed(Buffer.from('?\r\n')), false);
  t.equal(parser.feed(Buffer.from('+OK\r\n')), false);
  t.same(replies, []);
});
