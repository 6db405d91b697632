// Goal: a record round-trips its version set exactly (dots included), its size is known in advance, and bad bytes throw.
// Method: version sets from simulated histories plus edge cases; every truncation, bit-level defects, random bytes.
import t from 'tap';
import {
  actorOf,
  decodeRecord,
  encodedRecordBytes,
  encodeRecord,
  encodeRecordInto,
  isOldTombstones,
  reconcile,
  soleValue,
  type Version,
} from '../../../src/clock/index.js';
import { counterexample, Rng, simulate } from './fixtures.js';

const same = (a: readonly Version[], b: readonly Version[]) =>
  JSON.stringify(plain(a)) === JSON.stringify(plain(b));
const plain = (versions: readonly Version[]) =>
  versions.map((v) => ({ ...v, value: v.value === null ? null : Buffer.from(v.value).toString('hex') }));

function isMalformed(bytes: Uint8Array): boolean {
  try {
    decodeRecord(bytes);
    return false;
  } catch (error) {
    return error instanceof Error && error.message.startsWith('record is malformed');
  }
}

const ONE: Version[] = [
  {
    dot: { node: 3, counter: 5 },
    clock: [{ node: 7, counter: 2, ts: 100 }],
    ts: 100,
    value: Uint8Array.of(1, 2, 3),
  },
  { dot: { node: 9, counter: 2 }, clock: [{ node: 9, counter: 1, ts: 90 }], ts: 90, value: null },
];

/**
 * Byte offsets of the fields of ONE's encoding, for tests that break one field. A node is a
 * u16 lane then the u32 worker id: dotLane and dotNode, lane and node.
 */
const AT = {
  format: 0,
  count: 1,
  flags: 3,
  ts: 4,
  dotLane: 12,
  dotNode: 14,
  dotCounter: 18,
  entryCount: 22,
  lane: 24,
  node: 26,
  counter: 30,
  entryTs: 34,
  valueBytes: 42,
};
const SECOND_FLAGS = 49;

function corrupt(edit: (view: DataView) => void): Uint8Array {
  const bytes = encodeRecord(ONE);
  edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return bytes;
}

function randomSets(seed: number, count: number): Version[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const { created, replicas } = simulate(rng, 'siblings', 20);
    return rng.chance(0.5) ? rng.pick(replicas) : reconcile(rng.subset(created), 'lww');
  });
}

const SETS = randomSets(0x7ec, 300);

t.test('the field offsets used to corrupt records match the layout', async (t) => {
  const view = new DataView(encodeRecord(ONE).buffer);
  t.equal(view.getUint8(AT.format), 2);
  t.equal(view.getUint16(AT.dotLane), 0);
  t.equal(view.getUint16(AT.lane), 0);
  t.equal(view.getUint32(AT.node), 7);
  t.equal(view.getUint16(AT.count), 2);
  t.equal(view.getUint32(AT.dotNode), 3);
  t.equal(view.getUint32(AT.dotCounter), 5);
  t.equal(view.getUint32(AT.counter), 2);
  t.equal(view.getUint32(AT.valueBytes), 3);
  t.equal(view.getUint8(SECOND_FLAGS), 1);
});

t.test('version sets from simulated histories round-trip exactly', async (t) => {
  t.equal(
    counterexample(SETS, (set) => same(decodeRecord(encodeRecord(set)), set)),
    undefined,
  );
});

t.test('encodedRecordBytes is the exact size encodeRecord produces', async (t) => {
  t.equal(
    counterexample(SETS, (set) => encodeRecord(set).byteLength === encodedRecordBytes(set)),
    undefined,
  );
  t.equal(encodedRecordBytes([]), 3);
});

