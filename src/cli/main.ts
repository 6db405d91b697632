// The ringkv command: `ringkv start` runs the engine behind the RESP and HTTP servers until
// SIGINT or SIGTERM, then shuts down in order (stop accepting, finish in-flight requests,
// commit and close LMDB, exit 0); SIGHUP re-reads the TLS certificates; health changes are
// logged on stderr as they happen. `ringkv status` and `ringkv backup` ask a running server's
// HTTP API; `ringkv hash-password` makes a hash for the users file.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { KvError } from '../errors.js';
import { benchCommand } from '../loadgen/index.js';
import { open } from '../main/db.js';
import { formatEvent } from '../main/events.js';
import { Authenticator } from '../server/auth/authenticator.js';
import { formatHash, hashPassword } from '../server/auth/passwords.js';
import { parseUsers } from '../server/auth/users.js';
import { startHttpServer } from '../server/http/server.js';
import { ServerMetrics } from '../server/metrics.js';
import { startRespServer } from '../server/resp/server.js';
import { readSecureContext, type TlsListenerOptions } from '../server/tls.js';
import { type CliOptions, HELP, PASSWORD_ENV, parseStartOptions } from './options.js';
import { type BackupBody, type StatsBody, statusTable } from './status-table.js';

/** The package's version, from package.json at the repository (or installed package) root. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Fails fast, before the data directory is created, when a port is taken. */
async function checkPortFree(host: string, port: number | null | undefined, flag: string): Promise<void> {
  if (port === null || port === undefined || port === 0) return; // off, or any free port
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE' ? 'is in use' : `cannot be listened on (${error.code ?? error.message})`;
      reject(new KvError('BAD_REQUEST', `${host}:${port} ${why}; pick another with ${flag}`));
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** The credentials of --requirepass and --users-file, or null when neither is given. */
async function authenticator(options: CliOptions, metrics: ServerMetrics): Promise<Authenticator | null> {
  const { password, usersFile } = options.security;
  if (password === undefined && usersFile === undefined) return null;
  let users: ReturnType<typeof parseUsers> | undefined;
  if (usersFile !== undefined) {
    let content: string;
    try {
      content = readFileSync(usersFile, 'utf8');
    } catch (error) {
      throw new KvError('BAD_REQUEST', `cannot read --users-file ${usersFile}: ${(error as Error).message}`);
    }
    users = parseUsers(content, usersFile);
    if (password !== undefined && users.has('default')) {
      throw new KvError(
        'BAD_REQUEST',
        `${usersFile} defines user default, whose password --requirepass also sets`,
      );
    }
  }
  return Authenticator.create({
    ...(password === undefined ? {} : { password }),
    ...(users ? { users } : {}),
    metrics,
  });
}

/** The line that says where the server listens, plain and TLS. */
function listeningLine(host: string, ports: [string, number][]): string {
  const open = ports.filter(([, port]) => port !== 0).map(([name, port]) => `${name} on ${host}:${port}`);
  return `ringkv: ${open.join(', ')}`;
}

async function start(options: CliOptions): Promise<void> {
  await checkPortFree(options.resp.host, options.resp.port, '--port');
  await checkPortFree(options.http.host, options.http.port, '--http-port');
  await checkPortFree(options.resp.host, options.tls?.respPort, '--tls-port');
  await checkPortFree(options.http.host, options.tls?.httpsPort, '--https-port');
  const metrics = new ServerMetrics();
  const auth = await authenticator(options, metrics);
  const tlsFiles = options.tls?.files;
  const tlsContext = tlsFiles === undefined ? undefined : readSecureContext(tlsFiles);
  const tlsListener = (port: number | null | undefined): { tls?: TlsListenerOptions } =>
    tlsContext === undefined || tlsFiles === undefined || port === null || port === undefined
      ? {}
      : { tls: { port, context: tlsContext, authClients: tlsFiles.authClients } };
  const db = await open(options.engine);
  // Every health change and repair burst, one timestamped line each, on stderr.
  db.onEvent((event) => console.error(formatEvent(event)));
  for (const warning of db.warnings) console.error(`ringkv: warning: ${warning}`);
  const resp = await startRespServer(db, {
    ...options.resp,
    metrics,
    auth,
    ...tlsListener(options.tls?.respPort),
  });
  const http = await startHttpServer(db, {
    ...options.http,
    metrics,
    auth,
    ...tlsListener(options.tls?.httpsPort),
  });
  const { partitionCount, workerCount } = db.ring;
  const { n, r, w } = db.props;
  console.log(
    `ringkv ${VERSION}: data in ${options.engine.dir}: ${workerCount} workers, ${partitionCount} partitions, default bucket n=${n} r=${r} w=${w}, durability ${db.config.durability}`,
  );
  console.log(
    listeningLine(options.resp.host, [
      ['RESP', resp.port],
      ['HTTP', http.port],
      ['RESP over TLS', resp.tlsPort],
      ['HTTPS', http.tlsPort],
    ]),
  );
  if (http.port !== 0) console.log(`ringkv: dashboard at ${dashboardUrl(options.http.host, http.port)}`);
  else if (http.tlsPort !== 0)
    console.log(`ringkv: dashboard at ${dashboardUrl(options.http.host, http.tlsPort, 'https')}`);
  if (auth === null) {
    console.log('ringkv: no password set: every client that reaches a port may run every command');
    if (options.security.publicBind) {
      console.warn(
        `ringkv: WARNING: protected mode is off and ${options.resp.host} is reachable from other machines without a password; set ${PASSWORD_ENV} or --users-file`,
      );
    }
  } else {
    console.log('ringkv: clients must authenticate (AUTH over RESP, Basic or Bearer over HTTP)');
  }
  process.on('SIGHUP', () => {
    if (tlsFiles === undefined) {
      console.log('ringkv: SIGHUP: no TLS certificates to reload');
      return;
    }
    try {
      const context = readSecureContext(tlsFiles);
      resp.reloadTls(context);
      http.reloadTls(context);
      console.log(`ringkv: SIGHUP: TLS certificate reloaded from ${tlsFiles.certFile}`);
    } catch (error) {
      console.error(`ringkv: SIGHUP: keeping the old TLS certificate: ${(error as Error).message}`);
    }
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.error(`ringkv: ${signal} again, exiting without a clean shutdown`);
      process.exit(1);
    }
    stopping = true;
    console.log(`ringkv: ${signal}: stopping (finishing in-flight requests, committing)`);
    await Promise.allSettled([resp.close(), http.close()]);
    await db.close();
    console.log('ringkv: stopped cleanly');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** The address a browser on this host opens: a wildcard bind is reached through loopback. */
function dashboardUrl(host: string, port: number, scheme = 'http'): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  return `${scheme}://${reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable}:${port}/`;
}

interface ClientArgs {
  /** http://bind:port of the running server. */
  base: string;
  json: boolean;
  positionals: string[];
}

/** The arguments of the client commands (status, backup): where the server is, and the rest. */
function clientArgs(argv: string[]): ClientArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'http-port': { type: 'string', default: '8380' },
        bind: { type: 'string', default: '127.0.0.1' },
        json: { type: 'boolean', default: false },
      },
    });
    return { base: `http://${values.bind}:${values['http-port']}`, json: values.json, positionals };
  } catch (error) {
    throw new KvError('BAD_REQUEST', `${(error as Error).message}; see ringkv --help`);
  }
}

