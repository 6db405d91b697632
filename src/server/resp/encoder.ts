// RESP2 and RESP3 reply encoding. Every reply is one Buffer holding its complete wire form, so a
// connection can queue replies in request order and write a batch of them at once. Nested
// aggregates are built from already-encoded elements. The replies used on every request (OK,
// null, small integers) are encoded once at load time. The types RESP3 added (null, map, set,
// double, boolean, verbatim string) take the connection's protocol and fall back to the RESP2
// form Redis sends for each (addReplyNull, addReplyMapLen, ... in Redis's networking.c).

import assert from 'node:assert/strict';

export type Reply = Buffer;

/** The protocol a connection speaks: 2 until the client sends `HELLO 3`. */
export type Protocol = 2 | 3;

const CRLF = '\r\n';
const LINE_BREAKS = /[\r\n]/g;

/** A simple string (`+OK`). Line breaks would end the reply early, so they become spaces. */
export function simpleString(text: string): Reply {
  return Buffer.from(`+${text.replace(LINE_BREAKS, ' ')}${CRLF}`, 'utf8');
}

/** An error reply: a code word then a message (`-TOOLARGE value is ...`). */
export function errorReply(word: string, message: string): Reply {
  return Buffer.from(`-${word} ${message.replace(LINE_BREAKS, ' ')}${CRLF}`, 'utf8');
}

const SMALL_INTEGERS_MAX = 1024;
const SMALL_INTEGERS: Reply[] = Array.from({ length: SMALL_INTEGERS_MAX + 1 }, (_, n) =>
  Buffer.from(`:${n}${CRLF}`, 'latin1'),
);

export function integer(value: number): Reply {
  if (value >= 0 && value <= SMALL_INTEGERS_MAX && Number.isInteger(value)) {
    return SMALL_INTEGERS[value] as Reply;
  }
  return Buffer.from(`:${Math.trunc(value)}${CRLF}`, 'latin1');
}

/** Digits of a non-negative integer, for headers. */
function digitCount(value: number): number {
  let count = 1;
  while (value >= 10) {
    value = Math.floor(value / 10);
    count++;
  }
  return count;
}

