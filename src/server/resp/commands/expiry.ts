// Redis's expiry and conditional string commands: SET with its options, SETEX, PSETEX, SETNX,
// GETSET, GETDEL, GETEX, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME,
// PEXPIRETIME, PERSIST. An expiry is part of the version written (an absolute time in ms), so
// changing it (EXPIRE, PERSIST, GETEX) writes the value again with the new expiry. Whatever
// depends on the key's current state (NX, XX, GET, KEEPTTL, the EXPIRE family) is decided on a
// read of R replicas, then a write with that read's context: not isolated from other clients
// (two concurrent SET NX may both succeed); the README says what this promises.

import type { Bucket, GetResult, WriteOptions } from '../../../index.js';
import { KvError } from '../../../index.js';
import { ACCESS_READ, ACCESS_WRITE } from '../../auth/access.js';
import { bulk, integer, nil, OK, type Protocol, type Reply } from '../encoder.js';
import { type CommandSpec, integerArg, keyword, syntaxError } from './spec.js';

/** Plain SET's options, shared: the hot path allocates none. */
const REPLACE: WriteOptions = Object.freeze({ replace: true });

/** The latest expiry Redis accepts is far beyond any Date; this one still converts to a Date. */
const EXPIRES_AT_MAX_MS = 8.64e15;

function invalidExpireTime(command: string): KvError {
  return new KvError('BAD_REQUEST', `invalid expire time in '${command}' command`);
}

type ExpiryUnit = 'EX' | 'PX' | 'EXAT' | 'PXAT';

/** An expiry argument as an absolute time in ms; Redis refuses 0 and below for SET and GETEX. */
function expiryTime(unit: ExpiryUnit, arg: Buffer, command: string, now: number): number {
  const amount = integerArg(arg);
  if (amount <= 0) throw invalidExpireTime(command);
  const ms = unit === 'EX' || unit === 'EXAT' ? amount * 1000 : amount;
  const at = unit === 'EX' || unit === 'PX' ? now + ms : ms;
  if (at > EXPIRES_AT_MAX_MS) throw invalidExpireTime(command);
  return at;
}

function isExpiryUnit(option: string): option is ExpiryUnit {
  return option === 'EX' || option === 'PX' || option === 'EXAT' || option === 'PXAT';
}

/** The value a key holds now: its newest live version's bytes and expiry, or null. */
interface Current {
  value: Buffer;
  expiresAt: number | null;
}

function current(result: GetResult): Current | null {
  return result.newest === null ? null : { value: result.newest, expiresAt: result.expiresAt };
}

/**
 * Writes a value superseding what `read` saw and every older version on every replica (a
 * replace write, as plain SET), expiring at `expiresAt` (null: never).
 */
function writeValue(
  bucket: Bucket,
  key: Buffer,
  value: Buffer,
  expiresAt: number | null,
  read: GetResult | null,
): Promise<unknown> {
  if (read === null && expiresAt === null) return bucket.put(key, value, REPLACE);
  const options: WriteOptions = { replace: true };
  if (read !== null) options.context = read.context;
  if (expiresAt !== null) options.expiresAt = expiresAt;
  return bucket.put(key, value, options);
}

function deleteRead(bucket: Bucket, key: Buffer, read: GetResult): Promise<unknown> {
  return bucket.delete(key, { replace: true, context: read.context });
}

function valueOrNil(protocol: Protocol, value: Current | null): Reply {
  return value === null ? nil(protocol) : bulk(value.value);
}

interface SetOptions {
  condition: 'NX' | 'XX' | null;
  get: boolean;
  keepTtl: boolean;
  expiresAt: number | null;
}

/** SET's options after key and value, as Redis parses them: conflicting ones are a syntax error. */
function parseSetOptions(args: Buffer[], now: number): SetOptions {
  const options: SetOptions = { condition: null, get: false, keepTtl: false, expiresAt: null };
  let unit: ExpiryUnit | 'KEEPTTL' | null = null;
  for (let at = 3; at < args.length; at++) {
    const option = keyword(args[at] as Buffer);
    if (option === 'NX' || option === 'XX') {
      if (options.condition !== null && options.condition !== option) throw syntaxError();
      options.condition = option;
    } else if (option === 'GET') {
      options.get = true;
    } else if (option === 'KEEPTTL') {
      if (unit !== null && unit !== 'KEEPTTL') throw syntaxError();
      unit = 'KEEPTTL';
      options.keepTtl = true;
    } else if (isExpiryUnit(option) && at + 1 < args.length) {
      if (unit !== null && unit !== option) throw syntaxError();
      unit = option;
      options.expiresAt = expiryTime(option, args[++at] as Buffer, 'set', now);
    } else {
      throw syntaxError();
    }
  }
  return options;
}