async function request(url: string, init: RequestInit = {}): Promise<unknown> {
  // A server with a password wants it: the default user's, from the environment as for start.
  const password = process.env[PASSWORD_ENV];
  const headers: Record<string, string> = password ? { authorization: `Bearer ${password}` } : {};
  const response = await fetch(url, { ...init, headers }).catch((error: Error) => {
    throw new KvError(
      'BAD_REQUEST',
      `no ringkv answers at ${url}: ${error.message} (is it running? --http-port, --bind)`,
    );
  });
  const body = (await response.json()) as { error?: { message?: string } };
  if (!response.ok)
    throw new KvError('INTERNAL', `${url} answered ${response.status}: ${body.error?.message ?? ''}`);
  return body;
}

async function status(argv: string[]): Promise<void> {
  const { base, json } = clientArgs(argv);
  const stats = (await request(`${base}/stats`)) as StatsBody;
  console.log(json ? JSON.stringify(stats, null, 2) : statusTable(stats));
}

async function backup(argv: string[]): Promise<void> {
  const { base, positionals } = clientArgs(argv);
  if (positionals.length !== 1) {
    throw new KvError('BAD_REQUEST', 'usage: ringkv backup DEST [--http-port 8380] [--bind 127.0.0.1]');
  }
  // The server writes the copy, so the path is made absolute here, where the user typed it.
  const dir = resolve(positionals[0] as string);
  const url = `${base}/admin/backup`;
  const done = (await request(url, { method: 'POST', body: JSON.stringify({ dir }) })) as BackupBody;
  console.log(
    `ringkv: backup of ${done.workers} workers in ${done.dir} (${done.ms} ms); open it with ringkv start --dir ${done.dir}`,
  );
}

/** Reads a password on stdin (a trailing newline is not part of it) and prints its hash. */
async function hashPasswordCommand(): Promise<void> {
  const password = (await text(process.stdin)).replace(/\r?\n$/, '');
  if (password === '')
    throw new KvError('BAD_REQUEST', 'hash-password reads the password on stdin; got nothing');
  console.log(formatHash(await hashPassword(password)));
}

const HELP_FLAGS = new Set(['--help', '-h', 'help']);

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  // `ringkv start --help` and `ringkv status --help` print the help too (bench has its own).
  if (
    command === undefined ||
    HELP_FLAGS.has(command) ||
    (command !== 'bench' && rest.some((a) => HELP_FLAGS.has(a)))
  ) {
    console.log(HELP);
    return;
  }
  if (command === 'start') return start(parseStartOptions(rest, process.env));
  if (command === 'hash-password') return hashPasswordCommand();
  if (command === 'status') return status(rest);
  if (command === 'backup') return backup(rest);
  if (command === 'bench') return benchCommand(rest);
  throw new KvError('BAD_REQUEST', `unknown command '${command}'; see ringkv --help`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`ringkv: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof KvError && error.code === 'BAD_REQUEST' ? 2 : 1);
});
