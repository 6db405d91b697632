// Change counters of every worker's Merkle trees, one Int32 per (worker, partition) in a
// SharedArrayBuffer all threads map. A worker bumps its counter of a partition whenever that
// partition's tree changes (every write, and all of them when it starts, as its trees are
// built afresh); an anti-entropy initiator reads its own and its peer's counters to skip an
// exchange when neither tree changed since the two last agreed. Counters only grow (mod 2^32):
// equality with a remembered value means "unchanged".

export class TreeGenerations {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;
  private readonly partitionCount: number;

  static create(workerCount: number, partitionCount: number): TreeGenerations {
    return new TreeGenerations(new SharedArrayBuffer(workerCount * partitionCount * 4), partitionCount);
  }

  constructor(buffer: SharedArrayBuffer, partitionCount: number) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
    this.partitionCount = partitionCount;
  }

  get(worker: number, partition: number): number {
    return Atomics.load(this.words, worker * this.partitionCount + partition);
  }

  /** The owner's tree of `partition` changed (only `worker` itself bumps its own counters). */
  bump(worker: number, partition: number): void {
    Atomics.add(this.words, worker * this.partitionCount + partition, 1);
  }

  /** Every tree of `worker` may differ from what its peers last saw (it just started). */
  bumpAll(worker: number): void {
    for (let partition = 0; partition < this.partitionCount; partition++) this.bump(worker, partition);
  }
}
