// ringkv's embedded API: `import { open } from 'ringkv'`. Types and entry points only; the
// logic lives in src/main (the main-thread side) and the worker modules behind it.
export type { BucketProps, OpenOptions } from './config.js';
export { ERROR_CODES, type ErrorCode, KvError } from './errors.js';
export type {
  Bucket,
  Bytes,
  Db,
  DbStats,
  ExplainedVersion,
  Explanation,
  GetResult,
  StorageHealth,
  WorkerHealth,
  WorkerReport,
  WriteOptions,
  WriteResult,
} from './main/db.js';
export { open } from './main/db.js';
