// Vector clocks, version sets (siblings), the opaque context and the record encoding: pure
// code with no I/O, imported by the coordinator, the replica store and the servers.
export { CONTEXT_ENTRIES_MAX, decodeContext, encodeContext } from './context.js';
export {
  decodeRecord,
  encodedRecordBytes,
  encodeRecord,
  encodeRecordInto,
  isOldTombstones,
  type RecordExpiry,
  recordExpiry,
} from './record.js';
export {
  actorOf,
  type ClockEntry,
  compare,
  descends,
  EMPTY_CLOCK,
  increment,
  merge,
  NODE_MAX,
  type Order,
  truncate,
  type VClock,
  workerOfNode,
} from './vclock.js';
export {
  covers,
  type Dot,
  isDeleted,
  isExpired,
  isLive,
  joinClocks,
  makeVersion,
  mergeVersions,
  type NewVersion,
  newestValue,
  newVersion,
  type Policy,
  reconcile,
  sameVersions,
  type Version,
  versionClock,
  versionSortOrder,
} from './versions.js';