/** Writes `<type><length>\r\n` at `offset`; returns the offset after it. */
function writeHeader(target: Buffer, offset: number, type: number, length: number, digits: number): number {
  target[offset] = type;
  let at = offset + digits;
  for (let rest = length; at > offset; at--) {
    target[at] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  target[offset + digits + 1] = 0x0d;
  target[offset + digits + 2] = 0x0a;
  return offset + digits + 3;
}

const DOLLAR = 0x24;
const STAR = 0x2a;
const PERCENT = 0x25;
const TILDE = 0x7e;
const EQUALS = 0x3d;

/** A bulk string (`$5\r\nhello\r\n`): header, bytes and CRLF in one allocation. */
export function bulk(value: Uint8Array | string): Reply {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const digits = digitCount(bytes.length);
  const reply = Buffer.allocUnsafe(digits + 5 + bytes.length);
  const start = writeHeader(reply, 0, DOLLAR, bytes.length, digits);
  reply.set(bytes, start);
  reply[start + bytes.length] = 0x0d;
  reply[start + bytes.length + 1] = 0x0a;
  return reply;
}

/** An aggregate header (`*`, `%`, `~` and a count) followed by already-encoded elements. */
function aggregate(type: number, count: number, items: readonly Reply[]): Reply {
  const digits = digitCount(count);
  let bytes = digits + 3;
  for (const item of items) bytes += item.length;
  const reply = Buffer.allocUnsafe(bytes);
  let offset = writeHeader(reply, 0, type, count, digits);
  for (const item of items) {
    reply.set(item, offset);
    offset += item.length;
  }
  return reply;
}

/** An array of already-encoded replies (which may themselves be arrays). */
export function array(items: readonly Reply[]): Reply {
  if (items.length === 0) return EMPTY_ARRAY;
  return aggregate(STAR, items.length, items);
}

/**
 * A map from already-encoded `entries` laid out key, value, key, value: `%2` and four elements in
 * RESP3, a flat array of four in RESP2 (HELLO, CONFIG GET, COMMAND DOCS).
 */
export function map(protocol: Protocol, entries: readonly Reply[]): Reply {
  assert(entries.length % 2 === 0, `a map needs key, value pairs; got ${entries.length} entries`);
  return protocol === 3 ? aggregate(PERCENT, entries.length / 2, entries) : array(entries);
}

/** A set (`~`) in RESP3, an array in RESP2: what Redis sends for unordered unique members. */
export function set(protocol: Protocol, items: readonly Reply[]): Reply {
  return protocol === 3 ? aggregate(TILDE, items.length, items) : array(items);
}

/** Null: `_` in RESP3, the null bulk `$-1` in RESP2. */
export function nil(protocol: Protocol): Reply {
  return protocol === 3 ? NULL : NULL_BULK;
}

/** Null where RESP2 has the null array `*-1` (RESP3 has a single null). */
export function nilArray(protocol: Protocol): Reply {
  return protocol === 3 ? NULL : NULL_ARRAY;
}

/** A boolean: `#t`/`#f` in RESP3, the integers 1/0 in RESP2. */
export function boolean(protocol: Protocol, value: boolean): Reply {
  if (protocol === 3) return value ? TRUE : FALSE;
  return integer(value ? 1 : 0);
}

/**
 * A double: `,1.5` in RESP3, a bulk string of the same text in RESP2. Text as Redis writes it:
 * integral values without a fraction, `inf`, `-inf` and `nan`.
 */
export function double(protocol: Protocol, value: number): Reply {
  let text: string;
  if (Number.isNaN(value)) text = 'nan';
  else if (value === Number.POSITIVE_INFINITY) text = 'inf';
  else if (value === Number.NEGATIVE_INFINITY) text = '-inf';
  else if (Object.is(value, -0)) text = '-0';
  else text = String(value);
  return protocol === 3 ? Buffer.from(`,${text}${CRLF}`, 'latin1') : bulk(text);
}

/**
 * A verbatim string (`=`): RESP3's text with a three-letter format (`txt`, `mkd`) before a colon,
 * counted in the length; a plain bulk string in RESP2. Redis answers INFO and CLIENT INFO so.
 */
export function verbatim(protocol: Protocol, format: string, text: string): Reply {
  if (protocol === 2) return bulk(text);
  assert(/^[a-z]{3}$/.test(format), `a verbatim format is three letters, not '${format}'`);
  const body = Buffer.from(`${format}:${text}`, 'utf8');
  const digits = digitCount(body.length);
  const reply = Buffer.allocUnsafe(digits + 5 + body.length);
  const start = writeHeader(reply, 0, EQUALS, body.length, digits);
  reply.set(body, start);
  reply[start + body.length] = 0x0d;
  reply[start + body.length + 1] = 0x0a;
  return reply;
}

/** An array of bulk strings. */
export function bulkArray(values: readonly (Uint8Array | string)[]): Reply {
  return array(values.map((value) => bulk(value)));
}

export const OK: Reply = Buffer.from(`+OK${CRLF}`, 'latin1');
export const PONG: Reply = Buffer.from(`+PONG${CRLF}`, 'latin1');
export const NULL_BULK: Reply = Buffer.from(`$-1${CRLF}`, 'latin1');
export const NULL_ARRAY: Reply = Buffer.from(`*-1${CRLF}`, 'latin1');
export const EMPTY_ARRAY: Reply = Buffer.from(`*0${CRLF}`, 'latin1');
/** RESP3's null, for every kind of absent value. */
export const NULL: Reply = Buffer.from(`_${CRLF}`, 'latin1');
const TRUE: Reply = Buffer.from(`#t${CRLF}`, 'latin1');
const FALSE: Reply = Buffer.from(`#f${CRLF}`, 'latin1');
