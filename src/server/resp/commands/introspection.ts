// COMMAND and CONFIG GET: what redis-cli, redis-benchmark and client libraries ask a server
// about itself. COMMAND answers in Redis 7's forms: COMMAND INFO's ten fields (name, arity,
// flags, first key, last key, step, ACL categories, tips, key specs, subcommands), COMMAND DOCS'
// map per command, COMMAND LIST with subcommands (`client|setname`), COMMAND COUNT of the
// top-level commands. Sets and maps are RESP3 sets and maps on a RESP3 connection, arrays in
// RESP2, as Redis sends them. The documentation itself lives in docs.ts.

import assert from 'node:assert/strict';
import { KvError } from '../../../index.js';
import { ACCESS_ADMIN, ACCESS_READ } from '../../auth/access.js';
import { array, bulk, integer, map, nil, type Protocol, type Reply, set, simpleString } from '../encoder.js';
import { type ArgumentDoc, COMMAND_DOCS, type CommandDoc, type SubcommandDoc } from './docs.js';
import { type CommandSpec, helpReply, keyword, type ServerView, text, wrongArity } from './spec.js';

/** Command flags in the order Redis lists them (addReplyFlagsForCommand). */
const FLAG_ORDER = [
  'write',
  'readonly',
  'denyoom',
  'module',
  'admin',
  'pubsub',
  'noscript',
  'blocking',
  'loading',
  'stale',
  'skip_monitor',
  'skip_slowlog',
  'asking',
  'fast',
  'no_auth',
  'no_mandatory_keys',
  'no_async_loading',
  'no_multi',
  'movablekeys',
  'allow_busy',
];

/** ACL categories in the order Redis lists them (its ACLCommandCategories table). */
const CATEGORY_ORDER = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
];

/** Key-spec flags in the order Redis lists them (addReplyFlagsForKeyArgs). */
const KEY_FLAG_ORDER = [
  'RO',
  'RW',
  'OW',
  'RM',
  'access',
  'update',
  'insert',
  'delete',
  'not_key',
  'incomplete',
  'variable_flags',
];

