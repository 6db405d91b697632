// The Dynamo commands, which show what plain GET and SET hide: VGET returns every sibling with
// the context, VPUT and VDEL write against a context (or blind, with ""), with per-request R and
// W, and EXPLAIN shows where a key lives and what each replica holds.

import type { Explanation, GetResult, WriteOptions, WriteResult } from '../../../index.js';
import { ACCESS_READ, ACCESS_WRITE } from '../../auth/access.js';
import {
  array,
  bulk,
  EMPTY_ARRAY,
  integer,
  map,
  nil,
  type Protocol,
  type Reply,
  simpleString,
} from '../encoder.js';
import { type CommandSpec, quorumOption } from './spec.js';

/** `[context, value1, value2, …]` oldest first; an empty array when there is no value. */
function siblings(result: GetResult): Reply {
  if (result.values.length === 0) return EMPTY_ARRAY;
  const items = [bulk(result.context)];
  for (const value of result.values) items.push(bulk(value));
  return array(items);
}

const contextReply = (result: WriteResult): Reply => simpleString(result.context);

function writeOptions(context: Buffer, w: number | undefined): WriteOptions {
  // Contexts are base64url, so latin1 maps each byte to one character and anything foreign
  // reaches the engine's decoder intact, to be refused there with BADCONTEXT.
  const options: WriteOptions = { context: context.toString('latin1') };
  if (w !== undefined) options.w = w;
  return options;
}

/** VGET key [R r] */
const vget: CommandSpec = {
  name: 'vget',
  arity: -2,
  flags: ['readonly', 'fast'],
  access: ACCESS_READ,
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    const r = quorumOption('R', args, 2, 'vget');
    const read =
      r === undefined ? session.bucket.get(args[1] as Buffer) : session.bucket.get(args[1] as Buffer, { r });
    return read.then(siblings);
  },
};

/** VPUT key context value [W w]: a blind write when the context is "". */
const vput: CommandSpec = {
  name: 'vput',
  arity: -4,
  flags: ['write', 'denyoom'],
  access: ACCESS_WRITE,
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    const w = quorumOption('W', args, 4, 'vput');
    const options = writeOptions(args[2] as Buffer, w);
    return session.bucket.put(args[1] as Buffer, args[3] as Buffer, options).then(contextReply);
  },
};

/** VDEL key context [W w]: a tombstone superseding what the context saw. */
const vdel: CommandSpec = {
  name: 'vdel',
  arity: -3,
  flags: ['write'],
  access: ACCESS_WRITE,
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    const w = quorumOption('W', args, 3, 'vdel');
    return session.bucket.delete(args[1] as Buffer, writeOptions(args[2] as Buffer, w)).then(contextReply);
  },
};

/**
 * EXPLAIN key renders the engine's explain as nested maps (flat arrays of field, value pairs in
 * RESP2: the shape Redis uses for XINFO and similar):
 *
 *   ["partition", p, "preference_list", [w, …],
 *    "replicas", [["worker", w, "worker_id", id,
 *                  "versions", [["value", bytes | nil (a tombstone), "ts", ms,
 *                                "clock", [[worker_id, counter, ts], …],
 *                                "expires_at", ms | nil, "expired", 0 | 1], …]], …]]
 *
 * Replicas are the live workers holding any version of the key, by worker; a worker of the
 * preference list that is missing holds nothing (or is down).
 */
function renderExplanation(protocol: Protocol, explained: Explanation): Reply {
  const replicas = explained.replicas.map((replica) =>
    map(protocol, [
      bulk('worker'),
      integer(replica.worker),
      bulk('worker_id'),
      integer(replica.workerId),
      bulk('versions'),
      array(
        replica.versions.map((version) =>
          map(protocol, [
            bulk('value'),
            version.value === null ? nil(protocol) : bulk(version.value),
            bulk('ts'),
            integer(version.ts),
            bulk('clock'),
            array(
              version.clock.map((entry) =>
                array([integer(entry.node), integer(entry.counter), integer(entry.ts)]),
              ),
            ),
            bulk('expires_at'),
            version.expiresAt === null ? nil(protocol) : integer(version.expiresAt),
            bulk('expired'),
            integer(version.expired ? 1 : 0),
          ]),
        ),
      ),
    ]),
  );
  return map(protocol, [
    bulk('partition'),
    integer(explained.partition),
    bulk('preference_list'),
    array(explained.preferenceList.map((worker) => integer(worker))),
    bulk('replicas'),
    array(replicas),
  ]);
}

const explain: CommandSpec = {
  name: 'explain',
  arity: 2,
  flags: ['readonly'],
  access: ACCESS_READ,
  firstKey: 1,
  lastKey: 1,
  step: 1,
  run(session, args) {
    // The protocol when the command arrived: a HELLO pipelined behind it must not change its reply.
    const protocol = session.protocol;
    return session.bucket
      .explain(args[1] as Buffer)
      .then((explained) => renderExplanation(protocol, explained));
  },
};

export const DYNAMO_COMMANDS: readonly CommandSpec[] = [vget, vput, vdel, explain];
