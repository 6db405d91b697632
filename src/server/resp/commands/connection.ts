// Commands about the connection itself, which never reach the engine: PING, ECHO, QUIT,
// SELECT, HELLO, CLIENT and BUCKET (ringkv's own: which bucket this connection's keys live in).
import { KvError } from '../../../index.js';
import { array, bulk, integer, NULL_BULK, OK, PONG, type Reply } from '../encoder.js';
import { REDIS_COMPAT_VERSION } from './info.js';
import {
  type CommandSpec,
  integerArg,
  keyword,
  RespCommandError,
  type Session,
  syntaxError,
  text,
  wrongArity,
} from './spec.js';

const NO_KEYS = { firstKey: 0, lastKey: 0, step: 0 } as const;

const ping: CommandSpec = {
  name: 'ping',
  arity: -1,
  flags: ['fast', 'stale'],
  ...NO_KEYS,
  run(_session, args) {
    if (args.length > 2) throw wrongArity('ping');
    return args.length === 2 ? bulk(args[1] as Buffer) : PONG;
  },
};

const echo: CommandSpec = {
  name: 'echo',
  arity: 2,
  flags: ['fast'],
  ...NO_KEYS,
  run: (_session, args) => bulk(args[1] as Buffer),
};

const quit: CommandSpec = {
  name: 'quit',
  arity: -1,
  flags: ['fast', 'stale'],
  ...NO_KEYS,
  run(session) {
    session.closeAfterReply = true;
    return OK;
  },
};

const select: CommandSpec = {
  name: 'select',
  arity: 2,
  flags: ['fast'],
  ...NO_KEYS,
  run(_session, args) {
    if (integerArg(args[1] as Buffer) !== 0) {
      throw new KvError(
        'BAD_REQUEST',
        'DB index is out of range; ringkv has database 0 only (use BUCKET name for separate keyspaces)',
      );
    }
    return OK;
  },
};

/** Client names follow Redis's rule: printable ASCII without spaces. */
const CLIENT_NAME = /^[\x21-\x7e]*$/;

function setClientName(session: Session, arg: Buffer): void {
  const name = text(arg);
  if (!CLIENT_NAME.test(name)) {
    throw new KvError('BAD_REQUEST', 'Client names cannot contain spaces, newlines or special characters.');
  }
  session.clientName = name === '' ? null : name;
}

/**
 * HELLO [protover [AUTH user pass] [SETNAME name]]: RESP2 is answered as Redis answers it (a
 * flat array of field, value pairs); RESP3 gets the NOPROTO error clients expect and fall back on.
 */
const hello: CommandSpec = {
  name: 'hello',
  arity: -1,
  flags: ['fast', 'stale'],
  ...NO_KEYS,
  run(session, args) {
    if (args.length >= 2) {
      const version = (args[1] as Buffer).toString('latin1');
      if (version !== '2') {
        if (!/^[0-9]+$/.test(version)) {
          throw new KvError('BAD_REQUEST', 'Protocol version is not an integer or out of range');
        }
        throw new RespCommandError('NOPROTO', 'sorry, this protocol version is not supported');
      }
    }
    for (let at = 2; at < args.length; at++) {
      const option = keyword(args[at] as Buffer);
      if (option === 'SETNAME' && at + 1 < args.length) {
        setClientName(session, args[++at] as Buffer);
      } else if (option === 'AUTH' && at + 2 < args.length) {
        throw new KvError('BAD_REQUEST', 'AUTH is not supported: ringkv has no users or passwords');
      } else {
        throw syntaxError();
      }
    }
    return array([
      bulk('server'),
      bulk('ringkv'),
      bulk('version'),
      bulk(REDIS_COMPAT_VERSION),
      bulk('proto'),
      integer(2),
      bulk('id'),
      integer(session.id),
      bulk('mode'),
      bulk('standalone'),
      bulk('role'),
      bulk('master'),
      bulk('modules'),
      array([]),
    ]);
  },
};

/** CLIENT SETNAME / GETNAME / SETINFO / ID: what client libraries send when they connect. */
const client: CommandSpec = {
  name: 'client',
  arity: -2,
  flags: ['stale'],
  ...NO_KEYS,
  run(session, args): Reply {
    const sub = keyword(args[1] as Buffer);
    if (sub === 'SETNAME' && args.length === 3) {
      setClientName(session, args[2] as Buffer);
      return OK;
    }
    if (sub === 'GETNAME' && args.length === 2) {
      return session.clientName === null ? NULL_BULK : bulk(session.clientName);
    }
    // Library name and version: accepted and not kept, since nothing here reports them.
    if (sub === 'SETINFO' && args.length === 4) return OK;
    if (sub === 'ID' && args.length === 2) return integer(session.id);
    if (sub === 'SETNAME' || sub === 'GETNAME' || sub === 'SETINFO' || sub === 'ID') {
      throw new KvError('BAD_REQUEST', `wrong number of arguments for 'client|${sub.toLowerCase()}' command`);
    }
    throw new KvError(
      'BAD_REQUEST',
      `unknown subcommand '${text(args[1] as Buffer).slice(0, 64)}'. ringkv supports CLIENT SETNAME, GETNAME, SETINFO and ID`,
    );
  },
};

/**
 * BUCKET [name]: like SELECT, switches the bucket every later command of this connection uses;
 * without a name, replies with the current one. The bucket keeps its own n, r, w and policy.
 */
const bucket: CommandSpec = {
  name: 'bucket',
  arity: -1,
  flags: ['fast'],
  ...NO_KEYS,
  run(session, args) {
    if (args.length === 1) return bulk(session.bucket.name);
    if (args.length !== 2) throw wrongArity('bucket');
    session.bucket = session.db.bucket(text(args[1] as Buffer));
    return OK;
  },
};

export const CONNECTION_COMMANDS: readonly CommandSpec[] = [ping, echo, quit, select, hello, client, bucket];
