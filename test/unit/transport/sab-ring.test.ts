// Goal: frames written to a SabRing come out intact, in order, once, across wrap-around and
// full rings, within one thread and between two real threads. Method: patterned frames of
// seeded random sizes; a peer worker checks every byte and reports a summary.
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { createMesh, Endpoint } from '../../../src/transport/endpoint.js';
import { SabRing } from '../../../src/transport/sab-ring.js';
import { expectedByte, patternFrame, seededRandom } from '../../fixtures/ring-pattern.js';

function readAll(ring: SabRing): Uint8Array[] {
  const out: Uint8Array[] = [];
  ring.drain((bytes, offset, length) => out.push(bytes.slice(offset, offset + length)), 1_000_000);
  return out;
}

t.test('a frame written at the wrap point reads back intact', async (t) => {
  const ring = SabRing.create(256);
  const random = seededRandom(7);
  let written = 0;
  let read = 0;
  for (let round = 0; round < 2000; round++) {
    const frame = patternFrame(written, 4 + Math.floor(random() * 100));
    if (ring.tryWrite(frame, 0, frame.length)) written++;
    if (random() < 0.4) {
      for (const got of readAll(ring)) {
        t.equal(new DataView(got.buffer).getUint32(0, true), read, 'frames come out in order');
        t.ok(
          got.every((byte, i) => i < 4 || byte === expectedByte(read, i)),
          `frame ${read} intact`,
        );
        read++;
      }
    }
  }
  read += readAll(ring).length;
  t.equal(read, written, 'every accepted frame is read exactly once');
  t.ok(written > 1000, 'the ring wrapped many times');
});

t.test('a full ring refuses a frame instead of overwriting unread ones', async (t) => {
  const ring = SabRing.create(128);
  const frame = patternFrame(1, 28);
  let accepted = 0;
  while (ring.tryWrite(frame, 0, frame.length)) accepted++;
  t.equal(accepted, 128 / 32, 'exactly capacity / frame size fit');
  t.equal(ring.usedBytes(), 128);
  t.equal(readAll(ring).length, accepted);
  t.ok(ring.tryWrite(frame, 0, frame.length), 'room again once read');
});

t.test('an empty frame and a frame of the maximum size both round-trip', async (t) => {
  const ring = SabRing.create(1024);
  t.ok(ring.tryWrite(new Uint8Array(0), 0, 0));
  const big = patternFrame(9, ring.frameBytesMax);
  t.ok(ring.tryWrite(big, 0, big.length));
  const got = readAll(ring);
  t.equal(got.length, 2);
  t.equal(got[0]?.length, 0);
  t.same(got[1], big);
});

t.test('a frame larger than half the ring is a programmer error', async (t) => {
  const ring = SabRing.create(1024);
  t.throws(() => ring.tryWrite(new Uint8Array(1024), 0, 1024), /exceeds ring frame limit/);
});

t.test('frames cross to a real thread intact through full rings and outboxes', async (t) => {
  const frames = 20_000;
  const layout = createMesh(2, 64 * 1024);
  const peer = new Worker(new URL('../../fixtures/ring-peer.js', import.meta.url), {
    workerData: { layout, frames },
  });
  const endpoint = new Endpoint(layout, 0);
  const random = seededRandom(42);
  let sentBytes = 0;
  for (let i = 0; i < frames; i++) {
    const frame = patternFrame(i, Math.floor(random() * 3000));
    endpoint.send(1, frame);
    sentBytes += frame.length;
    if (i % 64 === 0) endpoint.flush();
    if (endpoint.hasOutbox() && i % 512 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  t.ok(endpoint.hasOutbox(), 'the sender outran the ring, so frames waited in the outbox');
  let summary: DataView | null = null;
  while (summary === null) {
    const seq = endpoint.doorbellSeq();
    endpoint.flush();
    endpoint.drain((_from, bytes, offset, length) => {
      summary = new DataView(bytes.slice(offset, offset + length).buffer);
    }, 1);
    if (summary === null) await endpoint.sleep(seq, endpoint.hasOutbox() ? 1 : 100);
  }
  const view = summary as DataView;
  t.equal(view.getUint32(0, true), frames, 'every frame arrived');
  t.equal(view.getUint32(4, true), 0, 'no frame was corrupt or out of order');
  t.equal(view.getUint32(8, true), sentBytes, 'byte counts match');
  await new Promise((resolve) => peer.once('exit', resolve));
});