/** `names` sorted by their place in `order`; a name Redis does not know is a programmer error. */
function ordered(names: Iterable<string>, order: readonly string[]): string[] {
  const sorted = [...new Set(names)];
  for (const name of sorted) assert(order.includes(name), `unknown flag or category ${name}`);
  return sorted.sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

function statusSet(protocol: Protocol, names: readonly string[]): Reply {
  return set(
    protocol,
    names.map((name) => simpleString(name)),
  );
}

/** The categories a command's definition names plus those its flags imply (setImplicitACLCategories). */
function aclCategories(flags: readonly string[], doc: CommandDoc): string[] {
  const categories = [...doc.aclCategories];
  if (flags.includes('write')) categories.push('write');
  if (flags.includes('readonly')) categories.push('read');
  if (flags.includes('admin')) categories.push('admin', 'dangerous');
  if (flags.includes('pubsub')) categories.push('pubsub');
  if (flags.includes('blocking')) categories.push('blocking');
  categories.push(flags.includes('fast') ? 'fast' : 'slow');
  return ordered(categories, CATEGORY_ORDER).map((category) => `@${category}`);
}

/** What COMMAND INFO needs of a command or subcommand. */
interface Described {
  readonly fullName: string;
  readonly arity: number;
  readonly flags: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly doc: CommandDoc;
}

function describedCommand(spec: CommandSpec): Described {
  const doc = COMMAND_DOCS.get(spec.name);
  assert(doc !== undefined, `command ${spec.name} has no entry in commands/docs.ts`);
  return { ...spec, fullName: spec.name, doc };
}

function describedSubcommand(container: string, doc: SubcommandDoc): Described {
  return {
    fullName: `${container}|${doc.name}`,
    arity: doc.arity,
    flags: doc.flags,
    firstKey: 0,
    lastKey: 0,
    step: 0,
    doc,
  };
}

function subcommandsOf(command: Described): Described[] {
  return (command.doc.subcommands ?? []).map((doc) => describedSubcommand(command.fullName, doc));
}

/**
 * Key specs from the table's key positions: keys start at `firstKey` and run to `lastKey`
 * (-1: the last argument) every `step` arguments, which is Redis's index/range spec.
 */
function keySpecs(protocol: Protocol, command: Described): Reply {
  const keyFlags = command.doc.keyFlags ?? [];
  if (command.firstKey === 0) return set(protocol, []);
  const lastKey = command.lastKey < 0 ? command.lastKey : command.lastKey - command.firstKey;
  const specs = keyFlags.map((flags) =>
    map(protocol, [
      bulk('flags'),
      statusSet(protocol, ordered(flags, KEY_FLAG_ORDER)),
      bulk('begin_search'),
      map(protocol, [
        bulk('type'),
        bulk('index'),
        bulk('spec'),
        map(protocol, [bulk('index'), integer(command.firstKey)]),
      ]),
      bulk('find_keys'),
      map(protocol, [
        bulk('type'),
        bulk('range'),
        bulk('spec'),
        map(protocol, [
          bulk('lastkey'),
          integer(lastKey),
          bulk('keystep'),
          integer(command.step),
          bulk('limit'),
          integer(0),
        ]),
      ]),
    ]),
  );
  return set(protocol, specs);
}

/** One command in COMMAND INFO's ten-field form (Redis 7's addReplyCommandInfo). */
function commandInfo(protocol: Protocol, command: Described): Reply {
  const subcommands = subcommandsOf(command);
  return array([
    bulk(command.fullName),
    integer(command.arity),
    statusSet(protocol, ordered(command.flags, FLAG_ORDER)),
    integer(command.firstKey),
    integer(command.lastKey),
    integer(command.step),
    statusSet(protocol, aclCategories(command.flags, command.doc)),
    set(
      protocol,
      (command.doc.tips ?? []).map((tip) => bulk(tip)),
    ),
    keySpecs(protocol, command),
    subcommands.length === 0
      ? set(protocol, [])
      : array(subcommands.map((subcommand) => commandInfo(protocol, subcommand))),
  ]);
}

/** One argument of COMMAND DOCS (Redis 7's addReplyCommandArgList). */
function argumentDoc(protocol: Protocol, argument: ArgumentDoc): Reply {
  const entries: Reply[] = [bulk('name'), bulk(argument.name), bulk('type'), bulk(argument.type)];
  const nested = argument.type === 'oneof' || argument.type === 'block';
  if (!nested) entries.push(bulk('display_text'), bulk(argument.name));
  if (argument.keySpecIndex !== undefined)
    entries.push(bulk('key_spec_index'), integer(argument.keySpecIndex));
  if (argument.token !== undefined) entries.push(bulk('token'), bulk(argument.token));
  const flags: string[] = [];
  if (argument.optional === true) flags.push('optional');
  if (argument.multiple === true) flags.push('multiple');
  if (flags.length > 0) entries.push(bulk('flags'), statusSet(protocol, flags));
  if (nested) {
    entries.push(
      bulk('arguments'),
      array((argument.arguments ?? []).map((inner) => argumentDoc(protocol, inner))),
    );
  }
  return map(protocol, entries);
}

/** One command's COMMAND DOCS map (Redis 7's addReplyCommandDocs). */
function commandDocs(protocol: Protocol, command: Described): Reply {
  const doc = command.doc;
  const entries: Reply[] = [
    bulk('summary'),
    bulk(doc.summary),
    bulk('since'),
    bulk(doc.since),
    bulk('group'),
    bulk(doc.group),
    bulk('complexity'),
    bulk(doc.complexity),
  ];
  if (doc.docFlags !== undefined) entries.push(bulk('doc_flags'), statusSet(protocol, doc.docFlags));
  if (doc.history !== undefined) {
    const changes = doc.history.map(([since, change]) => array([bulk(since), bulk(change)]));
    entries.push(bulk('history'), set(protocol, changes));
  }
  if (doc.arguments !== undefined) {
    entries.push(bulk('arguments'), array(doc.arguments.map((argument) => argumentDoc(protocol, argument))));
  }
  const subcommands = subcommandsOf(command);
  if (subcommands.length > 0) {
    const pairs: Reply[] = [];
    for (const subcommand of subcommands)
      pairs.push(bulk(subcommand.fullName), commandDocs(protocol, subcommand));
    entries.push(bulk('subcommands'), map(protocol, pairs));
  }
  return map(protocol, entries);
}

/** Every command the server has, subcommands included, by lower-case full name. */
function everyCommand(server: ServerView): Map<string, Described> {
  const found = new Map<string, Described>();
  for (const spec of server.commands) {
    const command = describedCommand(spec);
    found.set(command.fullName, command);
    for (const subcommand of subcommandsOf(command)) found.set(subcommand.fullName, subcommand);
  }
  return found;
}

function topLevel(server: ServerView): Described[] {
  return server.commands.map(describedCommand);
}

/** COMMAND HELP: Redis's lines for the subcommands ringkv has. */
const COMMAND_HELP = helpReply('COMMAND', [
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
]);

/** COMMAND's subcommands, each with its arity as Redis counts it (COMMAND included). */
const COMMAND_SUBCOMMANDS: ReadonlyMap<
  string,
  { arity: number; run(protocol: Protocol, server: ServerView, args: Buffer[]): Reply }
> = new Map([
  ['COUNT', { arity: 2, run: (_protocol: Protocol, server: ServerView) => integer(server.commands.length) }],
  [
    'LIST',
    {
      arity: 2,
      run: (_protocol: Protocol, server: ServerView) =>
        array([...everyCommand(server).keys()].map((name) => bulk(name))),
    },
  ],
  [
    'INFO',
    {
      arity: -2,
      run(protocol: Protocol, server: ServerView, args: Buffer[]) {
        if (args.length === 2)
          return array(topLevel(server).map((command) => commandInfo(protocol, command)));
        const known = everyCommand(server);
        return array(
          args.slice(2).map((name) => {
            const command = known.get(name.toString('latin1').toLowerCase());
            return command === undefined ? nil(protocol) : commandInfo(protocol, command);
          }),
        );
      },
    },
  ],
  ['HELP', { arity: 2, run: () => COMMAND_HELP }],
  [
    'DOCS',
    {
      arity: -2,
      run(protocol: Protocol, server: ServerView, args: Buffer[]) {
        // Asked for names, Redis answers those it knows and leaves the others out.
        const wanted =
          args.length === 2
            ? topLevel(server)
            : args
                .slice(2)
                .map((name) => everyCommand(server).get(name.toString('latin1').toLowerCase()))
                .filter((command) => command !== undefined);
        const pairs: Reply[] = [];
        for (const command of wanted) pairs.push(bulk(command.fullName), commandDocs(protocol, command));
        return map(protocol, pairs);
      },
    },
  ],
]);

export const command: CommandSpec = {
  name: 'command',
  arity: -1,
  flags: ['loading', 'stale'],
  access: ACCESS_READ,
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session, args) {
    const server = session.server;
    if (args.length === 1) {
      return array(topLevel(server).map((described) => commandInfo(session.protocol, described)));
    }
    const sub = keyword(args[1] as Buffer);
    const subcommand = COMMAND_SUBCOMMANDS.get(sub);
    if (subcommand === undefined) {
      throw new KvError(
        'BAD_REQUEST',
        `unknown subcommand '${text(args[1] as Buffer).slice(0, 128)}'. Try COMMAND HELP.`,
      );
    }
    const arityMet =
      subcommand.arity > 0 ? args.length === subcommand.arity : args.length >= -subcommand.arity;
    if (!arityMet) throw wrongArity(`command|${sub.toLowerCase()}`);
    return subcommand.run(session.protocol, server, args);
  },
};

