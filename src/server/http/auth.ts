// Credentials on the HTTP API: `Authorization: Basic base64(user:password)` (an empty user is
// the default user) or `Authorization: Bearer password` (the default user's password, as
// `AUTH password` over RESP). Missing or wrong credentials answer 401 with a
// WWW-Authenticate challenge; a user whose role is below the route's answers 403.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AccessLevel, roleOfLevel } from '../auth/access.js';
import type { Authenticator } from '../auth/authenticator.js';
import { HttpError } from './reply.js';

const CHALLENGE = 'Basic realm="ringkv", charset="UTF-8"';
/** Longer Authorization headers are refused unread: no password is this long. */
const AUTHORIZATION_CHARS_MAX = 4096;

function unauthorized(res: ServerResponse, message: string): HttpError {
  res.setHeader('WWW-Authenticate', CHALLENGE);
  return new HttpError(401, 'UNAUTHORIZED', message);
}

/** The user name (null: default) and password an Authorization header carries, or null. */
function credentials(header: string): [string | null, string] | null {
  const space = header.indexOf(' ');
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value === '' ? null : [null, value];
  if (scheme !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const name = decoded.slice(0, colon);
  return [name === '' ? null : name, decoded.slice(colon + 1)];
}

/** Throws 401 or 403 unless the request's credentials reach `access`. */
export async function authorize(
  auth: Authenticator,
  req: IncomingMessage,
  res: ServerResponse,
  access: AccessLevel,
): Promise<void> {
  const header = req.headers.authorization;
  if (header === undefined) {
    throw unauthorized(
      res,
      'authentication required: send Authorization: Basic (user:password) or Bearer (password)',
    );
  }
  const given = header.length <= AUTHORIZATION_CHARS_MAX ? credentials(header) : null;
  if (given === null) {
    throw unauthorized(
      res,
      'the Authorization header must be Basic base64(user:password) or Bearer password',
    );
  }
  const user = await auth.authenticate(given[0], given[1], {
    address: req.socket.remoteAddress ?? 'unknown',
    protocol: 'http',
  });
  if (user === null) throw unauthorized(res, 'invalid username-password pair');
  if (user.level < access) {
    throw new HttpError(
      403,
      'FORBIDDEN',
      `user ${user.name} has the ${user.role} role; ${req.method} ${(req.url ?? '').slice(0, 200)} needs ${roleOfLevel(access)}`,
    );
  }
}
