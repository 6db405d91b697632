// Redis's transactions over a Dynamo store: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Commands after
// MULTI are checked (name, arity, key count) and queued; EXEC runs them one after the other, each
// starting once the previous one has answered, and replies with all their replies as one array.
// What this does not give: isolation (other clients' commands run between the queued ones) and
// atomicity (a command that fails leaves the ones before it applied, and the later ones run). WATCH
// remembers what each key's read showed (context and newest value); EXEC answers nil and runs
// nothing when any of them reads differently then. The check and the commands are not one step:
// a write landing between them is not detected.
import { ACCESS_READ } from '../../auth/access.js';
import { nilArray, OK, type Reply, simpleString } from '../encoder.js';
import { type CommandSpec, failureReply, RespCommandError, type Session } from './spec.js';

/** Commands that run at once inside MULTI instead of being queued (Redis's list). */
const IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
const QUEUED = simpleString('QUEUED');

export function runsInTransaction(spec: CommandSpec): boolean {
  return IMMEDIATE.has(spec.name);
}

export function queueInTransaction(session: Session, spec: CommandSpec, args: Buffer[]): Reply {
  // The decoder's buffers are not reused, so the arguments can wait for EXEC.
  session.transaction?.queued.push({ spec, args });
  return QUEUED;
}

/** What a key's read shows, for WATCH: its context and newest value. */
function snapshot(bucket: Session['bucket'], key: Buffer): Promise<string> {
  return bucket.get(key).then(
    (result) => `${result.context}\n${result.newest?.toString('base64') ?? '-'}`,
    (error: unknown) => `failed: ${String(error)}`,
  );
}

async function watchedUnchanged(session: Session): Promise<boolean> {
  const watched = session.watched;
  session.watched = [];
  for (const { bucket, key, seen } of watched) {
    if ((await seen) !== (await snapshot(bucket, key))) return false;
  }
  return true;
}

const multi: CommandSpec = {
  name: 'multi',
  access: ACCESS_READ,
  arity: 1,
  flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session) {
    if (session.transaction !== null) throw new RespCommandError('ERR', 'MULTI calls can not be nested');
    session.transaction = { queued: [], failed: false };
    return OK;
  },
};

const exec: CommandSpec = {
  name: 'exec',
  access: ACCESS_READ,
  arity: 1,
  flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  async run(session) {
    const transaction = session.transaction;
    if (transaction === null) throw new RespCommandError('ERR', 'EXEC without MULTI');
    session.transaction = null;
    const protocol = session.protocol;
    if (transaction.failed) {
      session.watched = [];
      throw new RespCommandError('EXECABORT', 'Transaction discarded because of previous errors.');
    }
    if (!(await watchedUnchanged(session))) return nilArray(protocol);
    const replies: Reply[] = [];
    for (const { spec, args } of transaction.queued) {
      try {
        replies.push(await spec.run(session, args));
      } catch (error) {
        replies.push(failureReply(error)[0]);
      }
    }
    return Buffer.concat([Buffer.from(`*${replies.length}\r\n`, 'latin1'), ...replies]);
  },
};

const discard: CommandSpec = {
  name: 'discard',
  access: ACCESS_READ,
  arity: 1,
  flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session) {
    if (session.transaction === null) throw new RespCommandError('ERR', 'DISCARD without MULTI');
    session.transaction = null;
    session.watched = [];
    return OK;
  },
};

const watch: CommandSpec = {
  name: 'watch',
  access: ACCESS_READ,
  arity: -2,
  flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
  firstKey: 1,
  lastKey: -1,
  step: 1,
  run(session, args) {
    if (session.transaction !== null) throw new RespCommandError('ERR', 'WATCH inside MULTI is not allowed');
    const bucket = session.bucket;
    for (const key of args.slice(1)) session.watched.push({ bucket, key, seen: snapshot(bucket, key) });
    return OK;
  },
};

const unwatch: CommandSpec = {
  name: 'unwatch',
  access: ACCESS_READ,
  arity: 1,
  flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session) {
    session.watched = [];
    return OK;
  },
};

export const TRANSACTION_COMMANDS: readonly CommandSpec[] = [multi, exec, discard, watch, unwatch];
