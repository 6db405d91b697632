// What the coordinator and replica roles of a worker share: its endpoint in the mesh, one
// frame writer, its storage, and who it is. Passed explicitly rather than held globally.
import type { Store } from '../storage/store.js';
import type { Control } from '../transport/control.js';
import type { Endpoint } from '../transport/endpoint.js';
import type { FrameWriter } from '../transport/frames.js';

export interface Links {
  readonly endpoint: Endpoint;
  readonly writer: FrameWriter;
  readonly store: Store;
  readonly slot: number;
  readonly mainEndpoint: number;
  readonly control: Control;
}

export interface WorkerStats {
  coordinatedPuts: number;
  replicaWrites: number;
  clockTruncations: number;
  failedRequests: number;
  hintsStored: number;
  hintsDelivered: number;
  antiEntropyRepairs: number;
  tombstonesPurged: number;
}

export function newWorkerStats(): WorkerStats {
  return {
    coordinatedPuts: 0,
    replicaWrites: 0,
    clockTruncations: 0,
    failedRequests: 0,
    hintsStored: 0,
    hintsDelivered: 0,
    antiEntropyRepairs: 0,
    tombstonesPurged: 0,
  };
}
