// What COMMAND INFO and COMMAND DOCS tell about each command, beside the command table: the
// documentation Redis 7 keeps in its commands/*.json (summary, since, group, complexity, ACL
// categories, key flags, arguments, subcommands), written for the grammar ringkv accepts
// today, not Redis's (SET lists no options because ringkv refuses them). Redis commands keep
// Redis's summary, since and group; ringkv's own (VGET, VPUT, VDEL, EXPLAIN, BUCKET) say
// `since` in ringkv's versions. Every command in the table must have an entry (table.ts checks).

/** Redis's argument types (redisCommandArgType). */
export type ArgumentType =
  | 'string'
  | 'integer'
  | 'double'
  | 'key'
  | 'pattern'
  | 'unix-time'
  | 'pure-token'
  | 'oneof'
  | 'block';

export interface ArgumentDoc {
  readonly name: string;
  readonly type: ArgumentType;
  readonly token?: string;
  /** Only for keys: which key spec of the command the argument belongs to. */
  readonly keySpecIndex?: number;
  readonly optional?: boolean;
  readonly multiple?: boolean;
  /** The arguments of a block or the choices of a oneof. */
  readonly arguments?: readonly ArgumentDoc[];
}

export interface CommandDoc {
  readonly summary: string;
  readonly since: string;
  readonly group: string;
  readonly complexity: string;
  /** ACL categories named in the command's definition; COMMAND INFO adds those its flags imply. */
  readonly aclCategories: readonly string[];
  /** Flags of each key range (Redis's key specs), in order; the positions come from the table. */
  readonly keyFlags?: readonly (readonly string[])[];
  readonly tips?: readonly string[];
  readonly history?: readonly (readonly [since: string, change: string])[];
  readonly docFlags?: readonly ('deprecated' | 'syscmd')[];
  readonly arguments?: readonly ArgumentDoc[];
  readonly subcommands?: readonly SubcommandDoc[];
}

/** A subcommand (`client|setname`): its own arity and flags, as Redis 7 keeps them. */
export interface SubcommandDoc extends CommandDoc {
  /** Lower case, without the container: `setname`. */
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly string[];
}

const KEY: ArgumentDoc = { name: 'key', type: 'key', keySpecIndex: 0 };
const KEYS: ArgumentDoc = { name: 'key', type: 'key', keySpecIndex: 0, multiple: true };
const CONNECTION = ['connection'];
const INTROSPECTION_FLAGS = ['loading', 'stale'];
const CLIENT_FLAGS = ['noscript', 'loading', 'stale'];

function sub(name: string, arity: number, flags: readonly string[], doc: CommandDoc): SubcommandDoc {
  return { name, arity, flags, ...doc };
}

const CLIENT_SUBCOMMANDS: readonly SubcommandDoc[] = [
  sub('setname', 3, CLIENT_FLAGS, {
    summary: 'Sets the connection name.',
    since: '2.6.9',
    group: 'connection',
    complexity: 'O(1)',
    aclCategories: CONNECTION,
    tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
    arguments: [{ name: 'connection-name', type: 'string' }],
  }),
  sub('getname', 2, CLIENT_FLAGS, {
    summary: 'Returns the name of the connection.',
    since: '2.6.9',
    group: 'connection',
    complexity: 'O(1)',
    aclCategories: CONNECTION,
  }),
  sub('setinfo', 4, CLIENT_FLAGS, {
    summary: 'Sets information specific to the client or connection.',
    since: '7.2.0',
    group: 'connection',
    complexity: 'O(1)',
    aclCategories: CONNECTION,
    tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
    arguments: [
      {
        name: 'attr',
        type: 'oneof',
        arguments: [
          { name: 'libname', type: 'string', token: 'lib-name' },
          { name: 'libver', type: 'string', token: 'lib-ver' },
        ],
      },
    ],
  }),
  sub('id', 2, CLIENT_FLAGS, {
    summary: 'Returns the unique client ID of the connection.',
    since: '5.0.0',
    group: 'connection',
    complexity: 'O(1)',
    aclCategories: CONNECTION,
  }),
  sub('info', 2, CLIENT_FLAGS, {
    summary: 'Returns information about the connection.',
    since: '6.2.0',
    group: 'connection',
    complexity: 'O(1)',
    aclCategories: CONNECTION,
    tips: ['nondeterministic_output'],
  }),
  sub('help', 2, INTROSPECTION_FLAGS, {
    summary: 'Returns helpful text about the different subcommands.',
    since: '5.0.0',
    group: 'connection',
    complexity: 'O(1)',
    aclCategories: CONNECTION,
  }),
];