const okReply = (): Reply => OK;

/**
 * SET key value [NX | XX] [GET] [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL].
 * Without NX, XX, GET or KEEPTTL it is one write; with them, a read of R replicas first.
 */
const set: CommandSpec = {
  name: 'set',
  access: ACCESS_WRITE,
  arity: -3,
  flags: ['write', 'denyoom'],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    const key = args[1] as Buffer;
    const value = args[2] as Buffer;
    const bucket = session.bucket;
    if (args.length === 3) return writeValue(bucket, key, value, null, null).then(okReply);
    const options = parseSetOptions(args, Date.now());
    if (options.condition === null && !options.get && !options.keepTtl) {
      return writeValue(bucket, key, value, options.expiresAt, null).then(okReply);
    }
    const protocol = session.protocol;
    return bucket.get(key).then((read) => {
      const before = current(read);
      const skip =
        (options.condition === 'NX' && before !== null) || (options.condition === 'XX' && before === null);
      const reply = options.get ? valueOrNil(protocol, before) : skip ? nil(protocol) : OK;
      if (skip) return reply;
      const expiresAt = options.keepTtl ? (before?.expiresAt ?? null) : options.expiresAt;
      return writeValue(bucket, key, value, expiresAt, read).then(() => reply);
    });
  },
};

/** SETEX key seconds value and PSETEX key milliseconds value. */
function setWithExpiry(name: 'setex' | 'psetex', unit: 'EX' | 'PX'): CommandSpec {
  return {
    name,
    access: ACCESS_WRITE,
    arity: 4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    run(session, args) {
      const expiresAt = expiryTime(unit, args[2] as Buffer, name, Date.now());
      return writeValue(session.bucket, args[1] as Buffer, args[3] as Buffer, expiresAt, null).then(okReply);
    },
  };
}

/** SETNX key value: 1 when it set the key, 0 when the key held a value. */
const setnx: CommandSpec = {
  name: 'setnx',
  access: ACCESS_WRITE,
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    const key = args[1] as Buffer;
    const bucket = session.bucket;
    return bucket.get(key).then((read) => {
      if (read.newest !== null) return integer(0);
      return writeValue(bucket, key, args[2] as Buffer, null, read).then(() => integer(1));
    });
  },
};

/** GETSET key value: SET key value GET (the expiry is cleared). */
const getset: CommandSpec = {
  name: 'getset',
  access: ACCESS_WRITE,
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    const key = args[1] as Buffer;
    const bucket = session.bucket;
    const protocol = session.protocol;
    return bucket
      .get(key)
      .then((read) =>
        writeValue(bucket, key, args[2] as Buffer, null, read).then(() =>
          valueOrNil(protocol, current(read)),
        ),
      );
  },
};

/** GETDEL key: the value, and the key deleted. */
const getdel: CommandSpec = {
  name: 'getdel',
  access: ACCESS_WRITE,
  arity: 2,
  flags: ['write', 'fast'],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    const key = args[1] as Buffer;
    const bucket = session.bucket;
    const protocol = session.protocol;
    return bucket.get(key).then((read) => {
      const before = current(read);
      if (before === null) return nil(protocol);
      return deleteRead(bucket, key, read).then(() => bulk(before.value));
    });
  },
};

/** GETEX key [EX s | PX ms | EXAT unix-s | PXAT unix-ms | PERSIST]: the value, its expiry changed. */
const getex: CommandSpec = {
  name: 'getex',
  access: ACCESS_WRITE,
  arity: -2,
  flags: ['write', 'fast'],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    // undefined: leave the expiry; null: remove it (PERSIST); a number: set it.
    let expiresAt: number | null | undefined;
    const now = Date.now();
    for (let at = 2; at < args.length; at++) {
      const option = keyword(args[at] as Buffer);
      if (expiresAt !== undefined) throw syntaxError();
      if (option === 'PERSIST') expiresAt = null;
      else if (isExpiryUnit(option) && at + 1 < args.length)
        expiresAt = expiryTime(option, args[++at] as Buffer, 'getex', now);
      else throw syntaxError();
    }
    const key = args[1] as Buffer;
    const bucket = session.bucket;
    const protocol = session.protocol;
    return bucket.get(key).then((read) => {
      const before = current(read);
      const reply = valueOrNil(protocol, before);
      if (before === null || expiresAt === undefined) return reply;
      if (expiresAt === null && before.expiresAt === null) return reply;
      return writeValue(bucket, key, before.value, expiresAt, read).then(() => reply);
    });
  },
};

type ExpireCondition = 'NX' | 'XX' | 'GT' | 'LT';

