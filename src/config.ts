// The one configuration of a ringkv instance: parsed and validated once, with messages that
// name the setting and the limit. Everything downstream takes a Config and trusts it.
import { availableParallelism } from 'node:os';
import type { Policy } from './clock/index.js';
import {
  BUCKETS_MAX_DEFAULT,
  KEY_BYTES_MAX_DEFAULT,
  LMDB_MAP_BYTES_DEFAULT,
  N_DEFAULT,
  PARTITION_COUNT_MAX,
  R_DEFAULT,
  REQUEST_TIMEOUT_MS_DEFAULT,
  RING_BYTES_DEFAULT,
  TOMBSTONE_GRACE_MS_DEFAULT,
  VALUE_BYTES_MAX_DEFAULT,
  W_DEFAULT,
  WORKER_COUNT_MAX,
} from './constants.js';
import { KvError } from './errors.js';
import type { Durability } from './storage/store.js';

export interface OpenOptions {
  /** Data directory (created if missing). Required. */
  dir: string;
  /** Worker threads. Default: the existing directory's count, else max(n, cores). */
  workers?: number;
  /** Partitions (a power of two), fixed when the directory is created. Default 256. */
  partitions?: number;
  /** Replicas per key, and the read and write quorums, of the default bucket. Default 3/2/2. */
  n?: number;
  r?: number;
  w?: number;
  /** Conflict policy of the default bucket: keep concurrent versions as siblings, or last write wins. */
  policy?: Policy;
  /** When a write is acknowledged: on commit (default), after fsync, or before the OS has it durable. */
  durability?: Durability;
  maxKeyBytes?: number;
  maxValueBytes?: number;
  requestTimeoutMs?: number;
  /** Bytes of each thread-to-thread ring. Default 8 MiB; a frame may use half. */
  ringBytes?: number;
  /** LMDB map size per worker (the most its data may grow to). Default 64 GiB (address space, not memory). */
  mapBytes?: number;
  /** How old a tombstone must be before it may be purged. Default 60 s. */
  tombstoneGraceMs?: number;
  /** Buckets with stored props (set, or written to) at most. Default 10,000. */
  maxBuckets?: number;
}

export interface BucketProps {
  n: number;
  r: number;
  w: number;
  policy: Policy;
}

/** Props as given: r and w may be Riak's symbolic quorums, stored as the number they mean. */
export type BucketPropsInput = Partial<Omit<BucketProps, 'r' | 'w'>> & {
  r?: number | SymbolicQuorum;
  w?: number | SymbolicQuorum;
};

export interface Config {
  dir: string;
  workers: number | undefined;
  partitions: number | undefined;
  defaultBucket: BucketProps;
  durability: Durability;
  maxKeyBytes: number;
  maxValueBytes: number;
  requestTimeoutMs: number;
  ringBytes: number;
  mapBytes: number;
  tombstoneGraceMs: number;
  maxBuckets: number;
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new KvError(
      'BAD_REQUEST',
      `${name} must be an integer from ${min} to ${max}${name === 'r' || name === 'w' ? " or 'one', 'quorum', 'all', 'default'" : ''}; got ${String(value)}`,
    );
  }
  return value;
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && (value & (value - 1)) === 0;
}

/**
 * One worker per core, and at least n so every replica of a key has its own thread. More
 * workers than cores only add thread hops and context switches per request (measured: on 2
 * cores, 4 workers cost more CPU per request than 3).
 */
export function defaultWorkerCount(n: number): number {
  return Math.min(WORKER_COUNT_MAX, Math.max(n, availableParallelism()));
}

export function checkPolicy(value: unknown): Policy {
  if (value !== 'siblings' && value !== 'lww') {
    throw new KvError('BAD_REQUEST', `policy must be 'siblings' or 'lww'; got ${String(value)}`);
  }
  return value;
}

/** Riak's symbolic quorums, accepted wherever r or w is: in props and in ?r= / ?w=. */
export const SYMBOLIC_QUORUMS = ['one', 'quorum', 'all', 'default'] as const;
export type SymbolicQuorum = (typeof SYMBOLIC_QUORUMS)[number];