t.test('the empty set, empty values, tombstones and edge numbers round-trip', async (t) => {
  const edge: Version[] = [
    { dot: { node: 0, counter: 1 }, clock: [], ts: 0, value: new Uint8Array(0) },
    {
      dot: { node: 0xffff_ffff, counter: 0xffff_ffff },
      clock: [{ node: 0xffff_ffff, counter: 0xffff_ffff, ts: -1.5 }],
      ts: Number.MAX_VALUE,
      value: null,
    },
    {
      dot: { node: 0, counter: 2 },
      clock: [{ node: 0, counter: 1, ts: 0 }],
      ts: 1,
      value: new Uint8Array(70_000).fill(0xab),
    },
  ];
  t.strictSame(decodeRecord(encodeRecord([])), []);
  t.ok(same(decodeRecord(encodeRecord(edge)), edge));
  t.equal(decodeRecord(encodeRecord(edge))[0]?.value?.byteLength, 0, 'an empty value is not a tombstone');
});

t.test('equal version sets encode to identical bytes', async (t) => {
  const copy = ONE.map((v) => ({
    ...v,
    dot: { ...v.dot },
    clock: v.clock.map((e) => ({ ...e })),
    value: v.value === null ? null : v.value.slice(),
  }));
  t.strictSame(encodeRecord(copy), encodeRecord(ONE));
});

t.test('encodeRecordInto writes at an offset and returns the end of the record', async (t) => {
  const target = new Uint8Array(10 + encodedRecordBytes(ONE) + 5).fill(0xee);
  const end = encodeRecordInto(ONE, target, 10);
  t.equal(end, 10 + encodedRecordBytes(ONE));
  t.strictSame(target.subarray(10, end), encodeRecord(ONE));
  t.ok(target.subarray(0, 10).every((b) => b === 0xee) && target.subarray(end).every((b) => b === 0xee));
  t.throws(() => encodeRecordInto(ONE, target, 16), 'a record that does not fit is a programmer error');
});

t.test('a record inside a larger buffer decodes from a subarray view', async (t) => {
  const target = Buffer.alloc(encodedRecordBytes(ONE) + 20);
  const end = encodeRecordInto(ONE, target, 7);
  t.ok(same(decodeRecord(target.subarray(7, end)), ONE));
});

t.test('decoded values are copies that survive reuse of the input buffer', async (t) => {
  const bytes = encodeRecord(ONE);
  const decoded = decodeRecord(bytes);
  bytes.fill(0);
  t.strictSame([...(decoded[0]?.value ?? [])], [1, 2, 3]);
  t.not(decoded[0]?.value?.buffer, bytes.buffer);
});

t.test('every truncation of a valid record throws', async (t) => {
  const bytes = encodeRecord(ONE);
  const accepted = Array.from({ length: bytes.length }, (_, n) => n).filter(
    (n) => !isMalformed(bytes.subarray(0, n)),
  );
  t.strictSame(accepted, []);
});

t.test('a record cut inside a dot throws, naming the truncated field', async (t) => {
  const bytes = encodeRecord(ONE);
  t.throws(() => decodeRecord(bytes.subarray(0, AT.dotLane + 1)), {
    message: /truncated u16: needs 2 bytes/,
  });
  for (const end of [AT.dotNode, AT.dotNode + 3, AT.dotCounter, AT.dotCounter + 2]) {
    t.throws(
      () => decodeRecord(bytes.subarray(0, end)),
      { message: /truncated u32: needs 4 bytes/ },
      `${end} bytes`,
    );
  }
});

t.test('a dot is written as lane, worker id, then counter, right after the version timestamp', async (t) => {
  const dot = { node: actorOf(0xdead_beef, 3), counter: 0x0102_0304 };
  const bytes = Buffer.from(encodeRecord([{ dot, clock: [], ts: 1, value: null }]));
  t.equal(bytes.readUInt16BE(AT.dotLane), 3);
  t.equal(bytes.readUInt32BE(AT.dotNode), 0xdead_beef);
  t.equal(bytes.readUInt32BE(AT.dotCounter), dot.counter);
  t.strictSame(decodeRecord(bytes)[0]?.dot, dot);
});

