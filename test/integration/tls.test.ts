// Goal: RESP and HTTP over TLS work with real clients and certificates made for the test; a
// client that does not speak TLS is refused without harm; client certificates are checked as
// --tls-auth-clients says. Method: openssl makes a CA and certificates; redis-cli --tls, ioredis
// and node:tls connect to the RESP TLS port, curl --cacert and fetch to the HTTPS port.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as connectPlain } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import t from 'tap';
import { runBench } from '../../src/loadgen/index.js';
import { WORKLOADS } from '../../src/loadgen/workloads.js';
import { readSecureContext, type TlsAuthClients } from '../../src/server/tls.js';
import { makeCerts } from '../fixtures/certs.js';
import { DEFAULT_PASSWORD, startSecureStack } from '../fixtures/secure-stack.js';

const exec = promisify(execFile);
const certs = await makeCerts(t);
const server = await certs.issue('server-1');
const client = await certs.issue('client-1', { server: false });
const stranger = await certs.issue('stranger', { issuer: certs.otherCa, server: false });

function tlsListener(authClients: TlsAuthClients) {
  return {
    port: 0,
    authClients,
    context: readSecureContext({
      certFile: server.cert,
      keyFile: server.key,
      caCertFile: certs.ca.cert,
      authClients,
    }),
  };
}

/** Opens a TLS connection and sends PING; resolves with the reply, or the error that ended it. */
async function tlsPing(port: number, pair?: { cert: string; key: string }): Promise<string> {
  const socket = connectTls({
    host: '127.0.0.1',
    port,
    ca: readFileSync(certs.ca.cert),
    ...(pair === undefined ? {} : { cert: readFileSync(pair.cert), key: readFileSync(pair.key) }),
  });
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    socket.end();
  });
  socket.on('error', (error) => {
    text += `error: ${error.message}`;
  });
  socket.once('secureConnect', () => socket.write('PING\r\n'));
  // Not events.once: it rejects on 'error', and a refused handshake is an outcome here.
  await new Promise((resolve) => socket.once('close', resolve));
  return text;
}

const stack = await startSecureStack(t, 'tls', { tls: tlsListener('no'), plainPort: null });

t.test('the plain listeners are off when their port is null; the TLS ones are up', async (t) => {
  t.equal(stack.resp.port, 0);
  t.equal(stack.http.port, 0);
  t.ok(stack.resp.tlsPort > 0);
  t.ok(stack.http.tlsPort > 0);
});

t.test('redis-cli --tls --cacert logs in and reads and writes', async (t) => {
  const cli = async (...args: string[]) =>
    (
      await exec('redis-cli', [
        '--tls',
        '--cacert',
        certs.ca.cert,
        '-h',
        '127.0.0.1',
        '-p',
        String(stack.resp.tlsPort),
        '--no-auth-warning',
        ...args,
      ])
    ).stdout.trim();
  t.equal(await cli('-a', DEFAULT_PASSWORD, 'SET', 'tls:k', 'over-tls'), 'OK');
  t.equal(await cli('--user', 'reader', '--pass', 'reader-pass', 'GET', 'tls:k'), 'over-tls');
  t.equal(await cli('GET', 'tls:k'), 'NOAUTH Authentication required.', 'TLS does not replace the password');
});

t.test('ioredis and node:tls connect with the CA certificate', async (t) => {
  const redis = new Redis({
    port: stack.resp.tlsPort,
    host: '127.0.0.1',
    password: DEFAULT_PASSWORD,
    tls: { ca: readFileSync(certs.ca.cert) },
    lazyConnect: true,
  });
  t.teardown(() => redis.disconnect());
  await redis.connect();
  t.equal(await redis.get('tls:k'), 'over-tls');
  const socket = connectTls({ host: '127.0.0.1', port: stack.resp.tlsPort, ca: readFileSync(certs.ca.cert) });
  await once(socket, 'secureConnect');
  t.ok(socket.authorized, 'the server certificate verifies against the CA');
  t.equal((socket as TLSSocket).getPeerCertificate().subject.CN, 'server-1');
  socket.write('PING\r\n');
  const [reply] = await once(socket, 'data');
  t.equal(String(reply), '-NOAUTH Authentication required.\r\n');
  socket.destroy();
});

