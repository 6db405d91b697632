// The embedded API beside raw lmdb-js doing the same work on the same machine in the same
// run: random-key puts of small values with many in flight, then gets of those keys. Rounds
// alternate (raw, ringkv, raw, ringkv …) so drift in the machine's load hits both alike;
// every ringkv figure is reported as a ratio to the raw figure of its round.
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

/** Runs `op` over every key with at most `inFlight` outstanding; returns ops per second. */
async function closedLoop(keys: readonly string[], inFlight: number, op: (key: string) => Promise<unknown>) {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < keys.length) await op(keys[next++] as string);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return keys.length / ((performance.now() - started) / 1000);
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
    const put: EmbeddedFigure = { case: c.label, op: 'put', ringkv: [], raw: [] };
    const get: EmbeddedFigure = { case: c.label, op: 'get', ringkv: [], raw: [] };
    for (let round = 0; round < options.rounds; round++) {
      const keys = keyList(options.keys);
      const base = mkdtempSync(join(tmpdir(), 'ringkv-bench-'));
      try {
        const raw = await rawRound(join(base, 'raw'), keys, value, options.inFlight);
        const ours = await ringkvRound(join(base, 'ringkv'), keys, value, options, c);
        put.raw.push(raw.put);
        get.raw.push(raw.get);
        put.ringkv.push(ours.put);
        get.ringkv.push(ours.get);
        options.progress?.(
          `embedded ${c.label} round ${round + 1}: put ${ours.put.toFixed(0)}/s vs raw ${raw.put.toFixed(0)}/s, get ${ours.get.toFixed(0)}/s vs raw ${raw.get.toFixed(0)}/s`,
        );
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    }
    figures.push(put, get);
  }
  return figures;
}
