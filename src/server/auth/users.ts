// The users file (--users-file): one user per entry with a role and a scrypt password hash.
// Either JSON, `[{ "name": "alice", "role": "read", "hash": "scrypt$..." }, ...]` (or the same
// array under `"users"`), or lines of `name hash role` with `#` comments and blank lines.
import { KvError } from '../../errors.js';
import { isRole, ROLES, type Role } from './access.js';
import { type PasswordHash, parseHash } from './passwords.js';

export interface UserEntry {
  readonly name: string;
  readonly role: Role;
  readonly hash: PasswordHash;
}

/** User names: printable ASCII without spaces, as Redis's ACL user names. */
const USER_NAME = /^[\x21-\x7e]{1,128}$/;
const USERS_MAX = 10_000;

function entry(name: unknown, role: unknown, hash: unknown, where: string): UserEntry {
  if (typeof name !== 'string' || !USER_NAME.test(name)) {
    throw new KvError('BAD_REQUEST', `${where}: a user name is 1 to 128 printable characters without spaces`);
  }
  if (!isRole(role)) {
    throw new KvError('BAD_REQUEST', `${where}: user ${name} needs a role, one of ${ROLES.join(', ')}`);
  }
  if (typeof hash !== 'string') {
    throw new KvError('BAD_REQUEST', `${where}: user ${name} needs a password hash (ringkv hash-password)`);
  }
  return { name, role, hash: parseHash(hash, `${where}: user ${name}`) };
}

function fromJson(text: string, file: string): UserEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new KvError('BAD_REQUEST', `${file} is not valid JSON: ${(error as Error).message}`);
  }
  const list =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as { users?: unknown }).users
      : parsed;
  if (!Array.isArray(list)) {
    throw new KvError('BAD_REQUEST', `${file}: expected an array of users, or an object with "users"`);
  }
  return list.map((item: unknown, index) => {
    const { name, role, hash } = (item ?? {}) as Record<string, unknown>;
    return entry(name, role, hash, `${file} user #${index + 1}`);
  });
}

function fromLines(text: string, file: string): UserEntry[] {
  const users: UserEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const where = `${file}:${index + 1}`;
    if (fields.length !== 3) {
      throw new KvError('BAD_REQUEST', `${where}: expected 'name hash role', got ${fields.length} fields`);
    }
    users.push(entry(fields[0], fields[2], fields[1], where));
  }
  return users;
}

/** Parses a users file's text; `file` names it in messages. Names must be unique. */
export function parseUsers(text: string, file: string): Map<string, UserEntry> {
  const trimmed = text.trimStart();
  const list =
    trimmed.startsWith('[') || trimmed.startsWith('{') ? fromJson(text, file) : fromLines(text, file);
  if (list.length > USERS_MAX) throw new KvError('BAD_REQUEST', `${file} has more than ${USERS_MAX} users`);
  const users = new Map<string, UserEntry>();
  for (const user of list) {
    if (users.has(user.name)) throw new KvError('BAD_REQUEST', `${file}: user ${user.name} appears twice`);
    users.set(user.name, user);
  }
  return users;
}
