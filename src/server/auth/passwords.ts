// Password hashes: scrypt from node:crypto, stored as `scrypt$N$r$p$salt$hash` (salt and hash in
// base64) so the cost travels with the hash. Verification runs scrypt off the event loop (libuv's
// thread pool) and compares the derived keys with timingSafeEqual.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { KvError } from '../../errors.js';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** node:crypto's defaults: about 16 MiB and a few tens of milliseconds per hash. */
export const SCRYPT_PARAMS_DEFAULT: ScryptParams = { N: 16_384, r: 8, p: 1 };
/** A users file cannot make one login cost more than this (N = 2^20 with r = 8 is 1 GiB). */
const SCRYPT_N_MAX = 1 << 20;
const SCRYPT_R_MAX = 32;
const SCRYPT_P_MAX = 16;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PREFIX = 'scrypt';

export interface PasswordHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function deriveKey(password: string, salt: Buffer, params: ScryptParams, bytes: number): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; node's default maxmem (32 MiB) is below what N_MAX allows.
  const maxmem = 256 * params.N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, bytes, { ...params, maxmem }, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string, params = SCRYPT_PARAMS_DEFAULT): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  return { params, salt, key: await deriveKey(password, salt, params, KEY_BYTES) };
}

export function formatHash(hash: PasswordHash): string {
  const { N, r, p } = hash.params;
  return [PREFIX, N, r, p, hash.salt.toString('base64'), hash.key.toString('base64')].join('$');
}

function boundedInteger(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^[1-9][0-9]{0,9}$/.test(text)) return null;
  const value = Number(text);
  return value <= max ? value : null;
}

/** Reads `scrypt$N$r$p$salt$hash`; `where` names the place in messages (file and line). */
export function parseHash(text: string, where: string): PasswordHash {
  const parts = text.split('$');
  const N = boundedInteger(parts[1], SCRYPT_N_MAX);
  const r = boundedInteger(parts[2], SCRYPT_R_MAX);
  const p = boundedInteger(parts[3], SCRYPT_P_MAX);
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const key = Buffer.from(parts[5] ?? '', 'base64');
  if (
    parts.length !== 6 ||
    parts[0] !== PREFIX ||
    N === null ||
    (N & (N - 1)) !== 0 ||
    N < 2 ||
    r === null ||
    p === null ||
    salt.length === 0 ||
    key.length < 16
  ) {
    throw new KvError(
      'BAD_REQUEST',
      `${where}: the password hash must be scrypt$N$r$p$salt$hash (N a power of two up to ${SCRYPT_N_MAX}, r up to ${SCRYPT_R_MAX}, p up to ${SCRYPT_P_MAX}, salt and hash in base64); make one with \`ringkv hash-password\``,
    );
  }
  return { params: { N, r, p }, salt, key };
}

/** Whether `password` hashes to `hash`, compared in constant time. */
export async function verifyPassword(password: string, hash: PasswordHash): Promise<boolean> {
  const key = await deriveKey(password, hash.salt, hash.params, hash.key.length);
  return timingSafeEqual(key, hash.key);
}
