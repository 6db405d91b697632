// A single-producer/single-consumer ring of variable-length frames in a SharedArrayBuffer.
// Exactly one thread writes and exactly one thread reads; the two share nothing else, so
// the only synchronisation is the pair of positions in the header.
//
//   header (Int32 slots)                      data (capacity bytes, a power of two)
//   ┌───────────┬─────────────┐   ┌───────────────────────────────────────────────────┐
//   │ HEAD @0   │ TAIL @16    │   │ ... [len][payload..pad] [len][payload..pad] ...   │
//   └───────────┴─────────────┘   └────▲──────────────────────────────▲───────────────┘
//     consumer     producer            head (next frame to read)       tail (next free byte)
//
// Positions run freely as uint32 and are reduced modulo the capacity, so used bytes are
// (tail - head) >>> 0 and a full ring is never confused with an empty one. Every frame
// starts on a 4-byte boundary with its uint32 length; a frame that does not fit before the
// end of the data area leaves a WRAP marker and starts again at offset 0. The producer
// publishes a frame by storing TAIL after the bytes are written (Atomics.store orders the
// plain writes before it); the consumer frees space by storing HEAD after it has handled
// the frames, so a frame's bytes stay valid for the whole handler call.
import assert from 'node:assert/strict';

const HEAD_INDEX = 0;
/** TAIL sits 64 bytes after HEAD so the two hot words do not share a cache line. */
const TAIL_INDEX = 16;
const HEADER_BYTES = 128;
const LENGTH_BYTES = 4;
const WRAP_MARKER = -1;

export type FrameHandler = (bytes: Uint8Array, offset: number, length: number) => void;

function align4(n: number): number {
  return (n + 3) & ~3;
}

export class SabRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  /** The largest payload a single frame may carry: half the ring, so one always fits after a wrap. */
  readonly frameBytesMax: number;
  private readonly header: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly mask: number;
  /** Each side caches its own position; only the other side's is read from shared memory. */
  private localTail: number;
  private localHead: number;

  static create(capacity: number): SabRing {
    assert(
      capacity >= 64 && (capacity & (capacity - 1)) === 0,
      `ring capacity ${capacity} must be a power of two`,
    );
    return new SabRing(new SharedArrayBuffer(HEADER_BYTES + capacity));
  }

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.capacity = buffer.byteLength - HEADER_BYTES;
    assert(
      this.capacity > 0 && (this.capacity & (this.capacity - 1)) === 0,
      'ring data area must be a power of two',
    );
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.words = new Int32Array(buffer, HEADER_BYTES, this.capacity / 4);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES, this.capacity);
    this.mask = this.capacity - 1;
    this.frameBytesMax = this.capacity / 2 - LENGTH_BYTES;
    this.localTail = Atomics.load(this.header, TAIL_INDEX) >>> 0;
    this.localHead = Atomics.load(this.header, HEAD_INDEX) >>> 0;
  }

  /**
   * Producer side: appends one frame, or returns false when the ring lacks room (the caller
   * keeps the frame and retries later: a full ring is backpressure, never a drop).
   */
  tryWrite(source: Uint8Array, offset: number, length: number): boolean {
    assert(
      length <= this.frameBytesMax,
      `frame of ${length} bytes exceeds ring frame limit ${this.frameBytesMax}`,
    );
    const need = LENGTH_BYTES + align4(length);
    const head = Atomics.load(this.header, HEAD_INDEX) >>> 0;
    let tail = this.localTail;
    const free = this.capacity - ((tail - head) >>> 0);
    let position = tail & this.mask;
    const toEnd = this.capacity - position;
    if (need > toEnd) {
      if (need + toEnd > free) return false;
      this.words[position >> 2] = WRAP_MARKER;
      tail = (tail + toEnd) >>> 0;
      position = 0;
    } else if (need > free) {
      return false;
    }
    this.words[position >> 2] = length;
    this.bytes.set(source.subarray(offset, offset + length), position + LENGTH_BYTES);
    this.localTail = (tail + need) >>> 0;
    Atomics.store(this.header, TAIL_INDEX, this.localTail | 0);
    return true;
  }

  /**
   * Consumer side: hands up to `maxFrames` frames to `handler`, each as a view into shared
   * memory that is valid only during the call (copy what you keep). Returns the count read.
   */
  drain(handler: FrameHandler, maxFrames: number): number {
    const tail = Atomics.load(this.header, TAIL_INDEX) >>> 0;
    let head = this.localHead;
    let count = 0;
    while (head !== tail && count < maxFrames) {
      const position = head & this.mask;
      const length = this.words[position >> 2] as number;
      if (length === WRAP_MARKER) {
        head = (head + this.capacity - position) >>> 0;
        continue;
      }
      handler(this.bytes, position + LENGTH_BYTES, length);
      head = (head + LENGTH_BYTES + align4(length)) >>> 0;
      count++;
    }
    if (head !== this.localHead) {
      this.localHead = head;
      Atomics.store(this.header, HEAD_INDEX, head | 0);
    }
    return count;
  }

  /** True when the consumer has frames to read (a cheap check before sleeping). */
  hasFrames(): boolean {
    return Atomics.load(this.header, TAIL_INDEX) >>> 0 !== this.localHead;
  }

  usedBytes(): number {
    return (
      ((Atomics.load(this.header, TAIL_INDEX) >>> 0) - (Atomics.load(this.header, HEAD_INDEX) >>> 0)) >>> 0
    );
  }
}
