// The key space as the main thread sees it (SCAN, KEYS, DBSIZE, RANDOMKEY, FLUSHDB): the live
// keys of one partition, read from the storage of every worker this thread may read now (the
// replicas and any stand-in holding hints) and merged, so a key acknowledged on W replicas is
// found even when another replica has not received it yet. A key is live when its newest
// version holds a value (a tombstone or nothing means deleted). Partitions are the unit: a
// cursor names the next partition to read.
import { decodeRecord, mergeVersions, newestValue, type Version } from '../clock/index.js';
import type { Db } from './db.js';

export interface KeyOfBucket {
  bucket: string;
  key: Buffer;
}

/** Bytes before the key in a storage key: u16 partition, u8 bucket name length. */
const PREFIX_BYTES = 3;

/**
 * The live keys of one partition, in storage order: of `bucket` only, or of every bucket when
 * bucket is null.
 */
export function partitionKeys(db: Db, partition: number, bucket: string | null): KeyOfBucket[] {
  db.reader.refresh();
  const merged = new Map<string, Version[]>();
  for (const slot of db.readableSlots()) {
    for (const { key, record } of db.reader.partitionRecords(slot, partition)) {
      // The named databases' entries ('hints', 'meta') fall in a partition's range only when
      // there are over 26,000 partitions, and never parse: their third byte is too long a name.
      if (key.length < PREFIX_BYTES || PREFIX_BYTES + (key[2] as number) > key.length) continue;
      const versions = decodeRecord(record);
      const id = key.toString('latin1');
      const seen = merged.get(id);
      merged.set(id, seen === undefined ? versions : mergeVersions(seen, versions, 'siblings'));
    }
  }
  const keys: KeyOfBucket[] = [];
  for (const [id, versions] of [...merged].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (newestValue(versions) === undefined) continue;
    const storageKey = Buffer.from(id, 'latin1');
    const nameEnd = PREFIX_BYTES + (storageKey[2] as number);
    const name = storageKey.toString('utf8', PREFIX_BYTES, nameEnd);
    if (bucket !== null && name !== bucket) continue;
    keys.push({ bucket: name, key: storageKey.subarray(nameEnd) });
  }
  return keys;
}

/** Yields between partitions, so a walk of the whole key space leaves other clients served. */
export async function* allKeys(db: Db, bucket: string | null): AsyncGenerator<KeyOfBucket[]> {
  for (let partition = 0; partition < db.ring.partitionCount; partition++) {
    yield partitionKeys(db, partition, bucket);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Redis's glob (stringmatchlen): `*` any run, `?` one character, `[abc]`, `[^a]`, `[a-z]`, and
 * `\x` for a literal x. Works on bytes (latin1), as Redis does.
 */
export function globMatcher(pattern: string): (text: string) => boolean {
  if (pattern === '*') return () => true;
  return (text) => matchAt(pattern, 0, text, 0);
}

function matchAt(pattern: string, p: number, text: string, t: number): boolean {
  while (p < pattern.length) {
    const c = pattern[p] as string;
    if (c === '*') {
      while (pattern[p + 1] === '*') p++;
      if (p + 1 === pattern.length) return true;
      for (let from = t; from <= text.length; from++) if (matchAt(pattern, p + 1, text, from)) return true;
      return false;
    }
    if (t >= text.length) return false;
    if (c === '?') {
      p++;
      t++;
      continue;
    }
    if (c === '[') {
      const end = classMatch(pattern, p + 1, text[t] as string);
      if (end < 0) return false;
      p = end;
      t++;
      continue;
    }
    let literal = c;
    if (c === '\\' && p + 1 < pattern.length) literal = pattern[++p] as string;
    if (literal !== text[t]) return false;
    p++;
    t++;
  }
  return t === text.length;
}

/** Matches `ch` against the class starting at pattern[p] (after `[`): the index after `]`, or -1. */
function classMatch(pattern: string, p: number, ch: string): number {
  const negate = pattern[p] === '^';
  if (negate) p++;
  let matched = false;
  while (p < pattern.length && pattern[p] !== ']') {
    if (pattern[p] === '\\' && p + 1 < pattern.length) {
      p++;
      if (pattern[p] === ch) matched = true;
    } else if (pattern[p + 1] === '-' && p + 2 < pattern.length && pattern[p + 2] !== ']') {
      let low = pattern[p] as string;
      let high = pattern[p + 2] as string;
      if (low > high) [low, high] = [high, low];
      if (ch >= low && ch <= high) matched = true;
      p += 2;
    } else if (pattern[p] === ch) {
      matched = true;
    }
    p++;
  }
  // Redis treats a class left open at the end of the pattern as closed there.
  const after = p < pattern.length ? p + 1 : p;
  return matched !== negate ? after : -1;
}
