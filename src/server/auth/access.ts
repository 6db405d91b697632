// Who may run what: a role per user (read, write, admin) and an access level per command or
// HTTP route. Levels are small ordered numbers so that the check on every command is one
// comparison of two fields (`command.access > session.access`), with nothing allocated.

/** Commands any connection may send before authenticating: AUTH, HELLO, QUIT. */
export const ACCESS_OPEN = 0;
/** Reads, and the connection and introspection commands every authenticated user has. */
export const ACCESS_READ = 1;
/** Plus writes (SET, DEL, VPUT, ...). */
export const ACCESS_WRITE = 2;
/** Plus bucket properties, CONFIG and fault injection. */
export const ACCESS_ADMIN = 3;

export type AccessLevel = typeof ACCESS_OPEN | typeof ACCESS_READ | typeof ACCESS_WRITE | typeof ACCESS_ADMIN;

export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const LEVEL_OF_ROLE: Readonly<Record<Role, AccessLevel>> = {
  read: ACCESS_READ,
  write: ACCESS_WRITE,
  admin: ACCESS_ADMIN,
};

export function levelOfRole(role: Role): AccessLevel {
  return LEVEL_OF_ROLE[role];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The role name of a level, for messages; the open level is nobody's role. */
export function roleOfLevel(level: AccessLevel): Role | 'unauthenticated' {
  return ROLES.find((role) => LEVEL_OF_ROLE[role] === level) ?? 'unauthenticated';
}
