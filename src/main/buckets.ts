// The bucket registry: each bucket's n, r, w and policy, persisted in the data directory so
// they survive restarts. A bucket's n is fixed once it holds data, since changing it would
// need the data to move to a different set of replicas.
//
// Storage is an append-only log (buckets.log, one JSON line per change), so adding a bucket
// costs one small append however many exist; the log is rewritten as a snapshot (to a
// temporary file, renamed) only once it holds several times more lines than buckets, which
// spreads that cost over the appends that grew it. A data directory from before the log
// (buckets.json, rewritten whole on every change) still opens: the JSON is read first, and the
// log, which is all that is written from then on, applies over it.
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type BucketProps, type BucketPropsInput, checkBucketProps } from '../config.js';
import { KvError } from '../errors.js';

const JSON_FILE = 'buckets.json';
const LOG_FILE = 'buckets.log';
/** The files that hold bucket props (for a backup). */
export const BUCKET_FILES = [JSON_FILE, LOG_FILE] as const;
export const BUCKET_NAME_BYTES_MAX = 255;
/** The log is compacted once it has this many times more lines than there are buckets (and at least LOG_LINES_MIN). */
const LOG_LINES_PER_BUCKET_MAX = 4;
const LOG_LINES_MIN = 1024;

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

export interface BucketLimits {
  /** Buckets with stored props (set, or written to) at most. */
  maxBuckets: number;
}

export class BucketRegistry {
  private readonly dir: string;
  private readonly entries = new Map<string, Entry>();
  private readonly base: BucketProps;
  private readonly workers: number;
  private readonly maxBuckets: number;
  private fd: number | null = null;
  private logLines = 0;

  constructor(dir: string, base: BucketProps, workers: number, limits: BucketLimits) {
    this.dir = dir;
    this.base = base;
    this.workers = workers;
    this.maxBuckets = limits.maxBuckets;
    const legacy = join(dir, JSON_FILE);
    if (existsSync(legacy)) this.loadJson(legacy);
    const log = join(dir, LOG_FILE);
    if (existsSync(log)) this.loadLog(log);
  }

  /**
   * A bucket's props: stored ones, else the defaults: the default bucket's props (stored, or
   * else those open() was given).
   */
  props(name: string): BucketProps {
    return this.entries.get(name)?.props ?? this.defaults();
  }

  private defaults(): BucketProps {
    return this.entries.get('default')?.props ?? this.base;
  }

  /** The stored props of the default bucket, or null when it has none. */
  storedDefault(): BucketProps | null {
    return this.entries.get('default')?.props ?? null;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  get count(): number {
    return this.entries.size;
  }

  /** Refuses a new bucket past --max-buckets, before anything is written to it. */
  checkRoom(name: string): void {
    if (this.entries.has(name) || this.entries.size < this.maxBuckets) return;
    throw new KvError(
      'BAD_REQUEST',
      `bucket ${JSON.stringify(name)} would be bucket ${this.entries.size + 1}; --max-buckets (maxBuckets) is ${this.maxBuckets}`,
    );
  }

  /** Validates and stores new props; refuses a change of n once the bucket holds data. */
  set(name: string, changes: BucketPropsInput): BucketProps {
    const entry = this.entries.get(name);
    const current = entry?.props ?? this.defaults();
    const props = checkBucketProps(changes, current, this.workers);
    if (entry?.hasData === true && props.n !== current.n) {
      throw new KvError(
        'BAD_REQUEST',
        `bucket ${name} holds data with n=${current.n}; changing n would need its data to move, which this version does not do`,
      );
    }
    this.checkRoom(name);
    this.put(name, { props, hasData: entry?.hasData ?? false });
    return props;
  }

  /** Marks a bucket as holding data (once; the log is written only on the first write). */
  noteWrite(name: string): void {
    const entry = this.entries.get(name);
    if (entry?.hasData === true) return;
    this.put(name, { props: entry?.props ?? this.defaults(), hasData: true });
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private put(name: string, entry: Entry): void {
    this.entries.set(name, entry);
    if (this.logLines >= Math.max(LOG_LINES_MIN, LOG_LINES_PER_BUCKET_MAX * this.entries.size)) {
      this.compact();
      return;
    }
    this.fd ??= openSync(join(this.dir, LOG_FILE), 'a');
    writeSync(this.fd, `${JSON.stringify({ name, ...entry })}\n`);
    this.logLines++;
  }

  /** Rewrites the log as one line per bucket. */
  private compact(): void {
    this.close();
    const path = join(this.dir, LOG_FILE);
    const temporary = `${path}.tmp`;
    let text = '';
    for (const [name, entry] of this.entries) text += `${JSON.stringify({ name, ...entry })}\n`;
    writeFileSync(temporary, text);
    renameSync(temporary, path);
    this.logLines = this.entries.size;
  }

  private add(name: unknown, raw: { props?: Partial<BucketProps>; hasData?: unknown }, where: string): void {
    const bucket = checkBucketName(name);
    try {
      const props = checkBucketProps(raw.props ?? {}, this.base, this.workers);
      this.entries.set(bucket, { props, hasData: raw.hasData === true });
    } catch (error) {
      throw new KvError('BAD_REQUEST', `${where}: bucket ${bucket}: ${(error as Error).message}`);
    }
  }

  private loadJson(path: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new KvError('BAD_REQUEST', `${path} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null)
      throw new KvError('BAD_REQUEST', `${path} is malformed`);
    for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
      this.add(name, raw as { props?: Partial<BucketProps>; hasData?: unknown }, path);
    }
  }

  private loadLog(path: string): void {
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    // The text after the last newline is a line a crash cut short (or nothing): never
    // acknowledged, and cut off so the next append starts a line of its own.
    const torn = lines.pop() as string;
    if (torn.length > 0) truncateSync(path, Buffer.byteLength(text) - Buffer.byteLength(torn));
    lines.forEach((line, index) => {
      let parsed: { name?: unknown; props?: Partial<BucketProps>; hasData?: unknown };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch (error) {
        throw new KvError(
          'BAD_REQUEST',
          `${path} line ${index + 1} is not JSON: ${(error as Error).message}`,
        );
      }
      this.add(parsed.name, parsed, `${path} line ${index + 1}`);
    });
    this.logLines = lines.length;
  }
}