/** EXPIRE's options, with Redis's messages for the combinations it refuses. */
function parseExpireConditions(args: Buffer[]): Set<ExpireCondition> {
  const conditions = new Set<ExpireCondition>();
  for (let at = 3; at < args.length; at++) {
    const option = keyword(args[at] as Buffer);
    if (option !== 'NX' && option !== 'XX' && option !== 'GT' && option !== 'LT') {
      throw new KvError('BAD_REQUEST', `Unsupported option ${(args[at] as Buffer).toString('utf8')}`);
    }
    conditions.add(option);
  }
  if (conditions.has('NX') && conditions.size > 1) {
    throw new KvError('BAD_REQUEST', 'NX and XX, GT or LT options at the same time are not compatible');
  }
  if (conditions.has('GT') && conditions.has('LT')) {
    throw new KvError('BAD_REQUEST', 'GT and LT options at the same time are not compatible');
  }
  return conditions;
}

/** Whether EXPIRE's conditions let `when` replace the current expiry (null: none, an infinite TTL). */
function conditionsHold(conditions: Set<ExpireCondition>, currentAt: number | null, when: number): boolean {
  if (conditions.has('NX') && currentAt !== null) return false;
  if (conditions.has('XX') && currentAt === null) return false;
  if (conditions.has('GT') && (currentAt === null || when <= currentAt)) return false;
  if (conditions.has('LT') && currentAt !== null && when >= currentAt) return false;
  return true;
}

/**
 * EXPIRE key seconds, PEXPIRE key ms, EXPIREAT key unix-s, PEXPIREAT key unix-ms, each with
 * [NX | XX | GT | LT]: 1 when the expiry was set, 0 when the key is missing or a condition
 * failed. A time already past deletes the key, as in Redis.
 */
function expireCommand(name: string, unit: ExpiryUnit): CommandSpec {
  return {
    name,
    access: ACCESS_WRITE,
    arity: -3,
    flags: ['write', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    run(session, args) {
      const conditions = parseExpireConditions(args);
      const amount = integerArg(args[2] as Buffer);
      const ms = unit === 'EX' || unit === 'EXAT' ? amount * 1000 : amount;
      const when = unit === 'EX' || unit === 'PX' ? Date.now() + ms : ms;
      if (!Number.isSafeInteger(when) || when > EXPIRES_AT_MAX_MS) throw invalidExpireTime(name);
      const key = args[1] as Buffer;
      const bucket = session.bucket;
      return bucket.get(key).then((read) => {
        const before = current(read);
        if (before === null || !conditionsHold(conditions, before.expiresAt, when)) return integer(0);
        const write =
          when <= Date.now()
            ? deleteRead(bucket, key, read)
            : writeValue(bucket, key, before.value, when, read);
        return write.then(() => integer(1));
      });
    },
  };
}

/** PERSIST key: 1 when it removed an expiry, 0 when the key is missing or has none. */
const persist: CommandSpec = {
  name: 'persist',
  access: ACCESS_WRITE,
  arity: 2,
  flags: ['write', 'fast'],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    const key = args[1] as Buffer;
    const bucket = session.bucket;
    return bucket.get(key).then((read) => {
      const before = current(read);
      if (before === null || before.expiresAt === null) return integer(0);
      return writeValue(bucket, key, before.value, null, read).then(() => integer(1));
    });
  },
};

/**
 * TTL, PTTL (time left) and EXPIRETIME, PEXPIRETIME (the absolute time): -2 when the key is
 * missing, -1 when it has no expiry; seconds are rounded to the nearest, as Redis does.
 */
function ttlCommand(name: string, milliseconds: boolean, absolute: boolean): CommandSpec {
  return {
    name,
    access: ACCESS_READ,
    arity: 2,
    flags: ['readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    run(session, args) {
      return session.bucket.get(args[1] as Buffer).then((read) => {
        const before = current(read);
        if (before === null) return integer(-2);
        if (before.expiresAt === null) return integer(-1);
        const ms = Math.max(0, absolute ? before.expiresAt : before.expiresAt - Date.now());
        return integer(milliseconds ? Math.floor(ms) : Math.floor((ms + 500) / 1000));
      });
    },
  };
}

export const EXPIRY_COMMANDS: readonly CommandSpec[] = [
  set,
  setWithExpiry('setex', 'EX'),
  setWithExpiry('psetex', 'PX'),
  setnx,
  getset,
  getdel,
  getex,
  expireCommand('expire', 'EX'),
  expireCommand('pexpire', 'PX'),
  expireCommand('expireat', 'EXAT'),
  expireCommand('pexpireat', 'PXAT'),
  persist,
  ttlCommand('ttl', false, false),
  ttlCommand('pttl', true, false),
  ttlCommand('expiretime', false, true),
  ttlCommand('pexpiretime', true, true),
];
