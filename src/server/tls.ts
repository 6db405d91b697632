// TLS for both APIs, with Redis's option names: a certificate and key, an optional CA that
// client certificates are checked against, and --tls-auth-clients no|optional|yes. The files
// are read at start and again on SIGHUP (setSecureContext), so certificates renew without a
// restart; a bad file fails the start, or the reload, with a message naming the flag.
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import { TLS_HANDSHAKE_TIMEOUT_MS } from '../constants.js';
import { KvError } from '../errors.js';

export const TLS_AUTH_CLIENTS = ['no', 'optional', 'yes'] as const;
export type TlsAuthClients = (typeof TLS_AUTH_CLIENTS)[number];

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA certificates client certificates must chain to; needed unless authClients is 'no'. */
  caCertFile: string | undefined;
  authClients: TlsAuthClients;
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new KvError('BAD_REQUEST', `cannot read ${flag} ${path}: ${(error as Error).message}`);
  }
}

/** Reads the certificate, key and CA files and checks that they make a usable context. */
export function readSecureContext(files: TlsFiles): SecureContextOptions {
  const context: SecureContextOptions = {
    cert: readFlagFile('--tls-cert-file', files.certFile),
    key: readFlagFile('--tls-key-file', files.keyFile),
  };
  if (files.caCertFile !== undefined) context.ca = readFlagFile('--tls-ca-cert-file', files.caCertFile);
  try {
    createSecureContext(context);
  } catch (error) {
    throw new KvError(
      'BAD_REQUEST',
      `--tls-cert-file ${files.certFile} and --tls-key-file ${files.keyFile} do not make a TLS context: ${(error as Error).message}`,
    );
  }
  return context;
}

/** What a TLS listener needs: the secure context and whether to ask for client certificates. */
export interface TlsListenerOptions {
  port: number;
  context: SecureContextOptions;
  authClients: TlsAuthClients;
}

/** node:tls server options for a listener: `yes` rejects clients without a valid certificate. */
export function tlsServerOptions(options: TlsListenerOptions): TlsOptions {
  return {
    ...options.context,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    requestCert: options.authClients !== 'no',
    rejectUnauthorized: options.authClients === 'yes',
  };
}

/**
 * With `optional`, node:tls lets any certificate through (rejectUnauthorized is off so that
 * clients without one connect); a client that shows a certificate the CA does not vouch for is
 * refused here, as Redis does.
 */
export function clientCertificateRefused(socket: TLSSocket, authClients: TlsAuthClients): boolean {
  if (authClients !== 'optional' || socket.authorized) return false;
  return Object.keys(socket.getPeerCertificate()).length > 0;
}
