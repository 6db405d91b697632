// Commands about the connection itself, which never reach the engine: PING, ECHO, QUIT,
// SELECT, HELLO, CLIENT and BUCKET (ringkv's own: which bucket this connection's keys live in).

import { KvError } from '../../../index.js';
import { ACCESS_OPEN, ACCESS_READ } from '../../auth/access.js';
import {
  bulk,
  EMPTY_ARRAY,
  integer,
  map,
  nil,
  OK,
  PONG,
  type Protocol,
  type Reply,
  verbatim,
} from '../encoder.js';
import { auth, login } from './auth.js';
import { REDIS_COMPAT_VERSION } from './info.js';
import {
  type CommandSpec,
  helpReply,
  integerArg,
  keyword,
  RespCommandError,
  type Session,
  text,
  wrongArity,
} from './spec.js';

const NO_KEYS = { firstKey: 0, lastKey: 0, step: 0 } as const;

const ping: CommandSpec = {
  name: 'ping',
  arity: -1,
  flags: ['fast'],
  access: ACCESS_READ,
  ...NO_KEYS,
  run(_session, args) {
    if (args.length > 2) throw wrongArity('ping');
    return args.length === 2 ? bulk(args[1] as Buffer) : PONG;
  },
};

const echo: CommandSpec = {
  name: 'echo',
  arity: 2,
  flags: ['loading', 'stale', 'fast'],
  access: ACCESS_READ,
  ...NO_KEYS,
  run: (_session, args) => bulk(args[1] as Buffer),
};

const quit: CommandSpec = {
  name: 'quit',
  arity: -1,
  flags: ['allow_busy', 'noscript', 'loading', 'stale', 'fast', 'no_auth'],
  access: ACCESS_OPEN,
  ...NO_KEYS,
  run(session) {
    session.closeAfterReply = true;
    return OK;
  },
};

