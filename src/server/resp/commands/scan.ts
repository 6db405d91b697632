// The key space over RESP: SCAN, KEYS, DBSIZE, TYPE, RANDOMKEY, FLUSHDB, FLUSHALL, over the
// connection's bucket (FLUSHALL: every bucket). They walk partitions (main/keyspace.ts): a SCAN
// cursor is the next partition to read, so a key live for the whole scan is returned at least
// once (a key written during the scan may or may not be). KEYS and DBSIZE walk every partition;
// FLUSHDB and FLUSHALL delete every live key through the write path, as DEL does.

import { randomInt } from 'node:crypto';
import { KvError } from '../../../index.js';
import { allKeys, globMatcher, type KeyOfBucket, partitionKeys } from '../../../main/keyspace.js';
import { ACCESS_ADMIN, ACCESS_READ } from '../../auth/access.js';
import { array, bulk, bulkArray, integer, nil, OK, type Reply, simpleString } from '../encoder.js';
import { type CommandSpec, integerArg, keyword, type Session, syntaxError } from './spec.js';

/** Keys a SCAN call aims for when COUNT is absent (Redis's default). */
const SCAN_COUNT_DEFAULT = 10;
/** Deletes of one FLUSH in flight at once. */
const FLUSH_IN_FLIGHT_MAX = 64;

interface ScanOptions {
  match: ((key: string) => boolean) | null;
  count: number;
  /** Every ringkv key is a string: TYPE string keeps all, any other type none. */
  typeMatches: boolean;
}

function scanOptions(args: Buffer[]): ScanOptions {
  const options: ScanOptions = { match: null, count: SCAN_COUNT_DEFAULT, typeMatches: true };
  for (let at = 2; at < args.length; at += 2) {
    const value = args[at + 1];
    if (value === undefined) throw syntaxError();
    const name = keyword(args[at] as Buffer);
    if (name === 'MATCH') options.match = globMatcher(value.toString('latin1'));
    else if (name === 'COUNT') {
      options.count = integerArg(value);
      if (options.count < 1) throw syntaxError();
    } else if (name === 'TYPE') options.typeMatches = value.toString('latin1').toLowerCase() === 'string';
    else throw syntaxError();
  }
  return options;
}

function keyMatches(options: ScanOptions, key: Buffer): boolean {
  return options.typeMatches && (options.match === null || options.match(key.toString('latin1')));
}

const scan: CommandSpec = {
  name: 'scan',
  access: ACCESS_READ,
  arity: -2,
  flags: ['readonly'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session, args) {
    const partitionCount = session.db.ring.partitionCount;
    const cursorText = (args[1] as Buffer).toString('latin1');
    if (!/^[0-9]{1,10}$/.test(cursorText) || Number(cursorText) >= partitionCount) {
      throw new KvError('BAD_REQUEST', 'invalid cursor');
    }
    const options = scanOptions(args);
    const keys: Buffer[] = [];
    let partition = Number(cursorText);
    // Whole partitions: COUNT is a hint, as in Redis, and a cursor inside a partition could skip
    // keys when earlier ones are deleted between calls.
    while (partition < partitionCount && keys.length < options.count) {
      for (const { key } of partitionKeys(session.db, partition, session.bucket.name)) {
        if (keyMatches(options, key)) keys.push(key);
      }
      partition++;
    }
    const next = partition >= partitionCount ? 0 : partition;
    return array([bulk(String(next)), bulkArray(keys)]);
  },
};

const keys: CommandSpec = {
  name: 'keys',
  access: ACCESS_READ,
  arity: 2,
  flags: ['readonly'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  async run(session, args) {
    const match = globMatcher((args[1] as Buffer).toString('latin1'));
    const found: Buffer[] = [];
    for await (const batch of allKeys(session.db, session.bucket.name)) {
      for (const { key } of batch) if (match(key.toString('latin1'))) found.push(key);
    }
    return bulkArray(found);
  },
};

const dbsize: CommandSpec = {
  name: 'dbsize',
  access: ACCESS_READ,
  arity: 1,
  flags: ['readonly', 'fast'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  async run(session) {
    let count = 0;
    for await (const batch of allKeys(session.db, session.bucket.name)) count += batch.length;
    return integer(count);
  },
};

const type: CommandSpec = {
  name: 'type',
  access: ACCESS_READ,
  arity: 2,
  flags: ['readonly', 'fast'],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    return session.bucket
      .get(args[1] as Buffer)
      .then((result) => simpleString(result.newest === null ? 'none' : 'string'));
  },
};

const randomkey: CommandSpec = {
  name: 'randomkey',
  access: ACCESS_READ,
  arity: 1,
  flags: ['readonly'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session) {
    const protocol = session.protocol;
    const partitionCount = session.db.ring.partitionCount;
    const start = randomInt(partitionCount);
    // From a random partition on, the first that holds a key; a random key of that partition.
    for (let i = 0; i < partitionCount; i++) {
      const found = partitionKeys(session.db, (start + i) % partitionCount, session.bucket.name);
      if (found.length > 0) return bulk((found[randomInt(found.length)] as KeyOfBucket).key);
    }
    return nil(protocol);
  },
};

function flushMode(args: Buffer[]): void {
  if (args.length === 1) return;
  const mode = keyword(args[1] as Buffer);
  if (args.length > 2 || (mode !== 'ASYNC' && mode !== 'SYNC')) throw syntaxError();
}

/** Deletes every live key (of one bucket, or all) as DEL does, a partition at a time. */
async function flush(session: Session, bucket: string | null): Promise<Reply> {
  for await (const batch of allKeys(session.db, bucket)) {
    for (let start = 0; start < batch.length; start += FLUSH_IN_FLIGHT_MAX) {
      const slice = batch.slice(start, start + FLUSH_IN_FLIGHT_MAX);
      await Promise.all(
        slice.map(({ bucket: name, key }) => session.db.bucket(name).delete(key, { replace: true })),
      );
    }
  }
  return OK;
}

const flushdb: CommandSpec = {
  name: 'flushdb',
  access: ACCESS_ADMIN,
  arity: -1,
  flags: ['write'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session, args) {
    flushMode(args);
    return flush(session, session.bucket.name);
  },
};

const flushall: CommandSpec = {
  name: 'flushall',
  access: ACCESS_ADMIN,
  arity: -1,
  flags: ['write'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session, args) {
    flushMode(args);
    return flush(session, null);
  },
};

export const KEYSPACE_COMMANDS: readonly CommandSpec[] = [
  scan,
  keys,
  dbsize,
  type,
  randomkey,
  flushdb,
  flushall,
];
