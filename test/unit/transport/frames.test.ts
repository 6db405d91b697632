// Goal: a frame built by FrameWriter decodes to the same header and fields, wherever it sits
// in a buffer. Method: random headers and field sets, encoded, copied to an offset, decoded.
import t from 'tap';
import {
  copyField,
  decodeFrame,
  FrameWriter,
  fieldText,
  frameBytes,
  MessageType,
} from '../../../src/transport/frames.js';
import { seededRandom } from '../../fixtures/ring-pattern.js';

t.test('random frames round-trip through writer and decoder at any offset', async (t) => {
  const random = seededRandom(3);
  const writer = new FrameWriter();
  for (let i = 0; i < 500; i++) {
    const fields = Array.from({ length: Math.floor(random() * 6) }, () =>
      Uint8Array.from({ length: Math.floor(random() * (random() < 0.1 ? 200_000 : 50)) }, () =>
        Math.floor(random() * 256),
      ),
    );
    const header = {
      type: MessageType.PUT,
      flags: Math.floor(random() * 256),
      quorum: Math.floor(random() * 256),
      status: Math.floor(random() * 256),
      requestId: Math.floor(random() * 0xffff_ffff),
      partition: Math.floor(random() * 65536),
    };
    writer.begin(header);
    for (const field of fields) writer.field(field);
    const frame = writer.finish();
    t.equal(frame.length, frameBytes(fields.map((f) => f.length)));
    const offset = Math.floor(random() * 64);
    const host = new Uint8Array(offset + frame.length + 16);
    host.set(frame, offset);
    // Decode through a view that starts part-way into the buffer, as ring views do.
    const shift = Math.min(offset, 3);
    const decoded = decodeFrame(host.subarray(shift), offset - shift, frame.length);
    t.same(
      { ...decoded, fields: decoded.fields.map((f) => copyField(f)) },
      { ...header, fields: fields.map((f) => Buffer.from(f)) },
    );
  }
});

t.test('string fields carry UTF-8 text, including multi-byte characters', async (t) => {
  const writer = new FrameWriter();
  const frame = writer
    .begin({ type: MessageType.REPLY, requestId: 1 })
    .stringField('héllo ✓ 🙂')
    .stringField('')
    .finish();
  const decoded = decodeFrame(frame, 0, frame.length);
  t.equal(fieldText(decoded.fields[0]), 'héllo ✓ 🙂');
  t.equal(fieldText(decoded.fields[1]), '');
});

t.test('a field that overruns its frame is refused', async (t) => {
  const frame = new FrameWriter()
    .begin({ type: MessageType.REPLY, requestId: 1 })
    .field(new Uint8Array(10))
    .finish();
  t.throws(() => decodeFrame(frame, 0, frame.length - 1), /overruns/);
  t.throws(() => decodeFrame(frame, 0, 5), /shorter than its header/);
});
