// RESP2 reply encoding. Every reply is one Buffer holding its complete wire form, so a
// connection can queue replies in request order and write a batch of them at once. Nested
// arrays are built from already-encoded elements. The replies used on every request (OK, null,
// small integers) are encoded once at load time.

export type Reply = Buffer;

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

/** An array of already-encoded replies (which may themselves be arrays). */
export function array(items: readonly Reply[]): Reply {
  if (items.length === 0) return EMPTY_ARRAY;
  const digits = digitCount(items.length);
  let bytes = digits + 3;
  for (const item of items) bytes += item.length;
  const reply = Buffer.allocUnsafe(bytes);
  let offset = writeHeader(reply, 0, STAR, items.length, digits);
  for (const item of items) {
    reply.set(item, offset);
    offset += item.length;
  }
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
