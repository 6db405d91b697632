// Every bound and default of ringkv in one place, units last. The asserts at the bottom
// relate them, so a change that breaks an invariant fails at load time, not under load.
import assert from 'node:assert/strict';

export const PARTITION_COUNT_DEFAULT = 256;
export const PARTITION_COUNT_MAX = 65_536;
export const WORKER_COUNT_MAX = 64;
export const N_DEFAULT = 3;
export const R_DEFAULT = 2;
export const W_DEFAULT = 2;

export const KEY_BYTES_MAX_DEFAULT = 1024;
export const VALUE_BYTES_MAX_DEFAULT = 1024 * 1024;
export const BUCKET_NAME_BYTES_MAX = 255;

/** Bytes of payload space in each single-producer/single-consumer ring. */
export const RING_BYTES_DEFAULT = 8 * 1024 * 1024;
/** A frame may take at most this share of a ring, so a ring always holds two of the largest. */
export const FRAME_BYTES_MAX_DIVISOR = 2;
/** Frames a thread reads from one ring before it looks at the next one (fairness). */
export const DRAIN_FRAMES_PER_TURN_MAX = 256;
/** Frames waiting for ring space, per destination, before new requests are refused. */
export const OUTBOX_FRAMES_MAX = 100_000;
/** Requests the main thread may have in flight before it refuses new ones with BUSY. */
export const PENDING_REQUESTS_MAX = 200_000;

/**
 * Keys one RESP command (MGET, MSET, DEL, EXISTS) may name. A command's arguments stay in
 * memory until it answers, about 130 bytes per key beside the key itself (13 MB at the
 * default), and its reply holds every value it read.
 */
export const KEYS_PER_COMMAND_MAX_DEFAULT = 100_000;
/**
 * Keys of one multi-key command in flight at once: the next slice is sent when the previous
 * one has answered, so one command cannot fill the rings or the pending-request table, and
 * other clients' requests are served between its slices.
 */
export const KEYS_IN_FLIGHT_PER_COMMAND_MAX = 1_000;

export const REQUEST_TIMEOUT_MS_DEFAULT = 5_000;
/**
 * How old a delete must be before its tombstone may be purged (once every worker holds it or
 * nothing, and no hint is pending anywhere): far longer than any request can stay in flight,
 * so no older version still travelling can land after the tombstone is gone.
 */
export const TOMBSTONE_GRACE_MS_DEFAULT = 60_000;
/** How often a worker looks for purgeable tombstones, and how many keys one purge round carries. */
export const PURGE_INTERVAL_MS = 1_000;
export const PURGE_KEYS_PER_ROUND_MAX = 512;
export const PURGE_ROUND_BYTES_MAX = 256 * 1024;
/** Records one purge scan reads per interval, so a large store is scanned over many turns. */
export const PURGE_SCAN_RECORDS_MAX = 20_000;
/** A purge round whose answers have not all arrived by then is dropped (and tried again later). */
export const PURGE_ROUND_TIMEOUT_MS = 5_000;
/**
 * The expiry sweep (main/expiry-sweep.ts): how often it runs, how many records one run reads,
 * and how many tombstones one run writes (it waits for them before the next run), so a mass
 * expiry turns into a bounded trickle of deletes beside the foreground load.
 */
export const EXPIRY_SWEEP_INTERVAL_MS = 200;
export const EXPIRY_SWEEP_SCAN_RECORDS_MAX = 2_000;
export const EXPIRY_SWEEP_WRITES_MAX = 256;
/**
 * An expired version's tombstone is written this many ms after the version's own ts: just above
 * it, so it supersedes it under lww too, and below any later write, which it must not hide.
 */
export const EXPIRY_TOMBSTONE_OFFSET_MS = 0.001;
/** The main thread's own timer is longer than the coordinator's, so the coordinator answers first. */
export const MAIN_TIMEOUT_GRACE_MS = 1_000;
/** Event-loop turns a worker keeps polling its rings before it sleeps on its doorbell. */
export const IDLE_SPINS_BEFORE_SLEEP = 3;

/** Siblings kept per key; past it the write is refused, the client must resolve them. */
export const SIBLINGS_MAX = 64;
/**
 * Vector clock entries kept per version; older entries are truncated (Dynamo's scheme). An entry
 * is a worker's lane (see clock/vclock.ts actorOf): a worker holding k siblings of its own may
 * use k + 1 lanes, so a context that resolves SIBLINGS_MAX siblings needs that many entries, and
 * room for the other workers' beside them.
 */
export const CLOCK_ENTRIES_MAX = 2 * SIBLINGS_MAX;

/** How often a worker looks for hints whose owner is back, and how many it sends per owner per pass. */
export const HANDOFF_INTERVAL_MS = 250;
export const HANDOFF_BATCH_MAX = 512;

/**
 * A worker that owes the main thread answers and whose heartbeat has not moved for this long
 * is suspect and routed around. A busy worker beats every turn and every few frames, so only
 * one that stopped working (hung, paused, cut off) stays still this long.
 */
