// Checks credentials for both APIs: the `default` user (--requirepass) and the users file. A
// check runs scrypt in the thread pool and compares in constant time; unknown users are checked
// against a dummy hash so that timing does not tell which names exist. Failures are counted in
// /metrics, logged without the password, and slow down further attempts from their address.
// Successful logins are remembered under an HMAC with a per-process key, so an HTTP client that
// sends its password with every request pays for scrypt once, not per request.
import { createHmac, randomBytes } from 'node:crypto';
import {
  AUTH_ADDRESSES_MAX,
  AUTH_CACHE_ENTRIES_MAX,
  AUTH_DELAY_MS_BASE,
  AUTH_DELAY_MS_MAX,
  AUTH_FAILURE_WINDOW_MS,
  AUTH_FAILURES_FREE,
  AUTH_WAIT_MS_MAX,
} from '../../constants.js';
import type { Protocol, ServerMetrics } from '../metrics.js';
import { type AccessLevel, levelOfRole, type Role } from './access.js';
import { hashPassword, type PasswordHash, verifyPassword } from './passwords.js';
import type { UserEntry } from './users.js';

/** The user `AUTH password` (one argument) logs in as, as in Redis. */
export const DEFAULT_USER = 'default';

export interface AuthUser {
  readonly name: string;
  readonly role: Role;
  readonly level: AccessLevel;
}

/** Where a login attempt comes from, for the throttle, the log and the metrics. */
export interface Peer {
  /** The client's IP address (without its port). */
  readonly address: string;
  readonly protocol: Protocol;
}

interface FailureRecord {
  count: number;
  lastFailureMs: number;
  /** The earliest time the next attempt from this address is checked. */
  notBeforeMs: number;
}

export class Authenticator {
  private readonly users: ReadonlyMap<string, UserEntry>;
  private readonly dummy: PasswordHash;
  private readonly metrics: ServerMetrics;
  private readonly log: (line: string) => void;
  private readonly failures = new Map<string, FailureRecord>();
  private readonly cacheKey = randomBytes(32);
  private readonly verified = new Map<string, AuthUser>();

  private constructor(
    users: ReadonlyMap<string, UserEntry>,
    dummy: PasswordHash,
    metrics: ServerMetrics,
    log: (line: string) => void,
  ) {
    this.users = users;
    this.dummy = dummy;
    this.metrics = metrics;
    this.log = log;
  }

  /**
   * An authenticator for the users of the file plus, with `password`, the admin user `default`.
   * The default user's password is hashed here (once, at start) and kept only as its hash.
   */
  static async create(options: {
    password?: string;
    users?: ReadonlyMap<string, UserEntry>;
    metrics: ServerMetrics;
    log?: (line: string) => void;
  }): Promise<Authenticator> {
    const users = new Map(options.users ?? []);
    if (options.password !== undefined) {
      users.set(DEFAULT_USER, {
        name: DEFAULT_USER,
        role: 'admin',
        hash: await hashPassword(options.password),
      });
    }
    const dummy = await hashPassword(randomBytes(16).toString('hex'));
    return new Authenticator(users, dummy, options.metrics, options.log ?? ((line) => console.warn(line)));
  }

  /** The user the credentials name, or null; `name` null means the default user. */
  async authenticate(name: string | null, password: string, peer: Peer): Promise<AuthUser | null> {
    const userName = name ?? DEFAULT_USER;
    const waitMs = this.reserveAttempt(peer.address);
    if (waitMs > AUTH_WAIT_MS_MAX) {
      this.failed(userName, peer, 'throttled');
      return null;
    }
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    const cacheKey = createHmac('sha256', this.cacheKey)
      .update(userName)
      .update('\0')
      .update(password)
      .digest('base64');
    const cached = this.verified.get(cacheKey);
    if (cached !== undefined) {
      this.failures.delete(peer.address);
      return cached;
    }
    const entry = this.users.get(userName);
    const matches = await verifyPassword(password, entry?.hash ?? this.dummy);
    if (entry === undefined || !matches) {
      this.failed(userName, peer, 'bad_credentials');
      return null;
    }
    this.failures.delete(peer.address);
    const user: AuthUser = { name: entry.name, role: entry.role, level: levelOfRole(entry.role) };
    if (this.verified.size >= AUTH_CACHE_ENTRIES_MAX)
      this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(cacheKey, user);
    return user;
  }

  /** How long this attempt must wait, reserving its turn among the attempts of its address. */
  private reserveAttempt(address: string): number {
    const record = this.failures.get(address);
    if (record === undefined) return 0;
    const nowMs = Date.now();
    if (nowMs - record.lastFailureMs > AUTH_FAILURE_WINDOW_MS) {
      this.failures.delete(address);
      return 0;
    }
    if (record.count < AUTH_FAILURES_FREE) return 0;
    const delayMs = Math.min(
      AUTH_DELAY_MS_MAX,
      AUTH_DELAY_MS_BASE * 2 ** (record.count - AUTH_FAILURES_FREE),
    );
    const startMs = Math.max(nowMs, record.notBeforeMs) + delayMs;
    if (startMs - nowMs > AUTH_WAIT_MS_MAX) return startMs - nowMs;
    record.notBeforeMs = startMs;
    return startMs - nowMs;
  }

  private failed(userName: string, peer: Peer, reason: 'bad_credentials' | 'throttled'): void {
    const nowMs = Date.now();
    let record = this.failures.get(peer.address);
    if (record === undefined) {
      if (this.failures.size >= AUTH_ADDRESSES_MAX) {
        this.failures.delete(this.failures.keys().next().value as string);
      }
      record = { count: 0, lastFailureMs: nowMs, notBeforeMs: 0 };
      this.failures.set(peer.address, record);
    }
    record.count++;
    record.lastFailureMs = nowMs;
    this.metrics.authFailed(peer.protocol, reason);
    const shownName = JSON.stringify(userName.slice(0, 64));
    const why =
      reason === 'throttled' ? 'refused unchecked, too many attempts waiting' : 'wrong user or password';
    this.log(
      `ringkv: authentication failed (${why}) for user ${shownName} from ${peer.address} over ${peer.protocol} (failed attempts in a row from this address: ${record.count})`,
    );
  }
}