/**
 * CONFIG GET answers the two parameters redis-benchmark reads and prints beside its results
 * (`save` and `appendonly`). ringkv has no RDB snapshots, and every acknowledged write is
 * committed to LMDB, the nearest thing to Redis's append-only file. Each argument is a glob
 * pattern, as in Redis 7; the reply is a map (a flat array of pairs in RESP2). CONFIG SET and
 * the rest are refused: ringkv's settings are start-up flags.
 */
const CONFIG_VALUES = new Map([
  ['save', ''],
  ['appendonly', 'yes'],
]);

/** Redis's glob (stringmatchlen) as a regular expression: `*`, `?`, `[a-z]`, `[^a]`, `\x`. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let at = 0; at < pattern.length; at++) {
    const char = pattern[at] as string;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '\\' && at + 1 < pattern.length) source += escapeRegExp(pattern[++at] as string);
    else if (char === '[') {
      const close = pattern.indexOf(']', at + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(at + 1, close);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      at = close;
    } else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 'is');
}

function escapeRegExp(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export const config: CommandSpec = {
  name: 'config',
  arity: -2,
  flags: [],
  access: ACCESS_ADMIN,
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session, args) {
    if (keyword(args[1] as Buffer) !== 'GET') {
      throw new KvError('BAD_REQUEST', 'ringkv supports CONFIG GET only; its settings are start-up flags');
    }
    if (args.length < 3) throw wrongArity('config|get');
    const matched = new Set<string>();
    for (const arg of args.slice(2)) {
      const pattern = globToRegExp(arg.toString('latin1'));
      for (const name of CONFIG_VALUES.keys()) if (pattern.test(name)) matched.add(name);
    }
    const pairs: Reply[] = [];
    for (const name of matched) pairs.push(bulk(name), bulk(CONFIG_VALUES.get(name) as string));
    return map(session.protocol, pairs);
  },
};
