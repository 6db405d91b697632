// RESP encoding of the generator's commands straight into a batch buffer: each command is a
// constant head, the key's digits written in place, and a constant tail, so a batch costs one
// Buffer (reused) and no strings. Keys are `key:` and 12 decimal digits, 16 bytes, like the
// keys DESIGN.md measures hashing with.

export const KEY_BYTES = 16;
const KEY_PREFIX = 'key:';
const KEY_DIGITS = KEY_BYTES - KEY_PREFIX.length;

/** The key of key number `n`, as the server sees it. */
export function keyName(n: number): string {
  return `${KEY_PREFIX}${String(n).padStart(KEY_DIGITS, '0')}`;
}

const ascii = (text: string) => Buffer.from(text, 'latin1');

/** A value of `bytes` printable characters, so redis-cli shows it plainly. */
export function makeValue(bytes: number, seed: number): Buffer {
  const value = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    value[i] = 97 + ((x >>> 0) % 26);
  }
  return value;
}

export class CommandEncoder {
  private readonly getHead = ascii(`*2\r\n$3\r\nGET\r\n$${KEY_BYTES}\r\n${KEY_PREFIX}`);
  private readonly setHead = ascii(`*3\r\n$3\r\nSET\r\n$${KEY_BYTES}\r\n${KEY_PREFIX}`);
  private readonly vgetHead = ascii(`*2\r\n$4\r\nVGET\r\n$${KEY_BYTES}\r\n${KEY_PREFIX}`);
  private readonly vputHead = ascii(`*4\r\n$4\r\nVPUT\r\n$${KEY_BYTES}\r\n${KEY_PREFIX}`);
  private readonly keyTail = ascii('\r\n');
  /** CRLF after the key, then the value as a bulk string. */
  private readonly valueTail: Buffer;
  /** The most bytes a GET, SET or VGET takes. */
  readonly commandBytesMax: number;

  constructor(readonly value: Buffer) {
    this.valueTail = Buffer.concat([ascii(`\r\n$${value.length}\r\n`), value, this.keyTail]);
    this.commandBytesMax = this.setHead.length + KEY_DIGITS + this.valueTail.length;
  }

  /** Bytes a VPUT with a context of `contextBytes` takes. */
  vputBytes(contextBytes: number): number {
    return this.vputHead.length + KEY_DIGITS + 16 + contextBytes + this.valueTail.length;
  }

  get(out: Buffer, at: number, key: number): number {
    return this.keyed(out, at, this.getHead, key, this.keyTail);
  }

  set(out: Buffer, at: number, key: number): number {
    return this.keyed(out, at, this.setHead, key, this.valueTail);
  }

  vget(out: Buffer, at: number, key: number): number {
    return this.keyed(out, at, this.vgetHead, key, this.keyTail);
  }

  /** VPUT key context value; the context is base64url, so latin1 writes it byte for byte. */
  vput(out: Buffer, at: number, key: number, context: string): number {
    at = this.keyed(out, at, this.vputHead, key, this.keyTail);
    at += out.write(`$${context.length}\r\n`, at, 'latin1');
    at += out.write(context, at, 'latin1');
    out.set(this.valueTail, at);
    return at + this.valueTail.length;
  }

  private keyed(out: Buffer, at: number, head: Buffer, key: number, tail: Buffer): number {
    out.set(head, at);
    at += head.length;
    for (let i = KEY_DIGITS - 1; i >= 0; i--) {
      out[at + i] = 48 + (key % 10);
      key = Math.floor(key / 10);
    }
    at += KEY_DIGITS;
    out.set(tail, at);
    return at + tail.length;
  }
}
