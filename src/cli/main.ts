// The ringkv command: `ringkv start` runs the engine behind the RESP and HTTP servers until
// SIGINT or SIGTERM, then shuts down in order (stop accepting, finish in-flight requests,
// commit and close LMDB, exit 0). `ringkv status` asks a running server's HTTP API.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KvError } from '../errors.js';
import { benchCommand } from '../loadgen/index.js';
import { open } from '../main/db.js';
import { startHttpServer } from '../server/http/server.js';
import { ServerMetrics } from '../server/metrics.js';
import { startRespServer } from '../server/resp/server.js';
import { type CliOptions, HELP, parseStartOptions } from './options.js';

/** The package's version, from package.json at the repository (or installed package) root. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

async function start(options: CliOptions): Promise<void> {
  const db = await open(options.engine);
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

async function status(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'http-port': { type: 'string', default: '8380' },
      bind: { type: 'string', default: '127.0.0.1' },
    },
  });
  const url = `http://${values.bind}:${values['http-port']}/stats`;
  const response = await fetch(url).catch((error: Error) => {
    throw new KvError('BAD_REQUEST', `no ringkv answers at ${url}: ${error.message}`);
  });
  console.log(JSON.stringify(await response.json(), null, 2));
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
  if (command === 'bench') return benchCommand(rest);
  throw new KvError('BAD_REQUEST', `unknown command '${command}'; see ringkv --help`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`ringkv: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof KvError && error.code === 'BAD_REQUEST' ? 2 : 1);
});
