// AUTH [username] password, and the login HELLO ... AUTH shares with it. With a password or a
// users file configured, a successful login sets the connection's user and access level; a
// failed one answers WRONGPASS and leaves the connection as it was, as Redis does. Without
// either, AUTH behaves as Redis without requirepass: the user `default` is let in with any
// password, any other user is refused, and AUTH with only a password is an error.
import { KvError } from '../../../index.js';
import { ACCESS_OPEN } from '../../auth/access.js';
import { DEFAULT_USER } from '../../auth/authenticator.js';
import { OK } from '../encoder.js';
import { type CommandSpec, RespCommandError, type Session, syntaxError, text } from './spec.js';

const NO_PASSWORD_CONFIGURED =
  'AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';

function wrongPass(): RespCommandError {
  return new RespCommandError('WRONGPASS', 'invalid username-password pair or user is disabled.');
}

/** Logs the session in as `name` (null: the default user); rejects with WRONGPASS. */
export async function login(session: Session, name: string | null, password: string): Promise<void> {
  const auth = session.server.auth;
  if (auth === null) {
    if (name !== null && name !== DEFAULT_USER) throw wrongPass();
    return;
  }
  const user = await auth.authenticate(name, password, {
    address: session.client?.remoteIp ?? 'unknown',
    protocol: 'resp',
  });
  if (user === null) throw wrongPass();
  session.access = user.level;
  session.user = user.name;
}

export const auth: CommandSpec = {
  name: 'auth',
  arity: -2,
  flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
  access: ACCESS_OPEN,
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session, args) {
    if (args.length > 3) throw syntaxError();
    const name = args.length === 3 ? text(args[1] as Buffer) : null;
    if (session.server.auth === null && name === null)
      throw new KvError('BAD_REQUEST', NO_PASSWORD_CONFIGURED);
    return login(session, name, text(args[args.length - 1] as Buffer)).then(() => OK);
  },
};
