// The ringkv command: `ringkv start` runs the engine behind the RESP and HTTP servers until
// SIGINT or SIGTERM, then shuts down in order (stop accepting, finish in-flight requests,
// commit and close LMDB, exit 0); health changes are logged on stderr as they happen.
// `ringkv status` and `ringkv backup` ask a running server's HTTP API.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KvError } from '../errors.js';
import { benchCommand } from '../loadgen/index.js';
import { open } from '../main/db.js';
import { formatEvent } from '../main/events.js';
import { startHttpServer } from '../server/http/server.js';
import { ServerMetrics } from '../server/metrics.js';
import { startRespServer } from '../server/resp/server.js';
import { type CliOptions, HELP, parseStartOptions } from './options.js';
import { type BackupBody, type StatsBody, statusTable } from './status-table.js';

/** The package's version, from package.json at the repository (or installed package) root. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Fails fast, before the data directory is created, when a port is taken. */
async function checkPortFree(host: string, port: number, flag: string): Promise<void> {
  if (port === 0) return;
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

async function start(options: CliOptions): Promise<void> {
  await checkPortFree(options.resp.host, options.resp.port, '--port');
  await checkPortFree(options.http.host, options.http.port, '--http-port');
  const db = await open(options.engine);
  // Every health change and repair burst, one timestamped line each, on stderr.
  db.onEvent((event) => console.error(formatEvent(event)));
  for (const warning of db.warnings) console.error(`ringkv: warning: ${warning}`);
  const metrics = new ServerMetrics();
  const resp = await startRespServer(db, { ...options.resp, metrics });
  const http = await startHttpServer(db, { ...options.http, metrics });
  const { partitionCount, workerCount } = db.ring;
  const { n, r, w } = db.props;
  console.log(
    `ringkv ${VERSION}: data in ${options.engine.dir}: ${workerCount} workers, ${partitionCount} partitions, default bucket n=${n} r=${r} w=${w}, durability ${db.config.durability}`,
  );
  console.log(`ringkv: RESP on ${options.resp.host}:${resp.port}, HTTP on ${options.http.host}:${http.port}`);
  console.log(`ringkv: dashboard at ${dashboardUrl(options.http.host, http.port)}`);

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
function dashboardUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  return `http://${reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable}:${port}/`;
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

async function request(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, init).catch((error: Error) => {
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
  if (command === 'start') return start(parseStartOptions(rest));
  if (command === 'status') return status(rest);
  if (command === 'backup') return backup(rest);
  if (command === 'bench') return benchCommand(rest);
  throw new KvError('BAD_REQUEST', `unknown command '${command}'; see ringkv --help`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`ringkv: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof KvError && error.code === 'BAD_REQUEST' ? 2 : 1);
});
