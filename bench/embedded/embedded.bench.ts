// The embedded API beside raw lmdb-js doing the same work on the same machine in the same
// run: random-key puts of small values with many in flight, then gets of those keys. Rounds
// alternate (raw, ringkv, raw, ringkv …) so drift in the machine's load hits both alike;
// every ringkv figure is reported as a ratio to the raw figure of its round. CPU per operation
// is process.cpuUsage() (user + system of every thread of this process, workers and lmdb-js's
// own threads included) over the loop, divided by the operations.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { open } from '../../src/index.js';

export interface EmbeddedCase {
  label: string;
  workers: number;
  n: number;
  r: number;
  w: number;
}

export interface EmbeddedFigure {
  case: string;
  op: 'put' | 'get';
  /** Operations per second, one per round. */
  ringkv: number[];
  raw: number[];
  /** CPU µs per operation summed over all threads, one per round. */
  ringkvCpuUs: number[];
  rawCpuUs: number[];
}

interface Measured {
  opsPerSec: number;
  cpuUsPerOp: number;
}

export interface EmbeddedBenchOptions {
  keys: number;
  valueBytes: number;
  inFlight: number;
  rounds: number;
  cases: EmbeddedCase[];
  progress?: (line: string) => void;
}

function keyList(count: number): string[] {
  // Random order, so neither side benefits from appending in key order.
  const keys = Array.from({ length: count }, (_, i) => `key:${i.toString().padStart(9, '0')}`);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  return keys;
}

/** Runs `op` over every key with at most `inFlight` outstanding; ops per second and CPU µs per op. */
async function closedLoop(
  keys: readonly string[],
  inFlight: number,
  op: (key: string) => Promise<unknown>,
): Promise<Measured> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const lane = async () => {
    while (next < keys.length) await op(keys[next++] as string);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { opsPerSec: keys.length / seconds, cpuUsPerOp: (used.user + used.system) / keys.length };
}

async function rawRound(dir: string, keys: readonly string[], value: Buffer, inFlight: number) {
  const db = openLmdb<Buffer, string>({ path: dir, encoding: 'binary', compression: false });
  const put = await closedLoop(keys, inFlight, (key) => db.put(key, value));
  const get = await closedLoop(keys, inFlight, async (key) => db.getBinary(key));
  await db.close();
  return { put, get };
}

async function ringkvRound(
  dir: string,
  keys: readonly string[],
  value: Buffer,
  options: EmbeddedBenchOptions,
  c: EmbeddedCase,
) {
  const db = await open({ dir, workers: c.workers, n: c.n, r: c.r, w: c.w });
  const put = await closedLoop(keys, options.inFlight, (key) => db.put(key, value));
  const get = await closedLoop(keys, options.inFlight, (key) => db.get(key));
  await db.close();
  return { put, get };
}

export async function runEmbeddedBench(options: EmbeddedBenchOptions): Promise<EmbeddedFigure[]> {
  const value = randomBytes(options.valueBytes);
  const figures: EmbeddedFigure[] = [];
  for (const c of options.cases) {
    const put: EmbeddedFigure = {
      case: c.label,
      op: 'put',
      ringkv: [],
      raw: [],
      ringkvCpuUs: [],
      rawCpuUs: [],
    };
    const get: EmbeddedFigure = {
      case: c.label,
      op: 'get',
      ringkv: [],
      raw: [],
      ringkvCpuUs: [],
      rawCpuUs: [],
    };
    for (let round = 0; round < options.rounds; round++) {
      const keys = keyList(options.keys);
      const base = mkdtempSync(join(tmpdir(), 'ringkv-bench-'));
      try {
        const raw = await rawRound(join(base, 'raw'), keys, value, options.inFlight);
        const ours = await ringkvRound(join(base, 'ringkv'), keys, value, options, c);
        for (const [figure, mine, theirs] of [
          [put, ours.put, raw.put],
          [get, ours.get, raw.get],
        ] as const) {
          figure.ringkv.push(mine.opsPerSec);
          figure.raw.push(theirs.opsPerSec);
          figure.ringkvCpuUs.push(mine.cpuUsPerOp);
          figure.rawCpuUs.push(theirs.cpuUsPerOp);
        }
        const line = (name: string, mine: Measured, theirs: Measured) =>
          `${name} ${mine.opsPerSec.toFixed(0)}/s ${mine.cpuUsPerOp.toFixed(1)} µs CPU vs raw ${theirs.opsPerSec.toFixed(0)}/s ${theirs.cpuUsPerOp.toFixed(1)} µs`;
        options.progress?.(
          `embedded ${c.label} round ${round + 1}: ${line('put', ours.put, raw.put)}; ${line('get', ours.get, raw.get)}`,
        );
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    }
    figures.push(put, get);
  }
  return figures;
}
