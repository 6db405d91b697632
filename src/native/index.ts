// The one loader of ringkv's native addon (native/*.cc, built by node-gyp into
// build/Release/ringkv_native.node), typed as NativeAddon. It adds the helpers the rest
// of the code calls: hashKeys packs many keys into one md5Batch call through a reused
// scratch buffer, and ringHash hashes one key without allocating.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions the addon exports. Each validates its arguments and throws TypeError/RangeError. */
export interface NativeAddon {
  /**
   * Key i is data[offsets[i] .. offsets[i + 1]) (offsets has at least count + 1 entries);
   * out[i] = the first 4 bytes of MD5(key i) read big-endian. Allocates nothing.
   */
  md5Batch(data: Uint8Array, offsets: Uint32Array, count: number, out: Uint32Array): void;
  /** Writes the 16-byte MD5 of data at out[outOffset .. outOffset + 16). */
  md5Into(data: Uint8Array, out: Uint8Array, outOffset: number): void;
  /**
   * children holds childCount 16-byte hashes back to back; parent j is the MD5 of children
   * j*fanout .. min((j+1)*fanout, childCount) - 1, concatenated. Writes ceil(childCount / fanout)
   * parents to out, 16 bytes each. out may be children itself (the level is reduced in place).
   */
  merkleParents(children: Uint8Array, childCount: number, fanout: number, out: Uint8Array): void;
  /**
   * Takes an exclusive flock(2) on the open file `fd` without waiting: true when taken, false
   * when another open file description holds it (another process, or another open() in this
   * one). The kernel releases it when the descriptor closes or the process ends.
   */
  flockExclusive(fd: number): boolean;
}

const ADDON_RELATIVE_PATH = path.join('build', 'Release', 'ringkv_native.node');
/** hashKeys keeps its scratch between calls only up to this size; larger batches use a one-off buffer. */
const SCRATCH_RETAINED_BYTES_MAX = 1024 * 1024;
const SCRATCH_DATA_BYTES_INITIAL = 4096;
const SCRATCH_KEYS_INITIAL = 256;
/** Offsets are Uint32, so one batch can span at most this many bytes. */
const BATCH_BYTES_MAX = 0xffff_ffff;

// The compiled file runs from dist/src/native/ and the source from src/native/: the first
// directory above either that holds package.json is the package root, where node-gyp builds.
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`ringkv native addon: no package.json above ${start}`);
  }
}

function loadAddon(): NativeAddon {
  const root = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
  const addonPath = path.join(root, ADDON_RELATIVE_PATH);
  if (!existsSync(addonPath)) {
    throw new Error(`ringkv native addon not found at ${addonPath}; build it with \`npx node-gyp rebuild\``);
  }
  return createRequire(import.meta.url)(addonPath) as NativeAddon;
}

export const native: NativeAddon = loadAddon();
export const { md5Batch, md5Into, merkleParents, flockExclusive } = native;

let scratchData = new Uint8Array(SCRATCH_DATA_BYTES_INITIAL);
let scratchOffsets = new Uint32Array(SCRATCH_KEYS_INITIAL + 1);

// ringHash passes the key itself as data, so it needs only these two fixed arrays.
const ONE_KEY_OFFSETS = new Uint32Array(2);
const ONE_KEY_OUT = new Uint32Array(1);

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(n, 1)));
}

// Scratch grows by powers of two and is kept for the next call unless it would pass
// SCRATCH_RETAINED_BYTES_MAX; an outsized batch gets a buffer of its own, left to the GC.
function growScratchData(bytes: number): Uint8Array {
  const data = new Uint8Array(nextPowerOfTwo(bytes));
  if (data.byteLength <= SCRATCH_RETAINED_BYTES_MAX) scratchData = data;
  return data;
}

function growScratchOffsets(entries: number): Uint32Array {
  const offsets = new Uint32Array(nextPowerOfTwo(entries));
  if (offsets.byteLength <= SCRATCH_RETAINED_BYTES_MAX) scratchOffsets = offsets;
  return offsets;
}

/**
 * Ring positions (the first 4 bytes of MD5, big-endian) of many keys in one addon call.
 * The keys are copied into a scratch buffer kept between calls; out, when given, must
 * have at least keys.length entries, and is returned.
 */
export function hashKeys(keys: readonly Uint8Array[], out?: Uint32Array): Uint32Array {
  const count = keys.length;
  if (out === undefined) out = new Uint32Array(count);
  else if (out.length < count) {
    throw new RangeError(`hashKeys: out has ${out.length} entries for ${count} keys`);
  }

  let totalBytes = 0;
  for (const key of keys) totalBytes += key.length;
  if (totalBytes > BATCH_BYTES_MAX) {
    throw new RangeError(
      `hashKeys: the keys total ${totalBytes} bytes; one batch holds at most ${BATCH_BYTES_MAX}`,
    );
  }

  const data = scratchData.length >= totalBytes ? scratchData : growScratchData(totalBytes);
  const offsets = scratchOffsets.length > count ? scratchOffsets : growScratchOffsets(count + 1);

  let position = 0;
  for (let i = 0; i < count; i++) {
    const key = keys[i]!;
    offsets[i] = position;
    data.set(key, position);
    position += key.length;
  }
  offsets[count] = position;
  md5Batch(data, offsets, count, out);
  return out;
}

/** The ring position of one key: the first 4 bytes of MD5(key), big-endian. */
export function ringHash(key: Uint8Array): number {
  if (key.length > BATCH_BYTES_MAX) {
    throw new RangeError(`ringHash: the key is ${key.length} bytes; at most ${BATCH_BYTES_MAX}`);
  }
  ONE_KEY_OFFSETS[1] = key.length;
  md5Batch(key, ONE_KEY_OFFSETS, 1, ONE_KEY_OUT);
  return ONE_KEY_OUT[0]!;
}
