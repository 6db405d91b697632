// The servers under test as child processes: ringkv (`bin/ringkv.js start` on a fresh data
// directory) and, when it is on the PATH, redis-server (AOF on, fsync every second, no RDB
// snapshots). Each is ready when it prints its ready line, and stops on SIGTERM. Ports come
// from the kernel (listen on port 0); a start that loses the port to another process retries.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';

/** The repository root, from dist/bench/server/ (compiled) or bench/server/ (sources). */
export const REPO_ROOT = resolve(
  import.meta.dirname,
  import.meta.dirname.includes(`${join('dist', 'bench')}`) ? '../../..' : '../..',
);
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;
const OUTPUT_CHARS_MAX = 16_384;

/** Servers still running: if this process exits on an error, they are told to stop too. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

export interface ServerProcess {
  name: string;
  host: string;
  port: number;
  /** Its process id: the generator measures its CPU per request through /proc. */
  pid: number | undefined;
  /** ringkv's RESP-over-TLS port, when started with a certificate. */
  tls?: { port: number; caFile: string };
  /** The process's output so far (the tail), for error messages. */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL only past STOP_TIMEOUT_MS). */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no port from the kernel'));
      });
    });
  });
}

/**
 * A self-signed certificate for 127.0.0.1 made with the openssl CLI (an EC key, as a modern
 * server would use), or why there is none.
 */
export function selfSignedCert(dir: string): { certFile: string; keyFile: string } | { missing: string } {
  const openssl = onPath('openssl');
  if (openssl === undefined) return { missing: 'not measured (openssl not on PATH to make a certificate)' };
  const certFile = join(dir, 'bench-tls.crt');
  const keyFile = join(dir, 'bench-tls.key');
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

/** The path of an executable on the PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Spawns `command` and resolves once a line of its output matches `ready`. */
function spawnReady(name: string, command: string, args: string[], ready: RegExp, port: number) {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const exited = new Promise<void>((resolveExit) =>
    child.once('exit', () => {
      running.delete(child);
      resolveExit();
    }),
  );
  const server: ServerProcess = {
    name,
    host: '127.0.0.1',
    port,
    pid: child.pid,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise<ServerProcess>((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not get ready within ${READY_TIMEOUT_MS} ms:\n${output}`));
    }, READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_CHARS_MAX);
      if (ready.test(output)) {
        clearTimeout(timer);
        resolveStart(server);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });
}

async function withRetries(start: () => Promise<ServerProcess>): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const lostPort = /EADDRINUSE|Address already in use/.test((error as Error).message);
      if (!lostPort || attempt === START_ATTEMPTS) throw error;
    }
  }
}

export interface RingkvStart {
  dir: string;
  n?: number;
  r?: number;
  w?: number;
  workers?: number;
  extraArgs?: string[];
  /** A self-signed certificate (PEM) and key: ringkv also listens for RESP over TLS with them. */
  tls?: { certFile: string; keyFile: string };
}

export function startRingkv(options: RingkvStart): Promise<ServerProcess> {
  mkdirSync(options.dir, { recursive: true });
  return withRetries(async () => {
    const [port, httpPort] = [await freePort(), await freePort()];
    const args = [join(REPO_ROOT, 'bin', 'ringkv.js'), 'start', '--dir', options.dir];
    args.push('--port', String(port), '--http-port', String(httpPort));
    for (const flag of ['n', 'r', 'w', 'workers'] as const) {
      const value = options[flag];
      if (value !== undefined) args.push(`--${flag}`, String(value));
    }
    args.push(...(options.extraArgs ?? []));
    const tlsPort = options.tls === undefined ? undefined : await freePort();
    if (options.tls !== undefined) {
      args.push('--tls-port', String(tlsPort), '--tls-cert-file', options.tls.certFile);
      args.push('--tls-key-file', options.tls.keyFile);
    }
    const server = await spawnReady('ringkv', process.execPath, args, /RESP on /, port);
    if (options.tls !== undefined && tlsPort !== undefined) {
      server.tls = { port: tlsPort, caFile: options.tls.certFile };
    }
    return server;
  });
}

export interface RedisStart {
  dir: string;
  /** AOF with fsync every second (the suite's reference), or no persistence at all. */
  appendonly: boolean;
}

export function startRedis(options: RedisStart): Promise<ServerProcess> {
  const command = onPath('redis-server');
  if (command === undefined) return Promise.reject(new Error('redis-server is not on PATH'));
  mkdirSync(options.dir, { recursive: true });
  return withRetries(async () => {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', options.dir];
    args.push('--appendonly', options.appendonly ? 'yes' : 'no', '--appendfsync', 'everysec');
    args.push('--daemonize', 'no', '--logfile', '');
    return spawnReady('redis-server', command, args, /Ready to accept connections/, port);
  });
}
