// `ringkv start` flags: parsed with node:util's parseArgs, checked, and split into the
// engine's OpenOptions and each server's options. Every flag is listed in HELP and README.
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import type { OpenOptions } from '../config.js';
import { KEYS_PER_COMMAND_MAX_DEFAULT } from '../constants.js';
import { KvError } from '../errors.js';
import type { RespServerOptions } from '../server/resp/server.js';
import { TLS_AUTH_CLIENTS, type TlsAuthClients, type TlsFiles } from '../server/tls.js';

/** The environment variable --requirepass may come from instead, so it stays out of `ps`. */
export const PASSWORD_ENV = 'RINGKV_PASSWORD';

export interface SecurityOptions {
  /** The default user's password (--requirepass or RINGKV_PASSWORD); undefined for none. */
  password: string | undefined;
  usersFile: string | undefined;
  /** Off only with --protected-mode no: then a public bind without a password only warns. */
  protectedMode: boolean;
  /** Whether the servers listen beyond the loopback interface. */
  publicBind: boolean;
}

export interface CliTlsOptions {
  files: TlsFiles;
  /** Ports as the servers take them: 0 for any free port, null for no listener. */
  respPort: number | null;
  httpsPort: number | null;
}

export interface CliOptions {
  engine: OpenOptions;
  resp: Omit<RespServerOptions, 'metrics' | 'auth' | 'tls'>;
  tls: CliTlsOptions | null;
  security: SecurityOptions;
  http: {
    host: string;
    port: number | null;
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
                             a running server's workers as a table (--json: its /stats);
                             status and backup send RINGKV_PASSWORD if set
  ringkv backup DEST [--http-port 8380] [--bind 127.0.0.1]
                             a consistent copy of a running server's store in DEST (new or
                             empty), taken while it serves; ringkv start --dir DEST opens it
  ringkv bench [options]     closed-loop RESP load generator (ringkv bench --help)
  ringkv hash-password       read a password on stdin, print its scrypt hash for --users-file
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
  --port PORT                RESP (Redis protocol) port; 0 = off, auto = any free port [6380]
  --http-port PORT           HTTP API port; 0 = off, auto = any free port [8380]
  --bind HOST                address both servers listen on [127.0.0.1]
  --requirepass PASSWORD     password of the admin user 'default' (AUTH password); better set
                             it in the RINGKV_PASSWORD environment variable, out of ps [none]
  --users-file PATH          users with roles (read, write, admin) and scrypt password hashes,
                             JSON or 'name hash role' lines (see README, Security) [none]
  --protected-mode yes|no    refuse to bind a non-loopback address without a password [yes]
  --tls-port PORT            RESP over TLS port; 0 = off, auto = any free port [0]
  --https-port PORT          HTTPS API port; 0 = off, auto = any free port [0]
  --tls-cert-file PATH       server certificate (PEM) for both TLS ports
  --tls-key-file PATH        its private key (PEM); both are re-read on SIGHUP
  --tls-ca-cert-file PATH    CA (PEM) that client certificates must chain to
  --tls-auth-clients no|optional|yes
                             ask TLS clients for a certificate: no, check it if shown,
                             require it (optional and yes need --tls-ca-cert-file) [no]
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

const PORT_MAX = 65_535;

/** A port flag: `auto` is any free port (0 to the servers), 0 is no listener (null). */
function portFlag(values: Record<string, unknown>, name: string, fallback: number): number | null {
  const raw = values[name];
  if (raw === undefined) return fallback === 0 ? null : fallback;
  if (raw === 'auto') return 0;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > PORT_MAX || !/^[0-9]+$/.test(String(raw))) {
    throw new KvError(
      'BAD_REQUEST',
      `--${name} must be a port from 0 (off) to ${PORT_MAX}, or auto; got '${String(raw)}'`,
    );
  }
  return value === 0 ? null : value;
}

