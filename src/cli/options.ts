// `ringkv start` flags: parsed with node:util's parseArgs, checked, and split into the
// engine's OpenOptions and each server's options. Every flag is listed in HELP and README.
import { parseArgs } from 'node:util';
import type { OpenOptions } from '../config.js';
import { KEYS_PER_COMMAND_MAX_DEFAULT } from '../constants.js';
import { KvError } from '../errors.js';
import type { RespServerOptions } from '../server/resp/server.js';

export interface CliOptions {
  engine: OpenOptions;
  resp: Omit<RespServerOptions, 'metrics'>;
  http: {
    host: string;
    port: number;
    maxBodyBytes: number;
    requestTimeoutMs: number;
    faultInjection: boolean;
  };
}

export const HELP = `ringkv — a Dynamo-style key-value store for one multi-core host

Usage (from a checkout or a local install: npx ringkv …; after npm install -g: ringkv …):
  ringkv start [options]     serve the RESP and HTTP APIs until SIGINT/SIGTERM; health
                             changes and repair bursts are logged on stderr
  ringkv status [--json] [--http-port 8380] [--bind 127.0.0.1]
                             a running server's workers as a table (--json: its /stats)
  ringkv backup DEST [--http-port 8380] [--bind 127.0.0.1]
                             a consistent copy of a running server's store in DEST (new or
                             empty), taken while it serves; ringkv start --dir DEST opens it
  ringkv bench [options]     closed-loop RESP load generator (ringkv bench --help)
  ringkv --help              this text

Options of start (defaults in brackets):
  --dir PATH                 data directory [./data]
  --workers K                worker threads; fixed once the directory exists [max(n, cores)]
  --partitions Q             partitions, a power of two; only for a new directory [256]
  --n N --r R --w W          replicas and quorums of the default bucket [3, 2, 2]
  --policy siblings|lww      conflict policy of the default bucket [siblings]
                             Stored props win over these four flags: they apply until the
                             default bucket's props are stored (at its first write or props
                             PUT), after which a flag that disagrees is ignored with a
                             warning; change stored props with PUT /buckets/default/props
  --max-buckets B            buckets with stored props at most [10000]
  --durability commit|sync|async
                             when writes are acknowledged [commit]
  --port PORT                RESP (Redis protocol) port [6380]
  --http-port PORT           HTTP API port [8380]
  --bind HOST                address both servers listen on [127.0.0.1]
  --max-key-bytes B          largest key [1024]
  --max-value-bytes B        largest value [1048576]
  --max-clients C            RESP connections at once [10000]
  --pipeline-depth D         commands in flight per RESP connection before it is paused [1024]
  --max-bulk-bytes B         largest RESP bulk string [max-value-bytes + 64 KiB]
  --max-array-length L       most elements in one RESP command [1048576]
  --max-inline-bytes B       longest inline (telnet-style) command line [65536]
  --max-keys-per-command K   most keys one MGET, MSET, DEL or EXISTS may name [100000]
  --idle-timeout-ms MS       close RESP connections idle this long; 0 = never [0]
  --request-timeout-ms MS    a request not done by then fails with TIMEOUT [5000]
  --tombstone-grace-ms MS    a delete's tombstone is purged once this old and on every worker [60000]
  --ring-bytes B             size of each thread-to-thread ring [8388608]
  --map-bytes B              LMDB map size per worker [68719476736]
  --fault-injection          enable the /admin fault endpoints (tests and demos only)
`;

const INTEGER_FLAGS = [
  'workers',
  'partitions',
  'n',
  'r',
  'w',
  'port',
  'http-port',
  'max-key-bytes',
  'max-value-bytes',
  'max-clients',
  'pipeline-depth',
  'max-bulk-bytes',
  'max-array-length',
  'max-inline-bytes',
  'max-keys-per-command',
  'idle-timeout-ms',
  'request-timeout-ms',
  'tombstone-grace-ms',
  'ring-bytes',
  'map-bytes',
  'max-buckets',
] as const;

/** Every flag of `ringkv start` (a test checks each is in HELP and the README). */
export const START_FLAGS = [
  'dir',
  'bind',
  'policy',
  'durability',
  'fault-injection',
  ...INTEGER_FLAGS,
] as const;

function integerFlag(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new KvError('BAD_REQUEST', `--${name} must be a whole number; got '${String(raw)}'`);
  }
  return value;
}

export function parseStartOptions(argv: string[]): CliOptions {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        dir: { type: 'string', default: './data' },
        bind: { type: 'string', default: '127.0.0.1' },
        policy: { type: 'string' },
        durability: { type: 'string' },
        'fault-injection': { type: 'boolean', default: false },
        ...Object.fromEntries(INTEGER_FLAGS.map((name) => [name, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    throw new KvError('BAD_REQUEST', `${(error as Error).message}; see ringkv --help`);
  }
  const values = parsed.values as Record<string, unknown>;
  const int = (name: string, fallback: number) => integerFlag(values, name) ?? fallback;
  const engine: OpenOptions = { dir: String(values.dir) };
  const optional: [keyof OpenOptions, string][] = [
    ['workers', 'workers'],
    ['partitions', 'partitions'],
    ['n', 'n'],
    ['r', 'r'],
    ['w', 'w'],
    ['maxKeyBytes', 'max-key-bytes'],
    ['maxValueBytes', 'max-value-bytes'],
    ['requestTimeoutMs', 'request-timeout-ms'],
    ['tombstoneGraceMs', 'tombstone-grace-ms'],
    ['ringBytes', 'ring-bytes'],
    ['mapBytes', 'map-bytes'],
    ['maxBuckets', 'max-buckets'],
  ];
  for (const [key, flag] of optional) {
    const value = integerFlag(values, flag);
    if (value !== undefined) Object.assign(engine, { [key]: value });
  }
  if (values.policy !== undefined) Object.assign(engine, { policy: values.policy });
  if (values.durability !== undefined) Object.assign(engine, { durability: values.durability });
  const host = String(values.bind);
  const maxValueBytes = engine.maxValueBytes ?? 1024 * 1024;
  const maxKeysPerCommand = int('max-keys-per-command', KEYS_PER_COMMAND_MAX_DEFAULT);
  if (maxKeysPerCommand < 1) {
    throw new KvError('BAD_REQUEST', '--max-keys-per-command must be at least 1; got 0');
  }
  return {
    engine,
    resp: {
      host,
      port: int('port', 6380),
      maxClients: int('max-clients', 10_000),
      pipelineDepthMax: int('pipeline-depth', 1024),
      maxBulkBytes: int('max-bulk-bytes', maxValueBytes + 64 * 1024),
      maxArrayLength: int('max-array-length', 1024 * 1024),
      maxInlineBytes: int('max-inline-bytes', 64 * 1024),
      maxKeysPerCommand,
      idleTimeoutMs: int('idle-timeout-ms', 0),
    },
    http: {
      host,
      port: int('http-port', 8380),
      maxBodyBytes: maxValueBytes,
      requestTimeoutMs: int('request-timeout-ms', 5000) + 1000,
      faultInjection: values['fault-injection'] === true,
    },
  };
}
