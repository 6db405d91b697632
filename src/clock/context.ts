// The opaque context a get returns and a put or delete sends back: a vector clock in the
// record's binary clock form behind a format byte, as unpadded base64url so it passes through
// URLs, headers and RESP arguments untouched. The empty clock is ''. Decoding trusts nothing:
// clients may send anything, and every defect is a KvError BAD_CONTEXT.
import assert from 'node:assert/strict';
import { CLOCK_ENTRIES_MAX, SIBLINGS_MAX } from '../constants.js';
import { KvError } from '../errors.js';
import { ByteReader, encodedClockBytes, type Fail, readClock, writeClock } from './record.js';
import { EMPTY_CLOCK, type VClock } from './vclock.js';

/** Format 1 contexts (before lanes) are still accepted. */
const CONTEXT_FORMAT = 2;
/** A context is the join of at most SIBLINGS_MAX truncated clocks; this bounds what we parse. */
export const CONTEXT_ENTRIES_MAX = 8192;
const CONTEXT_BYTES_MAX = 1 + encodedClockBytes(CONTEXT_ENTRIES_MAX);
const CONTEXT_CHARS_MAX = Math.ceil((CONTEXT_BYTES_MAX * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]*$/;

assert(CONTEXT_ENTRIES_MAX >= SIBLINGS_MAX * CLOCK_ENTRIES_MAX);

export function encodeContext(clock: VClock): string {
  return contextText(encodeContextBytes(clock));
}

/** A context before its base64url text: what threads pass each other (the text is made only if asked for). */
export function encodeContextBytes(clock: VClock): Buffer {
  if (clock.length === 0) return EMPTY_BYTES;
  assert(clock.length <= CONTEXT_ENTRIES_MAX, `context clock has ${clock.length} entries`);
  const bytes = Buffer.allocUnsafe(1 + encodedClockBytes(clock.length));
  bytes[0] = CONTEXT_FORMAT;
  writeClock(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 1, clock);
  return bytes;
}

/** The text of a context encoded by encodeContextBytes. */
export function contextText(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

const EMPTY_BYTES = Buffer.alloc(0);

const failContext: Fail = (message) => {
  throw new KvError('BAD_CONTEXT', `context is malformed: ${message}; send back a context ringkv returned`);
};

export function decodeContext(text: string): VClock {
  if (text === '') return EMPTY_CLOCK;
  if (text.length > CONTEXT_CHARS_MAX) {
    failContext(`it is ${text.length} characters; the longest valid context is ${CONTEXT_CHARS_MAX}`);
  }
  if (!BASE64URL.test(text)) {
    failContext('it contains characters outside unpadded base64url (A-Z a-z 0-9 - _)');
  }
  const bytes = Buffer.from(text, 'base64url');
  // Node's decoder skips what it cannot use; re-encoding exposes stray bits and bad lengths.
  if (bytes.toString('base64url') !== text) failContext('it is not canonical base64url');
  const reader = new ByteReader(bytes, failContext);
  const format = reader.u8();
  if (format !== 1 && format !== CONTEXT_FORMAT) reader.fail(`unknown format ${format}`);
  const clock = readClock(reader, CONTEXT_ENTRIES_MAX, format === 1 ? 1 : 2);
  if (clock.length === 0) reader.fail('the empty clock is the empty string, not an encoded clock');
  if (reader.remaining !== 0) reader.fail(`${reader.remaining} trailing bytes`);
  return clock;
}
