// Ring placement hashing of 16-byte keys: the addon (batched and one key per call)
// beside node:crypto (createHash, and crypto.hash where Node has it) in the same run,
// so each figure is read as a ratio to createHash. DESIGN.md keeps the addon only
// while it wins here. Run directly to print the table.
import crypto from 'node:crypto';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import Benchmark from 'benchmark';
import { md5Batch, ringHash } from '../../src/native/index.js';

const KEY_BYTES = 16;
const KEYS_PER_BATCH = 1024;
/** Keys are drawn from this pool in turn, so no case hashes the same bytes every time. */
const KEY_POOL_SIZE = KEYS_PER_BATCH;

export interface Md5BenchResult {
  name: string;
  nsPerKey: number;
  /** Relative margin of error of the mean, in percent. */
  rme: number;
}

// crypto.hash arrived in Node 20.12; on an older Node 20 its case is left out.
const cryptoHash = typeof crypto.hash === 'function' ? crypto.hash : undefined;

interface BenchCase {
  name: string;
  keysPerCall: number;
  fn: () => void;
}

function makeCases(): BenchCase[] {
  const pool = crypto.randomBytes(KEY_POOL_SIZE * KEY_BYTES);
  const keys = Array.from({ length: KEY_POOL_SIZE }, (_, i) =>
    pool.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES),
  );
  const offsets = Uint32Array.from({ length: KEYS_PER_BATCH + 1 }, (_, i) => i * KEY_BYTES);
  const out = new Uint32Array(KEYS_PER_BATCH);
  let next = 0;
  // Every case folds its result into sink: a store to memory the engine must keep, so
  // no hash can be optimized away.
  const sink = new Uint32Array(1);
  const nextKey = (): Buffer => keys[next++ % KEY_POOL_SIZE]!;

  const cases: BenchCase[] = [
    {
      name: 'node:crypto createHash per key',
      keysPerCall: 1,
      fn: () => {
        sink[0]! ^= crypto.createHash('md5').update(nextKey()).digest().readUInt32BE(0);
      },
    },
  ];
  if (cryptoHash !== undefined) {
    cases.push({
      name: 'node:crypto hash per key',
      keysPerCall: 1,
      fn: () => {
        sink[0]! ^= cryptoHash('md5', nextKey(), 'buffer').readUInt32BE(0);
      },
    });
  }
  cases.push(
    {
      name: `addon md5Batch, ${KEYS_PER_BATCH} keys per call`,
      keysPerCall: KEYS_PER_BATCH,
      fn: () => {
        md5Batch(pool, offsets, KEYS_PER_BATCH, out);
        sink[0]! ^= out[0]!;
      },
    },
    {
      name: 'addon ringHash per key',
      keysPerCall: 1,
      fn: () => {
        sink[0]! ^= ringHash(nextKey());
      },
    },
  );
  return cases;
}

export async function runMd5Bench(): Promise<Md5BenchResult[]> {
  const cases = makeCases();
  const suite = new Benchmark.Suite('md5');
  const finished = new Map<string, Benchmark.Target>();
  for (const { name, fn } of cases) suite.add(name, fn);
  await new Promise<void>((resolve, reject) => {
    suite.on('cycle', (event: Benchmark.Event) => finished.set(event.target.name ?? '', event.target));
    suite.on('error', (event: Benchmark.Event) => reject((event.target as { error?: unknown }).error));
    suite.on('complete', () => resolve());
    suite.run({ async: true });
  });
  return cases.map(({ name, keysPerCall }) => {
    const target = finished.get(name);
    if (target?.hz === undefined || target.stats === undefined) {
      throw new Error(`md5 bench: ${name} did not finish`);
    }
    return { name, nsPerKey: 1e9 / target.hz / keysPerCall, rme: target.stats.rme };
  });
}

function printTable(results: Md5BenchResult[]): void {
  const cpus = os.cpus();
  console.log(
    `md5 of ${KEY_BYTES}-byte keys | Node ${process.version} | ${cpus[0]?.model ?? 'unknown cpu'} x${cpus.length}`,
  );
  const baseline = results[0]!.nsPerKey;
  console.table(
    results.map(({ name, nsPerKey, rme }) => ({
      case: name,
      'ns/key': Number(nsPerKey.toFixed(1)),
      '±%': Number(rme.toFixed(1)),
      'speed vs createHash': `${(baseline / nsPerKey).toFixed(2)}x`,
    })),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await runMd5Bench());
}