/**
 * r or w as a number for a bucket of n replicas: 'one' is 1, 'quorum' a majority
 * (floor(n/2)+1), 'all' is n, 'default' (or nothing) is `fallback`; a number is kept for the
 * range check. Props store the number, so a later change of n does not change r or w.
 */
export function resolveQuorum(value: unknown, n: number, fallback: number): unknown {
  if (value === undefined || value === 'default') return fallback;
  if (value === 'one') return 1;
  if (value === 'quorum') return Math.floor(n / 2) + 1;
  if (value === 'all') return n;
  return value;
}

/** Validates n, r, w and policy together; `workers` bounds n when known. */
export function checkBucketProps(props: BucketPropsInput, base: BucketProps, workers?: number): BucketProps {
  if (props.n === undefined && workers !== undefined && base.n > workers) {
    throw new KvError(
      'BAD_REQUEST',
      `n=${base.n} (the default) needs ${base.n} workers and there are ${workers}: set n to at most ${workers} (ringkv start --n ${workers}; n: ${workers} in open()) or use more workers`,
    );
  }
  const n = integer('n', props.n ?? base.n, 1, workers ?? WORKER_COUNT_MAX);
  const r = integer('r', resolveQuorum(props.r, n, Math.min(base.r, n)), 1, n);
  const w = integer('w', resolveQuorum(props.w, n, Math.min(base.w, n)), 1, n);
  return { n, r, w, policy: checkPolicy(props.policy ?? base.policy) };
}

export function parseConfig(options: OpenOptions): Config {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) {
    throw new KvError('BAD_REQUEST', 'open() needs a data directory: open({ dir })');
  }
  const workers =
    options.workers === undefined ? undefined : integer('workers', options.workers, 1, WORKER_COUNT_MAX);
  const partitions =
    options.partitions === undefined
      ? undefined
      : integer('partitions', options.partitions, 1, PARTITION_COUNT_MAX);
  if (partitions !== undefined && !isPowerOfTwo(partitions)) {
    throw new KvError('BAD_REQUEST', `partitions must be a power of two; got ${partitions}`);
  }
  const durability = options.durability ?? 'commit';
  if (durability !== 'commit' && durability !== 'sync' && durability !== 'async') {
    throw new KvError(
      'BAD_REQUEST',
      `durability must be 'commit', 'sync' or 'async'; got ${String(durability)}`,
    );
  }
  const base: BucketProps = { n: N_DEFAULT, r: R_DEFAULT, w: W_DEFAULT, policy: 'siblings' };
  const ringBytes = integer(
    'ringBytes',
    options.ringBytes ?? RING_BYTES_DEFAULT,
    64 * 1024,
    1024 * 1024 * 1024,
  );
  if (!isPowerOfTwo(ringBytes))
    throw new KvError('BAD_REQUEST', `ringBytes must be a power of two; got ${ringBytes}`);
  const maxValueBytes = integer(
    'maxValueBytes',
    options.maxValueBytes ?? VALUE_BYTES_MAX_DEFAULT,
    0,
    ringBytes / 4,
  );
  return {
    dir: options.dir,
    workers,
    partitions,
    defaultBucket: checkBucketProps(options, base, workers),
    durability,
    maxKeyBytes: integer('maxKeyBytes', options.maxKeyBytes ?? KEY_BYTES_MAX_DEFAULT, 1, 65_535),
    maxValueBytes,
    requestTimeoutMs: integer(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT,
      1,
      3_600_000,
    ),
    ringBytes,
    mapBytes: integer(
      'mapBytes',
      options.mapBytes ?? LMDB_MAP_BYTES_DEFAULT,
      1024 * 1024,
      Number.MAX_SAFE_INTEGER,
    ),
    tombstoneGraceMs: integer(
      'tombstoneGraceMs',
      options.tombstoneGraceMs ?? TOMBSTONE_GRACE_MS_DEFAULT,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    maxBuckets: integer('maxBuckets', options.maxBuckets ?? BUCKETS_MAX_DEFAULT, 1, 10_000_000),
  };
}
