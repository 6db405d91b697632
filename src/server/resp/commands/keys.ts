// Redis's key commands over the connection's bucket: GET, DEL, EXISTS, MGET, MSET (SET: expiry.ts).
// They hide siblings as Redis clients expect: GET answers the newest version by timestamp (nil
// when that is a delete), and SET and DEL supersede every older version on every replica
// (`replace: true`), so repeated SETs never pile up siblings. Multi-key commands run their keys
// concurrently in bounded slices and are not atomic: when one key fails the reply is that error,
// the keys of later slices are not sent, and the other keys may have been written. How many keys
// one command may name is checked before it runs (connection.ts, --max-keys-per-command).

import type { GetResult, WriteOptions, WriteResult } from '../../../index.js';
import { ACCESS_READ, ACCESS_WRITE } from '../../auth/access.js';
import { array, bulk, integer, nil, OK, type Protocol, type Reply } from '../encoder.js';
import { type CommandSpec, type Session, wrongArity } from './spec.js';

const REPLACE: WriteOptions = Object.freeze({ replace: true });

/** The newest version's value, or nil when there is none or the newest is a delete. */
function newest(protocol: Protocol, result: GetResult): Reply {
  return result.newest === null ? nil(protocol) : bulk(result.newest);
}

const okReply = (): Reply => OK;

/**
 * Runs `run(i)` for each i below `count`, at most `inFlightMax` at a time: the next slice is
 * sent once the previous one has answered, so one command with many keys holds a bounded
 * share of the rings and of the pending requests, and other clients' commands are served
 * between its slices. The results come in index order; the first failure rejects.
 */
async function inSlices<T>(
  count: number,
  inFlightMax: number,
  run: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  for (let start = 0; start < count; start += inFlightMax) {
    const end = Math.min(count, start + inFlightMax);
    const slice: Promise<void>[] = [];
    for (let index = start; index < end; index++) {
      slice.push(
        run(index).then((result) => {
          results[index] = result;
        }),
      );
    }
    await Promise.all(slice);
  }
  return results;
}

/** Runs one operation per item of a multi-key command, in slices (one slice: all at once). */
function eachKey<I, T>(session: Session, items: readonly I[], run: (item: I) => Promise<T>): Promise<T[]> {
  const inFlightMax = session.server.keysInFlightPerCommandMax;
  if (items.length <= inFlightMax) return Promise.all(items.map(run));
  return inSlices(items.length, inFlightMax, (index) => run(items[index] as I));
}

const existed = (result: WriteResult): boolean => result.existed;
const found = (result: GetResult): boolean => result.newest !== null;
const count = (flags: boolean[]): Reply => integer(flags.filter(Boolean).length);

const get: CommandSpec = {
  name: 'get',
  arity: 2,
  flags: ['readonly', 'fast'],
  access: ACCESS_READ,
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    // The protocol when the command arrived: a HELLO pipelined behind it must not change its reply.
    const protocol = session.protocol;
    return session.bucket.get(args[1] as Buffer).then((result) => newest(protocol, result));
  },
};

const del: CommandSpec = {
  name: 'del',
  arity: -2,
  flags: ['write'],
  access: ACCESS_WRITE,
  firstKey: 1,
  lastKey: -1,
  step: 1,
  run(session, args) {
    const bucket = session.bucket;
    if (args.length === 2) {
      return bucket.delete(args[1] as Buffer, REPLACE).then((result) => integer(result.existed ? 1 : 0));
    }
    // A key named twice is deleted once, so it counts once, as in Redis.
    const keys = new Map<string, Buffer>();
    for (let at = 1; at < args.length; at++)
      keys.set((args[at] as Buffer).toString('latin1'), args[at] as Buffer);
    return eachKey(session, [...keys.values()], (key) => bucket.delete(key, REPLACE).then(existed)).then(
      count,
    );
  },
};

/**
 * Reads every key argument (args[1..]) of the session's bucket, in order, keeping of each
 * result only what the reply needs: a command of many keys holds no GetResult per key.
 */
function readEach<T>(
  session: Session,
  args: readonly Buffer[],
  keep: (result: GetResult) => T,
): Promise<T[]> {
  const bucket = session.bucket;
  return eachKey(session, args.slice(1), (key) => bucket.get(key).then(keep));
}

/** EXISTS counts keys holding a value; a key named twice counts twice, as in Redis. */
const exists: CommandSpec = {
  name: 'exists',
  arity: -2,
  flags: ['readonly', 'fast'],
  access: ACCESS_READ,
  firstKey: 1,
  lastKey: -1,
  step: 1,
  run(session, args) {
    return readEach(session, args, found).then(count);
  },
};

const mget: CommandSpec = {
  name: 'mget',
  arity: -2,
  flags: ['readonly', 'fast'],
  access: ACCESS_READ,
  firstKey: 1,
  lastKey: -1,
  step: 1,
  run(session, args) {
    const protocol = session.protocol;
    return readEach(session, args, (result) => newest(protocol, result)).then(array);
  },
};

const mset: CommandSpec = {
  name: 'mset',
  arity: -3,
  flags: ['write', 'denyoom'],
  access: ACCESS_WRITE,
  firstKey: 1,
  lastKey: -1,
  step: 2,
  run(session, args) {
    if (args.length % 2 === 0) throw wrongArity('mset');
    // A key named twice takes its last value, as in Redis; two concurrent writes of one key
    // could otherwise land in either order.
    const pairs = new Map<string, [Buffer, Buffer]>();
    for (let at = 1; at < args.length; at += 2) {
      pairs.set((args[at] as Buffer).toString('latin1'), [args[at] as Buffer, args[at + 1] as Buffer]);
    }
    const bucket = session.bucket;
    return eachKey(session, [...pairs.values()], ([key, value]) => bucket.put(key, value, REPLACE)).then(
      okReply,
    );
  },
};

// SET is in expiry.ts, beside the other commands that take its expiry and condition options.
export const KEY_COMMANDS: readonly CommandSpec[] = [get, del, exists, mget, mset];
