// The bucket registry: each bucket's n, r, w and policy, persisted in the data directory
// (buckets.json) so they survive restarts. A bucket's n is fixed once it holds data, since
// changing it would need the data to move to a different set of replicas.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BucketProps, checkBucketProps } from '../config.js';
import { KvError } from '../errors.js';

const FILE = 'buckets.json';
export const BUCKET_NAME_BYTES_MAX = 255;

interface Entry {
  props: BucketProps;
  /** Set on the first acknowledged write; from then on n may not change. */
  hasData: boolean;
}

export function checkBucketName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > BUCKET_NAME_BYTES_MAX) {
    throw new KvError('BAD_REQUEST', `a bucket name must be 1 to ${BUCKET_NAME_BYTES_MAX} bytes of UTF-8`);
  }
  return name;
}

export class BucketRegistry {
  private readonly path: string;
  private readonly entries = new Map<string, Entry>();
  private readonly base: BucketProps;
  private readonly workers: number;

  constructor(dir: string, base: BucketProps, workers: number) {
    this.path = join(dir, FILE);
    this.base = base;
    this.workers = workers;
    if (existsSync(this.path)) this.load();
  }

  /** A bucket's props: stored ones, else the defaults (the default bucket's from open()). */
  props(name: string): BucketProps {
    return this.entries.get(name)?.props ?? this.base;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Validates and stores new props; refuses a change of n once the bucket holds data. */
  set(name: string, changes: Partial<BucketProps>): BucketProps {
    const entry = this.entries.get(name);
    const current = entry?.props ?? this.base;
    const props = checkBucketProps(changes, current, this.workers);
    if (entry?.hasData === true && props.n !== current.n) {
      throw new KvError(
        'BAD_REQUEST',
        `bucket ${name} holds data with n=${current.n}; changing n would need its data to move, which this version does not do`,
      );
    }
    this.entries.set(name, { props, hasData: entry?.hasData ?? false });
    this.save();
    return props;
  }

  /** Marks a bucket as holding data (once; the file is written only on the first write). */
  noteWrite(name: string): void {
    const entry = this.entries.get(name);
    if (entry?.hasData === true) return;
    this.entries.set(name, { props: entry?.props ?? this.base, hasData: true });
    this.save();
  }

  private load(): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw new KvError('BAD_REQUEST', `${this.path} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null)
      throw new KvError('BAD_REQUEST', `${this.path} is malformed`);
    for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
      const entry = raw as { props?: Partial<BucketProps>; hasData?: unknown };
      const props = checkBucketProps(entry.props ?? {}, this.base, this.workers);
      this.entries.set(checkBucketName(name), { props, hasData: entry.hasData === true });
    }
  }

  private save(): void {
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(Object.fromEntries(this.entries), null, 2)}\n`);
    renameSync(temporary, this.path);
  }
}
