// The data directory's ring file: partition count and assignment, written once when the
// directory is created and read on every open, so a restart keeps every key where it was.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KvError } from '../errors.js';
import { createRing, type Ring, ringFromJson, ringToJson } from '../ring/index.js';

export const RING_FILE = 'ring.json';
const FORMAT = 1;

export function loadOrCreateRing(
  dir: string,
  partitions: number,
  workers: number | undefined,
  fallbackWorkers: number,
): Ring {
  const path = join(dir, RING_FILE);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const ring = createRing(partitions, workers ?? fallbackWorkers);
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ format: FORMAT, ring: ringToJson(ring) }, null, 2)}\n`);
    renameSync(temporary, path);
    return ring;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new KvError('BAD_REQUEST', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  const file = parsed as { format?: unknown; ring?: unknown };
  if (file.format !== FORMAT)
    throw new KvError('BAD_REQUEST', `${path} has unknown format ${String(file.format)}`);
  const ring = ringFromJson(file.ring);
  if (workers !== undefined && workers !== ring.workerCount) {
    throw new KvError(
      'BAD_REQUEST',
      `${dir} was created with ${ring.workerCount} workers; opening it with ${workers} would move partitions, which this version does not do yet`,
    );
  }
  return ring;
}

export function checkPartitionCount(ring: Ring, requested: number | undefined, dir: string): void {
  if (requested !== undefined && requested !== ring.partitionCount) {
    throw new KvError(
      'BAD_REQUEST',
      `${dir} was created with ${ring.partitionCount} partitions; the partition count cannot change (asked for ${requested})`,
    );
  }
}
