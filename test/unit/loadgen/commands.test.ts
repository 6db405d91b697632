// Goal: the generator's commands are well-formed RESP arrays carrying the right key, value and
// context, back to back in one batch buffer. Method: encode a batch, decode it with the test
// server's command decoder, and compare arguments.
import t from 'tap';
import { CommandEncoder, KEY_BYTES, keyName, makeValue } from '../../../src/loadgen/commands.js';
import { decodeCommands } from './fake-resp-server.js';

const text = (args: Buffer[]) => args.map((a) => a.toString('latin1'));

t.test('key names are key: and twelve digits, 16 bytes', async (t) => {
  t.equal(keyName(0), 'key:000000000000');
  t.equal(keyName(123_456_789), 'key:000123456789');
  t.equal(keyName(999_999_999).length, KEY_BYTES);
});

t.test('values are printable, of the asked size, and the same for the same seed', async (t) => {
  const value = makeValue(100, 1);
  t.equal(value.length, 100);
  t.ok(
    [...value].every((b) => b >= 97 && b <= 122),
    'lower-case letters',
  );
  t.same(makeValue(100, 1), value);
  t.equal(makeValue(0, 1).length, 0);
});

t.test('GET, SET, VGET and VPUT written back to back decode to their arguments', async (t) => {
  const value = makeValue(37, 5);
  const encoder = new CommandEncoder(value);
  const context = 'AQAB8AMJDAAAAAFCeiASxV3QAA';
  const out = Buffer.alloc(4 * encoder.commandBytesMax + encoder.vputBytes(context.length));
  let at = encoder.get(out, 0, 7);
  at = encoder.set(out, at, 123_456);
  at = encoder.vget(out, at, 999_999_999);
  at = encoder.vput(out, at, 42, context);
  at = encoder.vput(out, at, 43, '');
  const { commands, rest } = decodeCommands(out.subarray(0, at));
  t.equal(rest.length, 0, 'nothing left over');
  t.same(commands.map(text), [
    ['GET', keyName(7)],
    ['SET', keyName(123_456), value.toString('latin1')],
    ['VGET', keyName(999_999_999)],
    ['VPUT', keyName(42), context, value.toString('latin1')],
    ['VPUT', keyName(43), '', value.toString('latin1')],
  ]);
});

t.test('the size bounds cover the longest command of each kind', async (t) => {
  const encoder = new CommandEncoder(makeValue(1000, 2));
  const out = Buffer.alloc(1 << 16);
  t.ok(encoder.set(out, 0, 999_999_999) <= encoder.commandBytesMax, 'SET');
  t.ok(encoder.get(out, 0, 999_999_999) <= encoder.commandBytesMax, 'GET');
  t.ok(encoder.vput(out, 0, 1, 'x'.repeat(300)) <= encoder.vputBytes(300), 'VPUT');
});
