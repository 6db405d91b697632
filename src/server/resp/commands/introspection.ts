// COMMAND and CONFIG GET: what redis-cli, redis-benchmark and client libraries ask a server
// about itself. COMMAND lists ringkv's commands in Redis's six-field form (name, arity, flags,
// first key, last key, step), which every client that reads it understands.
import { KvError } from '../../../index.js';
import { array, bulk, EMPTY_ARRAY, integer, NULL_BULK, type Reply, simpleString } from '../encoder.js';
import { type CommandSpec, keyword, type ServerView, text } from './spec.js';

function describe(spec: CommandSpec): Reply {
  return array([
    bulk(spec.name),
    integer(spec.arity),
    array(spec.flags.map((flag) => simpleString(flag))),
    integer(spec.firstKey),
    integer(spec.lastKey),
    integer(spec.step),
  ]);
}

function find(server: ServerView, name: Buffer): CommandSpec | undefined {
  const wanted = name.toString('latin1').toLowerCase();
  return server.commands.find((spec) => spec.name === wanted);
}

export const command: CommandSpec = {
  name: 'command',
  arity: -1,
  flags: ['loading', 'stale'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session, args) {
    const server = session.server;
    if (args.length === 1) return array(server.commands.map(describe));
    const sub = keyword(args[1] as Buffer);
    if (sub === 'COUNT' && args.length === 2) return integer(server.commands.length);
    if (sub === 'LIST' && args.length === 2) return array(server.commands.map((spec) => bulk(spec.name)));
    if (sub === 'INFO') {
      return array(
        args.slice(2).map((name) => {
          const spec = find(server, name);
          return spec === undefined ? NULL_BULK : describe(spec);
        }),
      );
    }
    // redis-cli asks for DOCS to show argument hints as you type; with none it shows no hints.
    if (sub === 'DOCS') return EMPTY_ARRAY;
    throw new KvError(
      'BAD_REQUEST',
      `unknown subcommand '${text(args[1] as Buffer).slice(0, 64)}'. ringkv supports COMMAND, COMMAND COUNT, LIST, INFO and DOCS`,
    );
  },
};

/**
 * CONFIG GET answers the two parameters redis-benchmark reads and prints beside its results
 * (`save` and `appendonly`). ringkv has no RDB snapshots, and every acknowledged write is
 * committed to LMDB, the nearest thing to Redis's append-only file. Other parameters match
 * nothing (an empty list), as unknown globs do in Redis; CONFIG SET and the rest are refused.
 */
const CONFIG_VALUES = new Map([
  ['save', ''],
  ['appendonly', 'yes'],
]);

export const config: CommandSpec = {
  name: 'config',
  arity: -2,
  flags: ['admin', 'loading', 'stale'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(_session, args) {
    if (keyword(args[1] as Buffer) !== 'GET') {
      throw new KvError('BAD_REQUEST', 'ringkv supports CONFIG GET only; its settings are start-up flags');
    }
    if (args.length < 3)
      throw new KvError('BAD_REQUEST', "wrong number of arguments for 'config|get' command");
    const pairs: Reply[] = [];
    for (const arg of args.slice(2)) {
      const name = arg.toString('latin1').toLowerCase();
      const value = CONFIG_VALUES.get(name);
      if (value !== undefined) pairs.push(bulk(name), bulk(value));
    }
    return array(pairs);
  },
};