const select: CommandSpec = {
  name: 'select',
  arity: 2,
  flags: ['loading', 'stale', 'fast'],
  access: ACCESS_READ,
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

/** Client names and library attributes follow Redis's rule: printable ASCII without spaces. */
const CLIENT_ATTRIBUTE = /^[\x21-\x7e]*$/;

function validName(arg: Buffer): string {
  const name = text(arg);
  if (!CLIENT_ATTRIBUTE.test(name)) {
    throw new KvError('BAD_REQUEST', 'Client names cannot contain spaces, newlines or special characters.');
  }
  return name;
}

/** An empty name removes the current one, as in Redis. */
function setClientName(session: Session, name: string): void {
  session.clientName = name === '' ? null : name;
}

/** Redis's parse of an integer argument (string2ll): no sign but '-', no leading zero, no blank. */
const STRICT_INTEGER = /^(0|-?[1-9][0-9]{0,18})$/;

/**
 * HELLO [protover [AUTH user pass] [SETNAME name]], as Redis 7 answers it: switches the
 * connection to RESP2 or RESP3 and replies with a map of server and connection properties
 * (a flat array of pairs in RESP2). Without arguments it reports and keeps the current
 * protocol. AUTH logs in as AUTH does (auth.ts), before anything else changes; a connection
 * that has not logged in gets NOAUTH for HELLO without AUTH, with Redis's explanation.
 */
const hello: CommandSpec = {
  name: 'hello',
  arity: -1,
  flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
  access: ACCESS_OPEN,
  ...NO_KEYS,
  run(session, args) {
    let protocol: Protocol = session.protocol;
    if (args.length >= 2) {
      const version = (args[1] as Buffer).toString('latin1');
      if (!STRICT_INTEGER.test(version)) {
        throw new KvError('BAD_REQUEST', 'Protocol version is not an integer or out of range');
      }
      if (version !== '2' && version !== '3') {
        throw new RespCommandError('NOPROTO', 'unsupported protocol version');
      }
      protocol = version === '3' ? 3 : 2;
    }
    let user: string | null = null;
    let password = '';
    let name: string | null = null;
    for (let at = 2; at < args.length; at++) {
      const option = keyword(args[at] as Buffer);
      const more = args.length - 1 - at;
      if (option === 'AUTH' && more >= 2) {
        user = text(args[at + 1] as Buffer);
        password = text(args[at + 2] as Buffer);
        at += 2;
      } else if (option === 'SETNAME' && more >= 1) {
        name = validName(args[at + 1] as Buffer);
        at += 1;
      } else {
        throw new KvError('BAD_REQUEST', `Syntax error in HELLO option '${text(args[at] as Buffer)}'`);
      }
    }
    if (user !== null) return login(session, user, password).then(() => helloReply(session, protocol, name));
    if (session.access === ACCESS_OPEN) throw new RespCommandError('NOAUTH', HELLO_NOAUTH);
    return helloReply(session, protocol, name);
  },
};

const HELLO_NOAUTH =
  'HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';

/** Sets the name and protocol HELLO asked for and reports the connection's properties. */
function helloReply(session: Session, protocol: Protocol, name: string | null): Reply {
  if (name !== null) setClientName(session, name);
  session.protocol = protocol;
  return map(protocol, [
    bulk('server'),
    bulk('ringkv'),
    bulk('version'),
    bulk(REDIS_COMPAT_VERSION),
    bulk('proto'),
    integer(protocol),
    bulk('id'),
    integer(session.id),
    bulk('mode'),
    bulk('standalone'),
    bulk('role'),
    bulk('master'),
    bulk('modules'),
    EMPTY_ARRAY,
  ]);
}

/** The attributes CLIENT SETINFO knows, case-insensitively, as in Redis 7.2. */
const LIBRARY_ATTRIBUTES = new Map<string, 'libName' | 'libVersion'>([
  ['LIB-NAME', 'libName'],
  ['LIB-VER', 'libVersion'],
]);

function clientSetInfo(session: Session, attributeArg: Buffer, valueArg: Buffer): Reply {
  const attribute = text(attributeArg);
  const field = LIBRARY_ATTRIBUTES.get(attribute.toUpperCase());
  if (field === undefined) throw new KvError('BAD_REQUEST', `Unrecognized option '${attribute}'`);
  const value = text(valueArg);
  if (!CLIENT_ATTRIBUTE.test(value)) {
    throw new KvError('BAD_REQUEST', `${attribute} cannot contain spaces, newlines or special characters.`);
  }
  session[field] = value === '' ? null : value;
  return OK;
}

/**
 * CLIENT INFO: Redis 7.2's `field=value` line for this connection, every field in Redis's order
 * so that clients which parse it get numbers. Fields with no counterpart here say so: no file
 * descriptor is exposed by node:net (fd=-1, as Redis shows for connections without one), no
 * pub/sub, no transactions, one database. Asked on its own connection, CLIENT INFO is the last
 * command run and the connection is not idle.
 */
function clientInfo(session: Session): Reply {
  const client = session.client;
  const ageSeconds = client === null ? 0 : Math.floor((Date.now() - client.connectedAtMs) / 1000);
  const requestBytes = client?.bufferedRequestBytes ?? 0;
  const replyBytes = client?.bufferedReplyBytes ?? 0;
  const fields: [string, string | number][] = [
    ['id', session.id],
    ['addr', client?.address ?? ''],
    ['laddr', client?.localAddress ?? ''],
    ['fd', -1],
    ['name', session.clientName ?? ''],
    ['age', ageSeconds],
    ['idle', 0],
    ['flags', 'N'],
    ['db', 0],
    ['sub', 0],
    ['psub', 0],
    ['ssub', 0],
    ['multi', -1],
    ['qbuf', requestBytes],
    ['qbuf-free', 0],
    ['argv-mem', 0],
    ['multi-mem', 0],
    ['rbs', 0],
    ['rbp', 0],
    ['obl', 0],
    ['oll', 0],
    ['omem', replyBytes],
    ['tot-mem', requestBytes + replyBytes],
    ['events', 'r'],
    ['cmd', 'client|info'],
    ['user', session.user],
    ['redir', -1],
    ['resp', session.protocol],
    ['lib-name', session.libName ?? ''],
    ['lib-ver', session.libVersion ?? ''],
  ];
  const line = fields.map(([field, value]) => `${field}=${value}`).join(' ');
  return verbatim(session.protocol, 'txt', `${line}\n`);
}

/** CLIENT HELP: Redis's lines for the subcommands ringkv has. */
const CLIENT_HELP = helpReply('CLIENT', [
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.',
  '    * LIB-VER: the client lib version.',
]);

interface Subcommand {
  /** As Redis counts it: CLIENT and the subcommand included. */
  readonly arity: number;
  run(session: Session, args: Buffer[]): Reply;
}

const CLIENT_SUBCOMMANDS: ReadonlyMap<string, Subcommand> = new Map<string, Subcommand>([
  [
    'SETNAME',
    {
      arity: 3,
      run(session, args) {
        setClientName(session, validName(args[2] as Buffer));
        return OK;
      },
    },
  ],
  [
    'GETNAME',
    {
      arity: 2,
      run: (session) => (session.clientName === null ? nil(session.protocol) : bulk(session.clientName)),
    },
  ],
  [
    'SETINFO',
    { arity: 4, run: (session, args) => clientSetInfo(session, args[2] as Buffer, args[3] as Buffer) },
  ],
  ['ID', { arity: 2, run: (session) => integer(session.id) }],
  ['INFO', { arity: 2, run: clientInfo }],
  ['HELP', { arity: 2, run: () => CLIENT_HELP }],
]);

/** CLIENT SETNAME / GETNAME / SETINFO / ID / INFO / HELP: what client libraries send when they connect. */
const client: CommandSpec = {
  name: 'client',
  arity: -2,
  flags: [],
  access: ACCESS_READ,
  ...NO_KEYS,
  run(session, args): Reply {
    const sub = keyword(args[1] as Buffer);
    const subcommand = CLIENT_SUBCOMMANDS.get(sub);
    if (subcommand === undefined) {
      throw new KvError(
        'BAD_REQUEST',
        `unknown subcommand '${text(args[1] as Buffer).slice(0, 128)}'. Try CLIENT HELP.`,
      );
    }
    if (args.length !== subcommand.arity) throw wrongArity(`client|${sub.toLowerCase()}`);
    return subcommand.run(session, args);
  },
};

/**
 * BUCKET [name]: like SELECT, switches the bucket every later command of this connection uses;
 * without a name, replies with the current one. The bucket keeps its own n, r, w and policy.
 */
const bucket: CommandSpec = {
  name: 'bucket',
  arity: -1,
  flags: ['loading', 'stale', 'fast'],
  access: ACCESS_READ,
  ...NO_KEYS,
  run(session, args) {
    if (args.length === 1) return bulk(session.bucket.name);
    if (args.length !== 2) throw wrongArity('bucket');
    session.bucket = session.db.bucket(text(args[1] as Buffer));
    return OK;
  },
};

export const CONNECTION_COMMANDS: readonly CommandSpec[] = [
  ping,
  echo,
  quit,
  select,
  auth,
  hello,
  client,
  bucket,
];