t.test('a plain-text client on the TLS port is disconnected and the server keeps serving', async (t) => {
  const socket = connectPlain(stack.resp.tlsPort, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  const accepted = stack.resp.stats().connectionsReceived;
  socket.write('*1\r\n$4\r\nPING\r\n');
  await new Promise((resolve) => socket.once('close', resolve));
  t.notMatch(received, /PONG|NOAUTH/, 'it got no RESP reply');
  t.equal(stack.resp.stats().connectionsReceived, accepted, 'no RESP connection was opened for it');
  t.equal(
    await tlsPing(stack.resp.tlsPort),
    '-NOAUTH Authentication required.\r\n',
    'TLS clients still connect',
  );
});

t.test('curl --cacert reaches the HTTPS API', async (t) => {
  const url = `https://127.0.0.1:${stack.http.tlsPort}`;
  const health = await exec('curl', ['-s', '--cacert', certs.ca.cert, `${url}/health`]);
  t.match(JSON.parse(health.stdout), { status: 'ok' });
  const denied = await exec('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    certs.ca.cert,
    `${url}/stats`,
  ]);
  t.equal(denied.stdout, '401');
  const stats = await exec('curl', [
    '-s',
    '--cacert',
    certs.ca.cert,
    '-u',
    'reader:reader-pass',
    `${url}/stats`,
  ]);
  t.ok('uptimeMs' in JSON.parse(stats.stdout), 'a reader gets /stats over HTTPS');
  const plain = await exec('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    `http://127.0.0.1:${stack.http.tlsPort}/health`,
  ]).catch((error: { stdout: string }) => error);
  t.not(plain.stdout, '200', 'plain HTTP on the HTTPS port gets no answer');
});

t.test('--tls-auth-clients yes requires a certificate the CA signed', async (t) => {
  const strict = await startSecureStack(t, 'tls-yes', {
    tls: tlsListener('yes'),
    auth: false,
    plainPort: null,
  });
  const port = strict.resp.tlsPort;
  t.match(await tlsPing(port), /error|^$/, 'without a client certificate the handshake fails');
  t.match(await tlsPing(port, stranger), /error|^$/, "with another CA's certificate too");
  t.equal(await tlsPing(port, client), '+PONG\r\n', 'with one the CA signed it is served');
  const cli = await exec('redis-cli', [
    '--tls',
    '--cacert',
    certs.ca.cert,
    '--cert',
    client.cert,
    '--key',
    client.key,
    '-p',
    String(port),
    'PING',
  ]);
  t.equal(cli.stdout.trim(), 'PONG', 'redis-cli --cert --key');
  const https = await exec('curl', [
    '-s',
    '--cacert',
    certs.ca.cert,
    '--cert',
    client.cert,
    '--key',
    client.key,
    `https://127.0.0.1:${strict.http.tlsPort}/health`,
  ]);
  t.match(JSON.parse(https.stdout), { status: 'ok' }, 'curl --cert on HTTPS');
});

t.test('--tls-auth-clients optional serves clients without a certificate, not with a bad one', async (t) => {
  const optional = await startSecureStack(t, 'tls-optional', {
    tls: tlsListener('optional'),
    auth: false,
    plainPort: null,
  });
  const port = optional.resp.tlsPort;
  t.equal(await tlsPing(port), '+PONG\r\n', 'no certificate');
  t.equal(await tlsPing(port, client), '+PONG\r\n', 'a good certificate');
  t.notMatch(await tlsPing(port, stranger), /PONG/, 'a certificate from another CA is refused');
});

t.test('ringkv bench --tls drives the TLS port: every operation answered, none failed', async (t) => {
  const open = await startSecureStack(t, 'tls-bench', {
    tls: tlsListener('no'),
    auth: false,
    plainPort: null,
  });
  const before = open.resp.stats().commandsProcessed;
  for (const workload of ['write', 'C'] as const) {
    const result = await runBench({
      host: '127.0.0.1',
      port: open.resp.tlsPort,
      tls: { ca: readFileSync(certs.ca.cert) },
      clients: 4,
      pipeline: 4,
      durationS: undefined,
      requests: 400,
      warmupS: 0,
      workload: WORKLOADS[workload],
      keys: 100,
      distribution: 'uniform',
      valueBytes: 20,
      load: workload === 'write',
      loadPipeline: 16,
      seed: 1,
    });
    const total = result.ops.find((row) => row.op === 'total');
    t.equal(total?.count, 400, `${workload}: 400 operations measured`);
    t.same(total?.errors, {}, `${workload}: no errors`);
  }
  t.ok(open.resp.stats().commandsProcessed - before >= 900, 'the server answered them (and the load phase)');
});