export const HEARTBEAT_TIMEOUT_MS_DEFAULT = 1_000;
/** Frames a worker handles between heartbeats within one turn, so a long turn still shows progress. */
export const HEARTBEAT_FRAMES = 64;
/**
 * A worker with work in progress (requests it coordinates, hints to hand off, exchanges, a
 * full ring) wakes at least this often for its deadlines and pacing; one with none sleeps up
 * to WORKER_IDLE_SLEEP_MS_MAX (a doorbell wakes it at once either way).
 */
export const WORKER_IDLE_SLEEP_MS = 400;
export const WORKER_IDLE_SLEEP_MS_MAX = 2_000;
/**
 * A worker whose heartbeat has not moved for this long, and that is not asleep on its
 * doorbell, is probed, so a hung worker owes an answer.
 */
export const PROBE_QUIET_WORKER_AFTER_MS = 500;
/**
 * A worker asleep on its doorbell is probed too once it has been quiet this long: gets no
 * longer cross threads, so an idle worker may owe the main thread nothing for a long time, and
 * only a probe shows whether it can still be reached (a cut-off worker sleeps like an idle one).
 */
export const PROBE_ASLEEP_WORKER_AFTER_MS = WORKER_IDLE_SLEEP_MS_MAX;
/** A worker stays suspect this long after a request to it timed out. */
export const SUSPECT_AFTER_TIMEOUT_MS = 3_000;
/** How often the main thread checks heartbeats. */
export const HEALTH_CHECK_INTERVAL_MS = 100;
/** Respawn backoff: the first retry after this long, doubling per failed start, capped. */
export const RESPAWN_BACKOFF_MS_MIN = 100;
export const RESPAWN_BACKOFF_MS_MAX = 5_000;

/**
 * Anti-entropy pacing: a worker starts exchanges for the partitions it owns at most this
 * often, with at most this many running at once, so foreground requests keep the CPU.
 */
export const AE_START_INTERVAL_MS = 100;
export const AE_EXCHANGES_ACTIVE_MAX = 2;
export const AE_SWEEP_INTERVAL_MS = 500;

export const LMDB_MAP_BYTES_DEFAULT = 64 * 1024 * 1024 * 1024;
/**
 * After a commit failed (full disk), a worker writes nothing to its environment but a probe
 * this often, and only once the file system has this much free: a small write can commit
 * into pages LMDB freed earlier even on a full disk, and would end the failed state too soon.
 */
export const STORAGE_PROBE_INTERVAL_MS = 1_000;
export const STORAGE_PROBE_FREE_BYTES_MIN = 1024 * 1024;
export const WORKER_START_TIMEOUT_MS = 20_000;
/** Background repair (hints delivered, keys repaired by anti-entropy) is logged summed over this window. */
export const ACTIVITY_WINDOW_MS = 5_000;
/** Buckets with stored props at most, unless --max-buckets says otherwise. */
export const BUCKETS_MAX_DEFAULT = 10_000;

/**
 * Failed logins (#13): the first AUTH_FAILURES_FREE failures from one address answer at once;
 * after that each attempt from it waits AUTH_DELAY_MS_BASE, doubling per further failure up to
 * AUTH_DELAY_MS_MAX, and attempts from one address are spaced out one after another. An
 * attempt that would wait longer than AUTH_WAIT_MS_MAX fails at once without being checked.
 * An address's count is forgotten AUTH_FAILURE_WINDOW_MS after its last failure, or on success.
 */
export const AUTH_FAILURES_FREE = 3;
export const AUTH_DELAY_MS_BASE = 100;
export const AUTH_DELAY_MS_MAX = 5_000;
export const AUTH_WAIT_MS_MAX = 30_000;
export const AUTH_FAILURE_WINDOW_MS = 15 * 60_000;
/** Addresses whose failures are remembered; the oldest is forgotten past it. */
export const AUTH_ADDRESSES_MAX = 10_000;
/** Successful logins remembered (by a keyed hash), so HTTP requests do not each pay for scrypt. */
export const AUTH_CACHE_ENTRIES_MAX = 1_024;
/** A TLS client has this long to finish its handshake (node's default is 120 s). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

assert(RING_BYTES_DEFAULT / FRAME_BYTES_MAX_DIVISOR > VALUE_BYTES_MAX_DEFAULT + KEY_BYTES_MAX_DEFAULT);
assert(MAIN_TIMEOUT_GRACE_MS > 0);
// A healthy idle worker beats before it would be probed, and a hung idle one is suspected
// well within 2 s: quiet for the probe delay (seen at the next check), then the stall bound.
assert(WORKER_IDLE_SLEEP_MS < PROBE_QUIET_WORKER_AFTER_MS);
assert(PROBE_QUIET_WORKER_AFTER_MS + HEALTH_CHECK_INTERVAL_MS + HEARTBEAT_TIMEOUT_MS_DEFAULT <= 1_600);
assert(KEYS_IN_FLIGHT_PER_COMMAND_MAX <= KEYS_PER_COMMAND_MAX_DEFAULT);
assert(KEYS_IN_FLIGHT_PER_COMMAND_MAX * 100 <= PENDING_REQUESTS_MAX);
assert(R_DEFAULT <= N_DEFAULT && W_DEFAULT <= N_DEFAULT);
assert(AUTH_DELAY_MS_BASE <= AUTH_DELAY_MS_MAX && AUTH_DELAY_MS_MAX <= AUTH_WAIT_MS_MAX);