const COMMAND_NAMES: ArgumentDoc = { name: 'command-name', type: 'string', optional: true, multiple: true };

const COMMAND_SUBCOMMANDS: readonly SubcommandDoc[] = [
  sub('help', 2, INTROSPECTION_FLAGS, {
    summary: 'Returns helpful text about the different subcommands.',
    since: '5.0.0',
    group: 'server',
    complexity: 'O(1)',
    aclCategories: CONNECTION,
  }),
  sub('count', 2, INTROSPECTION_FLAGS, {
    summary: 'Returns a count of commands.',
    since: '2.8.13',
    group: 'server',
    complexity: 'O(1)',
    aclCategories: CONNECTION,
  }),
  sub('list', 2, INTROSPECTION_FLAGS, {
    summary: 'Returns a list of command names.',
    since: '7.0.0',
    group: 'server',
    complexity: 'O(N) where N is the total number of Redis commands',
    aclCategories: CONNECTION,
    tips: ['nondeterministic_output_order'],
  }),
  sub('info', -2, INTROSPECTION_FLAGS, {
    summary: 'Returns information about one, multiple or all commands.',
    since: '2.8.13',
    group: 'server',
    complexity: 'O(N) where N is the number of commands to look up',
    aclCategories: CONNECTION,
    tips: ['nondeterministic_output_order'],
    history: [['7.0.0', 'Allowed to be called with no argument to get info on all commands.']],
    arguments: [COMMAND_NAMES],
  }),
  sub('docs', -2, INTROSPECTION_FLAGS, {
    summary: 'Returns documentary information about one, multiple or all commands.',
    since: '7.0.0',
    group: 'server',
    complexity: 'O(N) where N is the number of commands to look up',
    aclCategories: CONNECTION,
    tips: ['nondeterministic_output_order'],
    arguments: [COMMAND_NAMES],
  }),
];

const CONFIG_SUBCOMMANDS: readonly SubcommandDoc[] = [
  sub('get', -3, ['admin', 'noscript', 'loading', 'stale'], {
    summary: 'Returns the effective values of configuration parameters.',
    since: '2.0.0',
    group: 'server',
    complexity: 'O(N) when N is the number of configuration parameters provided',
    aclCategories: [],
    history: [['7.0.0', 'Added the ability to pass multiple pattern parameters in one call']],
    arguments: [{ name: 'parameter', type: 'string', multiple: true }],
  }),
];

/** INCR, INCRBY, DECR, DECRBY: Redis's entries, one shape. */
function counterDoc(name: string, summary: string, amount: string | null): [[string, CommandDoc]] {
  const args: ArgumentDoc[] = [KEY];
  if (amount !== null) args.push({ name: amount, type: 'integer' });
  return [
    [
      name,
      {
        summary: `${summary} Uses 0 as initial value if the key doesn't exist.`,
        since: '1.0.0',
        group: 'string',
        complexity: 'O(1)',
        aclCategories: ['string'],
        keyFlags: [['RW', 'access', 'update']],
        arguments: args,
      },
    ],
  ];
}

/** FLUSHDB and FLUSHALL: Redis's entries. */
function flushDoc(name: string, summary: string, where: string): [[string, CommandDoc]] {
  return [
    [
      name,
      {
        summary,
        since: '1.0.0',
        group: 'server',
        complexity: `O(N) where N is the number of keys ${where}`,
        aclCategories: ['keyspace', 'dangerous'],
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
        history: [
          ['4.0.0', 'Added the `ASYNC` flushing mode modifier.'],
          ['6.2.0', 'Added the `SYNC` flushing mode modifier.'],
        ],
        arguments: [
          {
            name: 'flush-type',
            type: 'oneof',
            optional: true,
            arguments: [
              { name: 'async', type: 'pure-token', token: 'ASYNC' },
              { name: 'sync', type: 'pure-token', token: 'SYNC' },
            ],
          },
        ],
      },
    ],
  ];
}

