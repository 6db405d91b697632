// Goal: `ringkv start` checks the TLS and port flags as a user meets them: flags that do not fit
// together exit 2 with a message, `--port 0` turns the plain port off, and SIGHUP reloads the
// TLS certificate of both APIs (a bad file keeps the old one). Method: bin/ringkv.js as a child
// process with certificates made by openssl.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import t from 'tap';
import { makeCerts } from '../fixtures/certs.js';
import { type Running, run, startServer } from '../fixtures/cli-process.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const SMALL = ['--workers', '2', '--partitions', '16', '--n', '1', '--r', '1', '--w', '1'];

async function stop(server: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  return exited;
}

/** Waits until the server's output matches. */
async function outputMatches(server: Running, pattern: RegExp): Promise<void> {
  while (!pattern.test(server.output())) {
    await new Promise((resolve) => {
      server.child.stdout?.once('data', resolve);
      server.child.stderr?.once('data', resolve);
    });
  }
}

t.test('flags that do not fit together are refused with exit code 2', async (t) => {
  const dir = freshDir(t, 'bad-flags');
  const cases: [string[], RegExp][] = [
    [['--port', '0', '--http-port', '0'], /every port is off/],
    [['--tls-port', 'auto'], /need --tls-cert-file and --tls-key-file/],
    [['--tls-cert-file', 'x.crt'], /--tls-cert-file needs --tls-port or --https-port/],
    [
      ['--tls-port', 'auto', '--tls-cert-file', 'a', '--tls-key-file', 'b', '--tls-auth-clients', 'yes'],
      /needs --tls-ca-cert-file/,
    ],
    [
      ['--tls-port', 'auto', '--tls-cert-file', '/nonexistent.crt', '--tls-key-file', 'b'],
      /cannot read --tls-cert-file/,
    ],
    [['--port', '70000'], /--port must be a port from 0 \(off\) to 65535, or auto/],
    [['--protected-mode', 'maybe'], /--protected-mode must be yes or no/],
  ];
  for (const [flags, message] of cases) {
    const result = await run(['start', '--dir', dir, ...flags]);
    t.equal(result.code, 2, flags.join(' '));
    t.match(result.stderr, message, flags.join(' '));
  }
});

/** The common name of the certificate a TLS port presents. */
async function peerName(port: number, ca: string): Promise<string> {
  const socket = connectTls({ host: '127.0.0.1', port, ca: readFileSync(ca) });
  await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const name = socket.getPeerCertificate().subject.CN;
  socket.destroy();
  return String(name);
}

t.test('--port 0 turns plain RESP off; SIGHUP reloads the TLS certificate of both APIs', async (t) => {
  const certs = await makeCerts(t);
  const first = await certs.issue('server-1');
  const second = await certs.issue('server-2');
  const live = { cert: join(certs.dir, 'live.crt'), key: join(certs.dir, 'live.key') };
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  const server = await startServer(freshDir(t, 'sighup'), [
    ...SMALL,
    '--port',
    '0',
    '--tls-port',
    'auto',
    '--https-port',
    'auto',
    '--tls-cert-file',
    live.cert,
    '--tls-key-file',
    live.key,
  ]);
  t.teardown(() => server.child.kill('SIGKILL'));
  t.equal(server.port, 0, 'no plain RESP listener');
  t.notMatch(server.output(), /RESP on /);
  t.ok(server.tlsPort > 0 && server.httpsPort > 0 && server.httpPort > 0);
  t.equal(await peerName(server.tlsPort, certs.ca.cert), 'server-1');

  copyFileSync(second.cert, live.cert);
  copyFileSync(second.key, live.key);
  server.child.kill('SIGHUP');
  await outputMatches(server, /SIGHUP: TLS certificate reloaded/);
  t.equal(await peerName(server.tlsPort, certs.ca.cert), 'server-2', 'RESP presents the new certificate');
  t.equal(await peerName(server.httpsPort, certs.ca.cert), 'server-2', 'HTTPS too');

  writeFileSync(live.cert, 'not a certificate');
  server.child.kill('SIGHUP');
  await outputMatches(server, /SIGHUP: keeping the old TLS certificate/);
  t.equal(await peerName(server.tlsPort, certs.ca.cert), 'server-2', 'a bad file keeps the old one');
  t.equal(await stop(server), 0);
});
