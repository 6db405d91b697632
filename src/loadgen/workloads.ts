// The workloads, modelled on YCSB's core workloads, and the choice of each operation's type.
// A, B, C and write use plain GET and SET, so they run against any RESP server (redis-server
// included); F is read-modify-write through ringkv's VGET and VPUT with the context, so it
// needs ringkv.
import type { Prng } from './prng.js';

/** Operation types, the index of each one's figures. */
export const OP_READ = 0;
export const OP_UPDATE = 1;
export const OP_RMW = 2;
export type OpType = typeof OP_READ | typeof OP_UPDATE | typeof OP_RMW;
export const OP_NAMES = ['read', 'update', 'rmw'] as const;
export type OpName = (typeof OP_NAMES)[number];

export type WorkloadName = 'A' | 'B' | 'C' | 'write' | 'F';
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['A', 'B', 'C', 'write', 'F'];

export interface Workload {
  name: WorkloadName;
  description: string;
  /** Share of each operation type, indexed by OpType; they add up to 1. */
  mix: readonly [read: number, update: number, rmw: number];
  /** Reads go through VGET (and read-modify-writes through VGET then VPUT) rather than GET/SET. */
  dynamo: boolean;
}

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = {
  A: { name: 'A', description: '50% read, 50% update (GET/SET)', mix: [0.5, 0.5, 0], dynamo: false },
  B: { name: 'B', description: '95% read, 5% update (GET/SET)', mix: [0.95, 0.05, 0], dynamo: false },
  C: { name: 'C', description: 'read only (GET)', mix: [1, 0, 0], dynamo: false },
  write: { name: 'write', description: 'write only (SET)', mix: [0, 1, 0], dynamo: false },
  F: {
    name: 'F',
    description: '50% read (VGET), 50% read-modify-write (VGET, then VPUT with its context)',
    mix: [0.5, 0, 0.5],
    dynamo: true,
  },
};

export function parseWorkload(name: string): Workload | undefined {
  const match = WORKLOAD_NAMES.find((w) => w.toLowerCase() === name.toLowerCase());
  return match === undefined ? undefined : WORKLOADS[match];
}

/** Draws operation types in the workload's proportions. */
export class OpChooser {
  private readonly readBelow: number;
  private readonly updateBelow: number;

  constructor(
    workload: Workload,
    private readonly rng: Prng,
  ) {
    this.readBelow = workload.mix[OP_READ];
    this.updateBelow = workload.mix[OP_READ] + workload.mix[OP_UPDATE];
  }

  next(): OpType {
    // Single-type workloads draw nothing, so C and write cost no random number per request.
    if (this.readBelow >= 1) return OP_READ;
    if (this.readBelow <= 0 && this.updateBelow >= 1) return OP_UPDATE;
    const u = this.rng.nextDouble();
    if (u < this.readBelow) return OP_READ;
    return u < this.updateBelow ? OP_UPDATE : OP_RMW;
  }
}