const VALUE: ArgumentDoc = { name: 'value', type: 'string' };
/** SET's and GETEX's expiry options. */
const EXPIRY_TIMES: readonly ArgumentDoc[] = [
  { name: 'seconds', type: 'integer', token: 'EX' },
  { name: 'milliseconds', type: 'integer', token: 'PX' },
  { name: 'unix-time-seconds', type: 'unix-time', token: 'EXAT' },
  { name: 'unix-time-milliseconds', type: 'unix-time', token: 'PXAT' },
];

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: a time, then one condition. */
function expireDocs(
  name: string,
  time: string,
  type: ArgumentType,
  summary: string,
  since: string,
): [string, CommandDoc] {
  const condition = (token: string): ArgumentDoc => ({
    name: token.toLowerCase(),
    type: 'pure-token',
    token,
  });
  return [
    name,
    {
      summary,
      since,
      group: 'generic',
      complexity: 'O(1)',
      aclCategories: ['keyspace'],
      keyFlags: [['RW', 'update']],
      history: [['7.0.0', 'Added options: `NX`, `XX`, `GT` and `LT`.']],
      arguments: [
        KEY,
        { name: time, type },
        {
          name: 'condition',
          type: 'oneof',
          optional: true,
          arguments: ['NX', 'XX', 'GT', 'LT'].map(condition),
        },
      ],
    },
  ];
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME. */
function ttlDocs(name: string, summary: string, since: string): [string, CommandDoc] {
  return [
    name,
    {
      summary,
      since,
      group: 'generic',
      complexity: 'O(1)',
      aclCategories: ['keyspace'],
      keyFlags: [['RO', 'access']],
      arguments: [KEY],
    },
  ];
}

export const COMMAND_DOCS: ReadonlyMap<string, CommandDoc> = new Map<string, CommandDoc>([
  [
    'get',
    {
      summary: 'Returns the string value of a key.',
      since: '1.0.0',
      group: 'string',
      complexity: 'O(1)',
      aclCategories: ['string'],
      keyFlags: [['RO', 'access']],
      arguments: [KEY],
    },
  ],
  [
    'set',
    {
      summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
      since: '1.0.0',
      group: 'string',
      complexity: 'O(1)',
      aclCategories: ['string'],
      keyFlags: [['RW', 'access', 'update', 'variable_flags']],
      history: [
        ['2.6.12', 'Added the `EX`, `PX`, `NX` and `XX` options.'],
        ['6.0.0', 'Added the `KEEPTTL` option.'],
        ['6.2.0', 'Added the `GET`, `EXAT` and `PXAT` option.'],
        ['7.0.0', 'Allowed the `NX` and `GET` options to be used together.'],
      ],
      arguments: [
        KEY,
        VALUE,
        {
          name: 'condition',
          type: 'oneof',
          optional: true,
          arguments: [
            { name: 'nx', type: 'pure-token', token: 'NX' },
            { name: 'xx', type: 'pure-token', token: 'XX' },
          ],
        },
        { name: 'get', type: 'pure-token', token: 'GET', optional: true },
        {
          name: 'expiration',
          type: 'oneof',
          optional: true,
          arguments: [...EXPIRY_TIMES, { name: 'keepttl', type: 'pure-token', token: 'KEEPTTL' }],
        },
      ],
    },
  ],
  [
    'setex',
    {
      summary: 'Sets the string value and expiration time of a key. Creates the key if it does not exist.',
      since: '2.0.0',
      group: 'string',
      complexity: 'O(1)',
      aclCategories: ['string'],
      keyFlags: [['OW', 'update']],
      docFlags: ['deprecated'],
      arguments: [KEY, { name: 'seconds', type: 'integer' }, VALUE],
    },
  ],
  [
    'psetex',
    {
      summary:
        'Sets both string value and expiration time in milliseconds of a key. The key is created if it does not exist.',
      since: '2.6.0',
      group: 'string',
      complexity: 'O(1)',
      aclCategories: ['string'],
      keyFlags: [['OW', 'update']],
      docFlags: ['deprecated'],
      arguments: [KEY, { name: 'milliseconds', type: 'integer' }, VALUE],
    },
  ],
  [
    'setnx',
    {
      summary:
        "Set the string value of a key only when the key doesn't exist (decided on a read of R replicas).",
      since: '1.0.0',
      group: 'string',
      complexity: 'O(1)',
      aclCategories: ['string'],
      keyFlags: [['OW', 'insert']],
      docFlags: ['deprecated'],
      arguments: [KEY, VALUE],
    },
  ],
  [
    'getset',
    {
      summary: 'Returns the previous string value of a key after setting it to a new value.',
      since: '1.0.0',
      group: 'string',
      complexity: 'O(1)',
      aclCategories: ['string'],
      keyFlags: [['RW', 'access', 'update']],
      docFlags: ['deprecated'],
      arguments: [KEY, VALUE],
    },
  ],
  [
    'getdel',
    {
      summary: 'Returns the string value of a key after deleting the key.',
      since: '6.2.0',
      group: 'string',
      complexity: 'O(1)',
      aclCategories: ['string'],
      keyFlags: [['RW', 'access', 'delete']],
      arguments: [KEY],
    },
  ],
  [
    'getex',
    {
      summary: 'Returns the string value of a key after setting its expiration time.',
      since: '6.2.0',
      group: 'string',
      complexity: 'O(1)',
      aclCategories: ['string'],
      keyFlags: [['RW', 'access', 'update']],
      arguments: [
        KEY,
        {
          name: 'expiration',
          type: 'oneof',
          optional: true,
          arguments: [...EXPIRY_TIMES, { name: 'persist', type: 'pure-token', token: 'PERSIST' }],
        },
      ],
    },
  ],
  expireDocs('expire', 'seconds', 'integer', 'Sets the expiration time of a key in seconds.', '1.0.0'),
  expireDocs(
    'pexpire',
    'milliseconds',
    'integer',
    'Sets the expiration time of a key in milliseconds.',
    '2.6.0',
  ),
  expireDocs(
    'expireat',
    'unix-time-seconds',
    'unix-time',
    'Sets the expiration time of a key to a Unix timestamp.',
    '1.2.0',
  ),
  expireDocs(
    'pexpireat',
    'unix-time-milliseconds',
    'unix-time',
    'Sets the expiration time of a key to a Unix milliseconds timestamp.',
    '2.6.0',
  ),
  ttlDocs('ttl', 'Returns the expiration time in seconds of a key.', '1.0.0'),
  ttlDocs('pttl', 'Returns the expiration time in milliseconds of a key.', '2.6.0'),
  ttlDocs('expiretime', 'Returns the expiration time of a key as a Unix timestamp.', '7.0.0'),
  ttlDocs('pexpiretime', 'Returns the expiration time of a key as a Unix milliseconds timestamp.', '7.0.0'),
  [
    'persist',
    {
      summary: 'Removes the expiration time of a key.',
      since: '2.2.0',
      group: 'generic',
      complexity: 'O(1)',
      aclCategories: ['keyspace'],
      keyFlags: [['RW', 'update']],
      arguments: [KEY],
    },
  ],
  [
    'del',
    {
      summary: 'Deletes one or more keys.',
      since: '1.0.0',
      group: 'generic',
      complexity: 'O(N) where N is the number of keys that will be removed.',
      aclCategories: ['keyspace'],
      keyFlags: [['RM', 'delete']],
      tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
      arguments: [KEYS],
    },
  ],
  [
    'exists',
    {
      summary: 'Determines whether one or more keys exist.',
      since: '1.0.0',
      group: 'generic',
      complexity: 'O(N) where N is the number of keys to check.',
      aclCategories: ['keyspace'],
      keyFlags: [['RO']],
      tips: ['request_policy:multi_shard', 'response_policy:agg_sum'],
      history: [['3.0.3', 'Accepts multiple `key` arguments.']],
      arguments: [KEYS],
    },
  ],
  ...counterDoc('incr', 'Increments the integer value of a key by one.', null),
  ...counterDoc('incrby', 'Increments the integer value of a key by a number.', 'increment'),
  ...counterDoc('decr', 'Decrements the integer value of a key by one.', null),
  ...counterDoc('decrby', 'Decrements a number from the integer value of a key.', 'decrement'),
  [
    'scan',
    {
      summary: 'Iterates over the key names in the database.',
      since: '2.8.0',
      group: 'generic',
      complexity:
        'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
      aclCategories: ['keyspace'],
      tips: ['nondeterministic_output', 'request_policy:special', 'response_policy:special'],
      history: [['6.0.0', 'Added the `TYPE` subcommand.']],
      arguments: [
        { name: 'cursor', type: 'integer' },
        { name: 'pattern', type: 'pattern', token: 'MATCH', optional: true },
        { name: 'count', type: 'integer', token: 'COUNT', optional: true },
        { name: 'type', type: 'string', token: 'TYPE', optional: true },
      ],
    },
  ],
  [
    'keys',
    {
      summary: 'Returns all key names that match a pattern.',
      since: '1.0.0',
      group: 'generic',
      complexity:
        'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.',
      aclCategories: ['keyspace', 'dangerous'],
      tips: ['request_policy:all_shards', 'nondeterministic_output_order'],
      arguments: [{ name: 'pattern', type: 'pattern' }],
    },
  ],
  [
    'dbsize',
    {
      summary: 'Returns the number of keys in the database.',
      since: '1.0.0',
      group: 'server',
      complexity: 'O(N) in ringkv: it walks every partition (O(1) in Redis).',
      aclCategories: ['keyspace'],
      tips: ['request_policy:all_shards', 'response_policy:agg_sum'],
    },
  ],
  [
    'type',
    {
      summary: 'Determines the type of value stored at a key.',
      since: '1.0.0',
      group: 'generic',
      complexity: 'O(1)',
      aclCategories: ['keyspace'],
      keyFlags: [['RO']],
      arguments: [KEY],
    },
  ],
  [
    'randomkey',
    {
      summary: 'Returns a random key name from the database.',
      since: '1.0.0',
      group: 'generic',
      complexity: 'O(N) in ringkv for the partition it picks (O(1) in Redis).',
      aclCategories: ['keyspace'],
      tips: ['request_policy:all_shards', 'response_policy:special', 'nondeterministic_output'],
    },
  ],
  ...flushDoc('flushdb', 'Remove all keys from the current database.', 'in the selected database'),
  ...flushDoc('flushall', 'Removes all keys from all databases.', 'in all databases'),
  [
    'multi',
    {
      summary: 'Starts a transaction.',
      since: '1.2.0',
      group: 'transactions',
      complexity: 'O(1)',
      aclCategories: ['transaction'],
    },
  ],
  [
    'exec',
    {
      summary: 'Executes all commands in a transaction.',
      since: '1.2.0',
      group: 'transactions',
      complexity: 'Depends on commands in the transaction',
      aclCategories: ['transaction'],
    },
  ],
  [
    'discard',
    {
      summary: 'Discards a transaction.',
      since: '2.0.0',
      group: 'transactions',
      complexity: 'O(N), when N is the number of queued commands',
      aclCategories: ['transaction'],
    },
  ],
  [
    'watch',
    {
      summary: 'Monitors changes to keys to determine the execution of a transaction.',
      since: '2.2.0',
      group: 'transactions',
      complexity: 'O(1) for every key.',
      aclCategories: ['transaction'],
      keyFlags: [['RO']],
      arguments: [KEYS],
    },
  ],
  [
    'unwatch',
    {
      summary: 'Forgets about watched keys of a transaction.',
      since: '2.2.0',
      group: 'transactions',
      complexity: 'O(1)',
      aclCategories: ['transaction'],
    },
  ],
  [
    'mget',
    {
      summary: 'Returns the string values of one or more keys.',
      since: '1.0.0',
      group: 'string',
      complexity: 'O(N) where N is the number of keys to retrieve.',
      aclCategories: ['string'],
      keyFlags: [['RO', 'access']],
      tips: ['request_policy:multi_shard'],
      arguments: [KEYS],
    },
  ],
  [
    'mset',
    {
      summary: 'Creates or modifies the string values of one or more keys (not atomically in ringkv).',
      since: '1.0.1',
      group: 'string',
      complexity: 'O(N) where N is the number of keys to set.',
      aclCategories: ['string'],
      keyFlags: [['OW', 'update']],
      tips: ['request_policy:multi_shard', 'response_policy:all_succeeded'],
      arguments: [
        {
          name: 'data',
          type: 'block',
          multiple: true,
          arguments: [KEY, { name: 'value', type: 'string' }],
        },
      ],
    },
  ],
  [
    'vget',
    {
      summary: 'Returns every sibling of a key with their context, read from R replicas.',
      since: '0.1.0',
      group: 'generic',
      complexity: 'O(S) where S is the number of siblings.',
      aclCategories: ['keyspace'],
      keyFlags: [['RO', 'access']],
      arguments: [KEY, { name: 'r', type: 'integer', token: 'R', optional: true }],
    },
  ],
  [
    'vput',
    {
      summary: 'Writes a value superseding what the context has seen (a blind write for ""), on W replicas.',
      since: '0.1.0',
      group: 'generic',
      complexity: 'O(S) where S is the number of siblings.',
      aclCategories: ['keyspace'],
      keyFlags: [['RW', 'update']],
      arguments: [
        KEY,
        { name: 'context', type: 'string' },
        { name: 'value', type: 'string' },
        { name: 'w', type: 'integer', token: 'W', optional: true },
      ],
    },
  ],
  [
    'vdel',
    {
      summary: 'Writes a tombstone superseding what the context has seen, on W replicas.',
      since: '0.1.0',
      group: 'generic',
      complexity: 'O(S) where S is the number of siblings.',
      aclCategories: ['keyspace'],
      keyFlags: [['RM', 'delete']],
      arguments: [
        KEY,
        { name: 'context', type: 'string' },
        { name: 'w', type: 'integer', token: 'W', optional: true },
      ],
    },
  ],
  [
    'explain',
    {
      summary: "Shows a key's partition, preference list and every replica's versions.",
      since: '0.1.0',
      group: 'generic',
      complexity: 'O(N) where N is the number of replicas.',
      aclCategories: ['keyspace'],
      keyFlags: [['RO']],
      arguments: [KEY],
    },
  ],
  [
    'ping',
    {
      summary: "Returns the server's liveliness response.",
      since: '1.0.0',
      group: 'connection',
      complexity: 'O(1)',
      aclCategories: CONNECTION,
      tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
      arguments: [{ name: 'message', type: 'string', optional: true }],
    },
  ],
  [
    'echo',
    {
      summary: 'Returns the given string.',
      since: '1.0.0',
      group: 'connection',
      complexity: 'O(1)',
      aclCategories: CONNECTION,
      arguments: [{ name: 'message', type: 'string' }],
    },
  ],
  [
    'quit',
    {
      summary: 'Closes the connection.',
      since: '1.0.0',
      group: 'connection',
      complexity: 'O(1)',
      aclCategories: CONNECTION,
      docFlags: ['deprecated'],
    },
  ],
  [
    'select',
    {
      summary: 'Changes the selected database (ringkv has database 0 only).',
      since: '1.0.0',
      group: 'connection',
      complexity: 'O(1)',
      aclCategories: CONNECTION,
      arguments: [{ name: 'index', type: 'integer' }],
    },
  ],
  [
    'auth',
    {
      summary: 'Authenticates the connection.',
      since: '1.0.0',
      group: 'connection',
      complexity: 'O(N) where N is the number of passwords defined for the user',
      aclCategories: CONNECTION,
      history: [['6.0.0', 'Added ACL style (username and password).']],
      arguments: [
        { name: 'username', type: 'string', optional: true },
        { name: 'password', type: 'string' },
      ],
    },
  ],
  [
    'hello',
    {
      summary: 'Handshakes with the Redis server.',
      since: '6.0.0',
      group: 'connection',
      complexity: 'O(1)',
      aclCategories: CONNECTION,
      history: [
        [
          '6.2.0',
          "`protover` made optional; when called without arguments the command reports the current connection's context.",
        ],
      ],
      arguments: [
        {
          name: 'arguments',
          type: 'block',
          optional: true,
          arguments: [
            { name: 'protover', type: 'integer' },
            {
              name: 'auth',
              type: 'block',
              token: 'AUTH',
              optional: true,
              arguments: [
                { name: 'username', type: 'string' },
                { name: 'password', type: 'string' },
              ],
            },
            { name: 'clientname', type: 'string', token: 'SETNAME', optional: true },
          ],
        },
      ],
    },
  ],
  [
    'client',
    {
      summary: 'A container for client connection commands.',
      since: '2.4.0',
      group: 'connection',
      complexity: 'Depends on subcommand.',
      aclCategories: [],
      subcommands: CLIENT_SUBCOMMANDS,
    },
  ],
  [
    'bucket',
    {
      summary: "Switches the bucket this connection's keys live in, or returns the current one.",
      since: '0.1.0',
      group: 'connection',
      complexity: 'O(1)',
      aclCategories: CONNECTION,
      arguments: [{ name: 'name', type: 'string', optional: true }],
    },
  ],
  [
    'info',
    {
      summary: 'Returns information and statistics about the server.',
      since: '1.0.0',
      group: 'server',
      complexity: 'O(1)',
      aclCategories: ['dangerous'],
      tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
      history: [['7.0.0', 'Added support for taking multiple section arguments.']],
      arguments: [{ name: 'section', type: 'string', optional: true, multiple: true }],
    },
  ],
  [
    'command',
    {
      summary: 'Returns detailed information about all commands.',
      since: '2.8.13',
      group: 'server',
      complexity: 'O(N) where N is the total number of Redis commands',
      aclCategories: CONNECTION,
      tips: ['nondeterministic_output_order'],
      subcommands: COMMAND_SUBCOMMANDS,
    },
  ],
  [
    'config',
    {
      summary: 'A container for server configuration commands.',
      since: '2.0.0',
      group: 'server',
      complexity: 'Depends on subcommand.',
      aclCategories: [],
      subcommands: CONFIG_SUBCOMMANDS,
    },
  ],
]);
