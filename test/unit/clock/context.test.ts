// Goal: a context round-trips its clock exactly, and anything ringkv did not issue is refused as BAD_CONTEXT.
// Method: clocks from simulated histories and edge values, then hand-built and random malformed inputs.
import t from 'tap';
import {
  type ClockEntry,
  CONTEXT_ENTRIES_MAX,
  decodeContext,
  EMPTY_CLOCK,
  encodeContext,
  type VClock,
} from '../../../src/clock/index.js';
import { KvError } from '../../../src/errors.js';
import { counterexample, historyClocks, Rng } from './fixtures.js';

const BAD = { name: 'KvError', code: 'BAD_CONTEXT' };

/** Raw context bytes written field by field, so tests can break any one of them. */
function rawContext(
  entries: ReadonlyArray<readonly [number, number, number]>,
  format = 1,
  count = entries.length,
) {
  const bytes = Buffer.alloc(3 + entries.length * 16);
  bytes.writeUInt8(format, 0);
  bytes.writeUInt16BE(count, 1);
  entries.forEach(([node, counter, ts], i) => {
    bytes.writeUInt32BE(node, 3 + i * 16);
    bytes.writeUInt32BE(counter, 7 + i * 16);
    bytes.writeDoubleBE(ts, 11 + i * 16);
  });
  return bytes;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

function isBadContext(input: string): boolean {
  try {
    decodeContext(input);
    return false;
  } catch (error) {
    return (
      error instanceof KvError &&
      error.code === 'BAD_CONTEXT' &&
      error.message.startsWith('context is malformed')
    );
  }
}

t.test('the empty clock encodes as the empty string and back', async (t) => {
  t.equal(encodeContext(EMPTY_CLOCK), '');
  t.equal(decodeContext(''), EMPTY_CLOCK);
});

t.test('a context is unpadded base64url', async (t) => {
  const bad = counterexample(historyClocks(11, 20), (clock) => /^[A-Za-z0-9_-]*$/.test(encodeContext(clock)));
  t.equal(bad, undefined);
});

t.test('clocks from simulated histories round-trip exactly', async (t) => {
  const bad = counterexample(historyClocks(12, 60), (clock) => {
    return JSON.stringify(decodeContext(encodeContext(clock))) === JSON.stringify(clock);
  });
  t.equal(bad, undefined);
});

t.test('edge values of node, counter and ts round-trip exactly', async (t) => {
  const clock: VClock = [
    { node: 0, counter: 1, ts: 0 },
    { node: 1, counter: 0xffff_ffff, ts: -5 },
    { node: 0xffff_ffff, counter: 2, ts: 1_700_000_000_123.5 },
  ];
  t.strictSame(decodeContext(encodeContext(clock)), clock);
});

t.test('a clock of the largest allowed size round-trips, and a larger one cannot be encoded', async (t) => {
  const entries = (count: number): ClockEntry[] =>
    Array.from({ length: count }, (_, i) => ({ node: i * 3, counter: i + 1, ts: i }));
  t.strictSame(decodeContext(encodeContext(entries(CONTEXT_ENTRIES_MAX))), entries(CONTEXT_ENTRIES_MAX));
  t.throws(() => encodeContext(entries(CONTEXT_ENTRIES_MAX + 1)));
  t.ok(
    isBadContext(text(rawContext(entries(CONTEXT_ENTRIES_MAX + 1).map((e) => [e.node, e.counter, e.ts])))),
  );
});

t.test('characters outside unpadded base64url are refused', async (t) => {
  const good = encodeContext([{ node: 1, counter: 1, ts: 1 }]);
  const bad = ['+', '/', '=', ' ', '\n', '.', 'é', '\0'].filter(
    (c) => !isBadContext(good + c) || !isBadContext(c + good),
  );
  t.strictSame(bad, []);
  t.ok(isBadContext(`${good.slice(0, 4)}=`), 'padding');
});

t.test('base64url with stray bits or an impossible length is refused', async (t) => {
  // Format 2 contexts are 3 + 18k bytes, whole base64 groups; a format 1 one of 19 bytes is not.
  const good = text(rawContext([[1, 1, 1]]));
  t.strictSame(decodeContext(good), [{ node: 1, counter: 1, ts: 1 }], 'format 1 contexts are still accepted');
  t.equal(good.length, 26, '19 bytes leave 4 unused bits in the last character');
  t.ok(isBadContext(`${good}A`), 'one character more cannot be base64');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(good.at(-1)!);
  const strays = [...alphabet]
    .filter((_, i) => i !== last && (i & ~0xf) === (last & ~0xf))
    .map((c) => good.slice(0, -1) + c);
  t.equal(strays.length, 15);
  t.ok(
    strays.every((s) => isBadContext(s)),
    'setting any unused bit is refused',
  );
});

t.test('every truncation of a valid context is refused', async (t) => {
  const bytes = rawContext([
    [3, 1, 10],
    [9, 4, 20],
  ]);
  const cut = Array.from({ length: bytes.length - 1 }, (_, n) => n + 1).filter(
    (n) => !isBadContext(text(bytes.subarray(0, n))),
  );
  t.strictSame(cut, []);
  const good = text(bytes);
  const cutText = Array.from({ length: good.length - 1 }, (_, n) => n + 1).filter(
    (n) => !isBadContext(good.slice(0, n)),
  );
  t.strictSame(cutText, []);
});

t.test('trailing bytes after the clock are refused', async (t) => {
  const bytes = rawContext([[3, 1, 10]]);
  for (let extra = 1; extra <= 4; extra++)
    t.ok(isBadContext(text(Buffer.concat([bytes, Buffer.alloc(extra)]))));
});

t.test('nodes out of order or repeated are refused', async (t) => {
  t.ok(
    isBadContext(
      text(
        rawContext([
          [9, 1, 10],
          [3, 1, 10],
        ]),
      ),
    ),
  );
  t.ok(
    isBadContext(
      text(
        rawContext([
          [3, 1, 10],
          [3, 2, 10],
        ]),
      ),
    ),
  );
});

t.test('zero counters, non-finite timestamps, unknown formats and empty encodings are refused', async (t) => {
  t.ok(isBadContext(text(rawContext([[3, 0, 10]]))), 'counter 0');
  t.ok(isBadContext(text(rawContext([[3, 1, Number.NaN]]))), 'NaN ts');
  t.ok(isBadContext(text(rawContext([[3, 1, Number.POSITIVE_INFINITY]]))), 'infinite ts');
  t.ok(isBadContext(text(rawContext([[3, 1, 10]], 2))), 'format 2');
  t.ok(isBadContext(text(rawContext([[3, 1, 10]], 0))), 'format 0');
  t.ok(isBadContext(text(rawContext([]))), 'an encoded empty clock');
  t.ok(isBadContext(text(rawContext([[3, 1, 10]], 1, 2))), 'count larger than the entries');
  t.ok(isBadContext(text(rawContext([[3, 1, 10]], 1, 0xffff))), 'count far larger than the entries');
});

t.test('an overlong string is refused before it is decoded', async (t) => {
  t.throws(() => decodeContext('A'.repeat(1_000_000)), {
    ...BAD,
    message: /characters; the longest valid context/,
  });
});

/** Format 2 bytes shaped like a clock (lanes mostly valid), with a random tail now and then. */
function randomClockBytes(rng: Rng): Buffer {
  const count = rng.int(4);
  const entries = Array.from({ length: count }, () =>
    Buffer.concat([Buffer.from([0, rng.int(2)]), rng.bytes(16)]),
  );
  return Buffer.concat([Buffer.from([2, 0, count]), ...entries, rng.bytes(rng.chance(0.8) ? 0 : rng.int(3))]);
}

t.test('a random string decodes to a clock that re-encodes to it, or throws BAD_CONTEXT', async (t) => {
  const rng = new Rng(13);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= ';
  const inputs = Array.from({ length: 5000 }, () =>
    rng.chance(0.5)
      ? Array.from({ length: rng.int(60) }, () => rng.pick([...alphabet])).join('')
      : text(randomClockBytes(rng)),
  );
  const valid = inputs.filter((input) => !isBadContext(input) && Buffer.from(input, 'base64url')[0] === 2);
  t.equal(
    counterexample(valid, (input) => encodeContext(decodeContext(input)) === input),
    undefined,
  );
  t.ok(valid.length > 0, 'some random inputs are valid contexts');
});

t.test('the error carries the BAD_CONTEXT code across threads', async (t) => {
  t.throws(() => decodeContext('!'), BAD);
  try {
    decodeContext('!');
  } catch (error) {
    t.equal((error as KvError).toWire().code, 'BAD_CONTEXT');
  }
});
