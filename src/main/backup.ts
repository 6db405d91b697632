// A consistent copy of a running store: each worker's LMDB environment copied by LMDB itself
// (mdb_env_copy, lmdb-js's backup: a read transaction's snapshot, taken while writers go on)
// plus the ring and the bucket props. Every write acknowledged before the backup started is
// committed in its replicas' environments, so the copy holds it. The copy is assembled beside
// the destination and renamed into place last: a failed backup leaves no half store behind.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KvError } from '../errors.js';

export interface BackupSource {
  /** The running store's data directory. */
  dir: string;
  workerCount: number;
  /** Copies worker `slot`'s environment into the directory `path` (which exists and is empty). */
  copyEnvironment(slot: number, path: string): Promise<void>;
  /** Files of the data directory copied as they are (ring, bucket props), when present. */
  files: readonly string[];
}

export interface BackupResult {
  dir: string;
  workers: number;
}

export async function backupStore(source: BackupSource, destination: string): Promise<BackupResult> {
  const dest = resolve(destination);
  if (dest === resolve(source.dir) || dest.startsWith(`${resolve(source.dir)}/`)) {
    throw new KvError(
      'BAD_REQUEST',
      `the backup directory ${dest} is inside the data directory ${source.dir}`,
    );
  }
  if (existsSync(dest) && readdirSync(dest).length > 0) {
    throw new KvError('BAD_REQUEST', `the backup directory ${dest} exists and is not empty; name a new one`);
  }
  const partial = `${dest}.partial-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(partial, { recursive: true });
    for (const file of source.files) {
      const from = join(source.dir, file);
      if (existsSync(from)) copyFileSync(from, join(partial, file));
    }
    await Promise.all(
      Array.from({ length: source.workerCount }, (_, slot) => {
        const path = join(partial, `worker-${slot}`);
        mkdirSync(path);
        return source.copyEnvironment(slot, path);
      }),
    );
    if (existsSync(dest)) rmdirSync(dest);
    renameSync(partial, dest);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (error instanceof KvError) throw error;
    throw new KvError('INTERNAL', `backup to ${dest} failed: ${(error as Error).message}`);
  }
  return { dir: dest, workers: source.workerCount };
}
