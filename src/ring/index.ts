// Partitions, their assignment to worker slots and preference lists (DESIGN.md, Partitioning).
// A leaf module: pure functions over frozen Ring values, importable from either thread.
export type { Ring } from './ring.js';
export {
  createRing,
  ownershipCounts,
  partitionOf,
  preferenceList,
  preferenceLists,
  rebalance,
  replicaCounts,
  ringFromJson,
  ringToJson,
} from './ring.js';