t.test('a floor and its past round-trip, and a floor above its version ts is refused', async (t) => {
  const past = [{ node: actorOf(4, 1), counter: 2, ts: 50 }];
  const floored: Version[] = [
    { dot: { node: 4, counter: 3 }, clock: [], ts: 90, value: null, floor: 80, past },
  ];
  t.ok(same(decodeRecord(encodeRecord(floored)), floored));
  t.equal(encodeRecord(floored).byteLength, encodedRecordBytes(floored));
  const above: Version[] = [{ ...(floored[0] as Version), floor: 95 }];
  t.throws(() => decodeRecord(encodeRecord(above)), { message: /floor 95 is not in/ });
});

t.test('format 1 records (before lanes and floors) still decode', async (t) => {
  // u8 format 1 | u16 count 1 | flags 0 | f64 ts 7 | u32 node 9 | u32 counter 2 | clock: 1 entry (u32 node 9, u32 1, f64 5) | u32 1 | value 0x2a
  const bytes = Buffer.alloc(3 + 1 + 8 + 8 + 2 + 16 + 4 + 1);
  let at = 0;
  at = bytes.writeUInt8(1, at);
  at = bytes.writeUInt16BE(1, at);
  at = bytes.writeUInt8(0, at);
  at = bytes.writeDoubleBE(7, at);
  at = bytes.writeUInt32BE(9, at);
  at = bytes.writeUInt32BE(2, at);
  at = bytes.writeUInt16BE(1, at);
  at = bytes.writeUInt32BE(9, at);
  at = bytes.writeUInt32BE(1, at);
  at = bytes.writeDoubleBE(5, at);
  at = bytes.writeUInt32BE(1, at);
  bytes.writeUInt8(0x2a, at);
  const [version] = decodeRecord(bytes);
  t.strictSame(version?.dot, { node: 9, counter: 2 });
  t.strictSame(version?.clock, [{ node: 9, counter: 1, ts: 5 }]);
  t.strictSame([...(version?.value ?? [])], [0x2a]);
});

t.test('trailing bytes after the last version throw', async (t) => {
  const bytes = encodeRecord(ONE);
  for (let extra = 1; extra <= 3; extra++) {
    t.ok(isMalformed(Buffer.concat([bytes, Buffer.alloc(extra)])), `${extra} trailing bytes`);
  }
});

t.test('each broken field throws with a message naming the defect', async (t) => {
  const cases: Array<[string, (view: DataView) => void, RegExp]> = [
    ['unknown format', (v) => v.setUint8(AT.format, 3), /unknown format 3/],
    ['unknown flag', (v) => v.setUint8(AT.flags, 128), /unknown version flags 128/],
    ['tombstone with value', (v) => v.setUint8(AT.flags, 1), /tombstone carries 3 value bytes/],
    ['NaN version ts', (v) => v.setFloat64(AT.ts, Number.NaN), /version timestamp NaN/],
    ['zero dot counter', (v) => v.setUint32(AT.dotCounter, 0), /version dot of node 3 has counter 0/],
    ['zero clock counter', (v) => v.setUint32(AT.counter, 0), /clock entry of node 7 has counter 0/],
    ['infinite entry ts', (v) => v.setFloat64(AT.entryTs, Number.NEGATIVE_INFINITY), /timestamp -Infinity/],
    ['too many versions', (v) => v.setUint16(AT.count, 3), /truncated/],
    ['too few versions', (v) => v.setUint16(AT.count, 1), /trailing bytes/],
    ['entry count past the end', (v) => v.setUint16(AT.entryCount, 500), /truncated clock of 500 entries/],
    ['value length past the end', (v) => v.setUint32(AT.valueBytes, 0xffff_ffff), /truncated byte string/],
  ];
  for (const [name, edit, message] of cases) t.throws(() => decodeRecord(corrupt(edit)), { message }, name);
});

t.test('clock nodes out of order or repeated throw', async (t) => {
  const clock = (nodes: number[]) => nodes.map((node) => ({ node, counter: 1, ts: 1 }));
  const dot = { node: 1, counter: 1 };
  t.throws(() => decodeRecord(encodeRecord([{ dot, clock: clock([5, 3]), ts: 1, value: null }])), {
    message: /not strictly ascending/,
  });
  t.throws(() => decodeRecord(encodeRecord([{ dot, clock: clock([5, 5]), ts: 1, value: null }])), {
    message: /not strictly ascending/,
  });
});

