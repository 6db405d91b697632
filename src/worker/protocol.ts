// What the main thread tells a worker when it starts it, and the few lifecycle messages
// that travel by postMessage (start-up and fatal errors only; requests use the rings).
import type { Ring } from '../ring/index.js';
import type { Durability } from '../storage/store.js';
import type { MeshLayout } from '../transport/endpoint.js';

export interface WorkerConfig {
  /** This worker's slot in the ring and its endpoint index in the mesh. */
  slot: number;
  workerCount: number;
  /** The worker's own LMDB directory. */
  path: string;
  durability: Durability;
  mapBytes: number;
  requestTimeoutMs: number;
  tombstoneGraceMs: number;
  layout: MeshLayout;
  /** The ring (partition owners) and the default bucket's n: which partitions this worker compares with whom. */
  ring: Ring;
  n: number;
  /** The control block: heartbeats, health, fault switches (src/transport/control.ts). */
  control: SharedArrayBuffer;
  /** Every worker's tree change counters per partition (src/transport/tree-generations.ts). */
  treeGenerations: SharedArrayBuffer;
}

export type WorkerEvent =
  | { type: 'ready'; slot: number; workerId: number }
  | { type: 'fatal'; slot: number; message: string };

/** A worker's answer to STATS, as JSON: its counters, and why its storage refuses writes (null while it does not). */
export interface WorkerStatsReply {
  counters: Record<string, number>;
  storageError: string | null;
}