/** Whether `host` is a loopback address (or `localhost`), which only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const address = host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}

function protectedModeMessage(host: string): string {
  return [
    `protected mode: refusing to listen on ${host}, which other machines can reach, without a password.`,
    `Set one: --requirepass PASSWORD, or better the ${PASSWORD_ENV} environment variable (kept out of ps),`,
    'or --users-file PATH with users and roles (see ringkv --help); or listen on loopback only',
    '(--bind 127.0.0.1, the default); or, if every client that can reach this address may read and',
    'write everything, opt out explicitly with --protected-mode no.',
  ].join('\n');
}

function securityOptions(
  values: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  host: string,
): SecurityOptions {
  const mode = values['protected-mode'] ?? 'yes';
  if (mode !== 'yes' && mode !== 'no') {
    throw new KvError('BAD_REQUEST', `--protected-mode must be yes or no; got '${String(mode)}'`);
  }
  // An empty password means none, as Redis's requirepass "".
  const flagPassword = values.requirepass as string | undefined;
  const password = (flagPassword ?? env[PASSWORD_ENV]) || undefined;
  const usersFile = values['users-file'] as string | undefined;
  const publicBind = !isLoopback(host);
  if (publicBind && mode === 'yes' && password === undefined && usersFile === undefined) {
    throw new KvError('BAD_REQUEST', protectedModeMessage(host));
  }
  return { password, usersFile, protectedMode: mode === 'yes', publicBind };
}

function tlsOptions(values: Record<string, unknown>): CliTlsOptions | null {
  const respPort = portFlag(values, 'tls-port', 0);
  const httpsPort = portFlag(values, 'https-port', 0);
  const certFile = values['tls-cert-file'] as string | undefined;
  const keyFile = values['tls-key-file'] as string | undefined;
  const caCertFile = values['tls-ca-cert-file'] as string | undefined;
  const authClients = (values['tls-auth-clients'] ?? 'no') as TlsAuthClients;
  if (!TLS_AUTH_CLIENTS.includes(authClients)) {
    throw new KvError(
      'BAD_REQUEST',
      `--tls-auth-clients must be no, optional or yes; got '${String(authClients)}'`,
    );
  }
  if (respPort === null && httpsPort === null) {
    const stray = ['tls-cert-file', 'tls-key-file', 'tls-ca-cert-file', 'tls-auth-clients'].find(
      (name) => values[name] !== undefined,
    );
    if (stray !== undefined) throw new KvError('BAD_REQUEST', `--${stray} needs --tls-port or --https-port`);
    return null;
  }
  if (certFile === undefined || keyFile === undefined) {
    throw new KvError('BAD_REQUEST', '--tls-port and --https-port need --tls-cert-file and --tls-key-file');
  }
  if (authClients !== 'no' && caCertFile === undefined) {
    throw new KvError('BAD_REQUEST', `--tls-auth-clients ${authClients} needs --tls-ca-cert-file`);
  }
  return { files: { certFile, keyFile, caCertFile, authClients }, respPort, httpsPort };
}

export function parseStartOptions(argv: string[], env: NodeJS.ProcessEnv = {}): CliOptions {
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
        port: { type: 'string' },
        'http-port': { type: 'string' },
        'tls-port': { type: 'string' },
        'https-port': { type: 'string' },
        'tls-cert-file': { type: 'string' },
        'tls-key-file': { type: 'string' },
        'tls-ca-cert-file': { type: 'string' },
        'tls-auth-clients': { type: 'string' },
        requirepass: { type: 'string' },
        'users-file': { type: 'string' },
        'protected-mode': { type: 'string' },
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
  const security = securityOptions(values, env, host);
  const tls = tlsOptions(values);
  const port = portFlag(values, 'port', 6380);
  const httpPort = portFlag(values, 'http-port', 8380);
  if (port === null && httpPort === null && tls === null) {
    throw new KvError(
      'BAD_REQUEST',
      'every port is off (--port 0 --http-port 0, no --tls-port or --https-port)',
    );
  }
  return {
    engine,
    tls,
    security,
    resp: {
      host,
      port,
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
      port: httpPort,
      maxBodyBytes: maxValueBytes,
      requestTimeoutMs: int('request-timeout-ms', 5000) + 1000,
      faultInjection: values['fault-injection'] === true,
    },
  };
}