t.test('random bytes either decode to a set that re-encodes to them, or throw', async (t) => {
  const rng = new Rng(21);
  const inputs = Array.from({ length: 5000 }, () =>
    Buffer.concat([Buffer.from([2, 0, rng.int(3)]), rng.bytes(rng.int(80))]),
  );
  const valid = inputs.filter((bytes) => !isMalformed(bytes));
  t.equal(
    counterexample(valid, (bytes) => Buffer.from(encodeRecord(decodeRecord(bytes))).equals(bytes)),
    undefined,
  );
  t.ok(valid.length > 0, 'some random inputs are valid records');
});

t.test('isOldTombstones holds for records of tombstones only, all older than the cut-off', async (t) => {
  const tomb = (ts: number, floor?: number): Version =>
    floor === undefined
      ? {
          dot: { node: actorOf(3, 1), counter: ts },
          clock: [{ node: 9, counter: 1, ts: 1 }],
          ts,
          value: null,
        }
      : {
          dot: { node: 3, counter: ts },
          clock: [],
          ts,
          value: null,
          floor,
          past: [{ node: 4, counter: 2, ts: 1 }],
        };
  const live: Version = { dot: { node: 5, counter: 1 }, clock: [], ts: 10, value: Uint8Array.of(1) };
  t.ok(isOldTombstones(encodeRecord([tomb(10), tomb(20, 20)]), 21));
  t.notOk(
    isOldTombstones(encodeRecord([tomb(10), tomb(20, 20)]), 20),
    'a tombstone at the cut-off is too young',
  );
  t.notOk(isOldTombstones(encodeRecord([tomb(10), live]), 100), 'a live sibling keeps the record');
  t.notOk(isOldTombstones(encodeRecord([]), 100), 'an empty record is no tombstone');
  t.notOk(
    isOldTombstones(encodeRecord([tomb(10)]).subarray(0, 20), 100),
    'a malformed record is never purged',
  );
  const all = SETS.map((set) => encodeRecord(set));
  t.equal(
    counterexample(all, (bytes) => {
      const versions = decodeRecord(bytes);
      const expected =
        versions.length > 0 && versions.every((v) => v.value === null && v.ts < 1_700_000_000_030);
      return isOldTombstones(bytes, 1_700_000_000_030) === expected;
    }),
    undefined,
    'agrees with decoding on simulated records',
  );
});

t.test(
  'soleValue reads the value of a one-version record as decoding does, and declines the rest',
  async (t) => {
    const all = SETS.map((set) => encodeRecord(set));
    t.equal(
      counterexample(all, (bytes) => {
        const versions = decodeRecord(bytes);
        const sole = soleValue(bytes);
        if (versions.length !== 1) return sole === undefined;
        const value = (versions[0] as Version).value;
        if (value === null) return sole === null;
        return sole instanceof Uint8Array && Buffer.from(sole).equals(Buffer.from(value));
      }),
      undefined,
      'agrees with decoding on simulated records',
    );
    const single = encodeRecord([ONE[0] as Version]);
    t.same([...(soleValue(single) ?? [])], [1, 2, 3], 'a live version');
    t.equal(soleValue(encodeRecord([ONE[1] as Version])), null, 'a tombstone');
    t.equal(soleValue(encodeRecord(ONE)), undefined, 'two versions are left to decodeRecord');
    t.equal(soleValue(single.subarray(0, single.length - 1)), undefined, 'a truncated record');
    t.equal(soleValue(Buffer.concat([single, Uint8Array.of(0)])), undefined, 'trailing bytes');
    const flagged = Uint8Array.from(single);
    flagged[3] = (flagged[3] as number) | 0x80;
    t.equal(soleValue(flagged), undefined, 'flags it does not know');
  },
);
