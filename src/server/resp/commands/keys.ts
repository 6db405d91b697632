// Redis's key commands over the connection's bucket: GET, SET, DEL, EXISTS, MGET, MSET.
// They hide siblings as Redis clients expect: GET answers the newest version by timestamp (nil
// when that is a delete), and SET and DEL supersede every older version on every replica
// (`replace: true`), so repeated SETs never pile up siblings. Multi-key commands run their keys concurrently and are not atomic:
// when one key fails the reply is that error, and the other keys may have been written.
import type { GetResult, WriteOptions, WriteResult } from '../../../index.js';
import { KvError } from '../../../index.js';
import { array, bulk, integer, nil, OK, type Protocol, type Reply } from '../encoder.js';
import { type CommandSpec, keyword, type Session, syntaxError, wrongArity } from './spec.js';

const REPLACE: WriteOptions = Object.freeze({ replace: true });

/** The newest version's value, or nil when there is none or the newest is a delete. */
function newest(protocol: Protocol, result: GetResult): Reply {
  return result.newest === null ? nil(protocol) : bulk(result.newest);
}

const okReply = (): Reply => OK;

const countExisted = (results: WriteResult[]): Reply => integer(results.filter((r) => r.existed).length);

const countFound = (results: GetResult[]): Reply => integer(results.filter((r) => r.newest !== null).length);

const get: CommandSpec = {
  name: 'get',
  arity: 2,
  flags: ['readonly', 'fast'],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    // The protocol when the command arrived: a HELLO pipelined behind it must not change its reply.
    const protocol = session.protocol;
    return session.bucket.get(args[1] as Buffer).then((result) => newest(protocol, result));
  },
};

/** SET's Redis options: expiry and conditional writes have no counterpart in ringkv. */
const SET_OPTIONS = new Set(['EX', 'PX', 'EXAT', 'PXAT', 'NX', 'XX', 'GET', 'KEEPTTL']);

const set: CommandSpec = {
  name: 'set',
  arity: -3,
  flags: ['write', 'denyoom'],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    if (args.length > 3) {
      const option = keyword(args[3] as Buffer);
      if (!SET_OPTIONS.has(option)) throw syntaxError();
      throw new KvError(
        'BAD_REQUEST',
        `SET option ${option} is not supported: ringkv has no expiry or conditional writes (use VGET/VPUT with a context)`,
      );
    }
    return session.bucket.put(args[1] as Buffer, args[2] as Buffer, REPLACE).then(okReply);
  },
};

const del: CommandSpec = {
  name: 'del',
  arity: -2,
  flags: ['write'],
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
    const deletes: Promise<WriteResult>[] = [];
    for (const key of keys.values()) deletes.push(bucket.delete(key, REPLACE));
    return Promise.all(deletes).then(countExisted);
  },
};

/** Reads every key argument (args[1..]) of the session's bucket, in order. */
function readEach(session: Session, args: readonly Buffer[]): Promise<GetResult[]> {
  const reads: Promise<GetResult>[] = [];
  for (let at = 1; at < args.length; at++) reads.push(session.bucket.get(args[at] as Buffer));
  return Promise.all(reads);
}

/** EXISTS counts keys holding a value; a key named twice counts twice, as in Redis. */
const exists: CommandSpec = {
  name: 'exists',
  arity: -2,
  flags: ['readonly', 'fast'],
  firstKey: 1,
  lastKey: -1,
  step: 1,
  run(session, args) {
    return readEach(session, args).then(countFound);
  },
};

const mget: CommandSpec = {
  name: 'mget',
  arity: -2,
  flags: ['readonly', 'fast'],
  firstKey: 1,
  lastKey: -1,
  step: 1,
  run(session, args) {
    const protocol = session.protocol;
    return readEach(session, args).then((results) =>
      array(results.map((result) => newest(protocol, result))),
    );
  },
};

const mset: CommandSpec = {
  name: 'mset',
  arity: -3,
  flags: ['write', 'denyoom'],
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
    const writes: Promise<WriteResult>[] = [];
    for (const [key, value] of pairs.values()) writes.push(session.bucket.put(key, value, REPLACE));
    return Promise.all(writes).then(okReply);
  },
};

export const KEY_COMMANDS: readonly CommandSpec[] = [get, set, del, exists, mget, mset];
