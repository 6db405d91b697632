// Redis's counter commands over conflict-free counters (clock/counter.ts): INCR, INCRBY, DECR,
// DECRBY. Each increment is counted once per acknowledgement, also when increments of one key
// run through different coordinators or during faults; GET shows the merged value and SET
// replaces it. An increment whose coordinator died is answered with TIMEOUT and not sent again:
// it may or may not have counted (as with any write whose reply was lost).

import { INT64_MIN, parseInt64 } from '../../../clock/index.js';
import { KvError } from '../../../index.js';
import { ACCESS_WRITE } from '../../auth/access.js';
import type { Reply } from '../encoder.js';
import type { CommandSpec, Session } from './spec.js';

const NOT_AN_INTEGER = 'value is not an integer or out of range';

function int64Arg(arg: Buffer): bigint {
  const value = parseInt64(arg.toString('latin1'));
  if (value === null) throw new KvError('BAD_REQUEST', NOT_AN_INTEGER);
  return value;
}

function incrementBy(session: Session, key: Buffer, by: bigint): Promise<Reply> {
  return session.bucket.increment(key, by).then((total) => Buffer.from(`:${total}\r\n`, 'latin1'));
}

function counterCommand(name: string, arity: number, delta: (args: Buffer[]) => bigint): CommandSpec {
  return {
    name,
    access: ACCESS_WRITE,
    arity,
    flags: ['write', 'denyoom', 'fast'],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    run: (session, args) => incrementBy(session, args[1] as Buffer, delta(args)),
  };
}

export const COUNTER_COMMANDS: readonly CommandSpec[] = [
  counterCommand('incr', 2, () => 1n),
  counterCommand('decr', 2, () => -1n),
  counterCommand('incrby', 3, (args) => int64Arg(args[2] as Buffer)),
  counterCommand('decrby', 3, (args) => {
    const by = int64Arg(args[2] as Buffer);
    if (by === INT64_MIN) throw new KvError('BAD_REQUEST', 'decrement would overflow');
    return -by;
  }),
];
