// ringkv's embedded API: `import { open } from 'ringkv'`. Types and entry points only; the
// logic lives in src/main (the main-thread side) and the worker modules behind it.
export type { BucketProps, BucketPropsInput, OpenOptions, SymbolicQuorum } from './config.js';
export { ERROR_CODES, type ErrorCode, KvError } from './errors.js';
export type {
  Bucket,
  Bytes,
  Db,
  DbStats,
  ExplainedVersion,
  Explanation,
  GetResult,
  Quorum,
  StorageHealth,
  WorkerHealth,
  WorkerReport,
  WriteOptions,
  WriteResult,
} from './main/db.js';
export { open } from './main/db.js';
export { type EngineEvent, type EngineEventListener, formatEvent } from './main/events.js';
