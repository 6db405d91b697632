// Incremental RESP request decoder: fed socket chunks of any size, it yields one command at a
// time as an array of Buffers. Requests are arrays of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`)
// or inline lines (`PING\r\n`, what telnet and hand-typed input send, split with quotes as Redis
// splits them: inline.ts); RESP3 changed replies only, so requests are the same. Whole commands inside one
// chunk are sliced out of it without copying; partial input is kept only up to the limits, and a
// declared length over a limit is refused at its header, before any of its bytes are buffered.
// An array longer than any command can take is read to its end but only its name is kept
// (droppedArguments says how many were not), so a huge request costs no memory per argument
// and the connection can answer it with an error and go on.

/** A broken request stream: the connection answers `-ERR Protocol error: <message>` and closes. */
export class RespProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespProtocolError';
  }
}

export interface DecoderLimits {
  /** Largest bulk string argument, in bytes. */
  maxBulkBytes: number;
  /** Most elements in one request array (command name included). */
  maxArrayLength: number;
  /** Longest inline command line, in bytes. */
  maxInlineBytes: number;
  /** Most bulk bytes in one request, all arguments together (bounds what one command may hold). */
  maxRequestBytes: number;
  /**
   * Most arguments kept of one request (command name included); a longer array is still read
   * through, but only its name is kept. Default: maxArrayLength (every argument is kept).
   */
  maxArgumentsKept?: number;
}

import { splitInlineArgs } from './inline.js';

const STAR = 0x2a;
const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Digits a length may have: enough for any sane limit, few enough that the value stays exact. */
const LENGTH_DIGITS_MAX = 15;
/** parseLength's answer when the header line is not complete yet. */
const INCOMPLETE = -2;

const EMPTY = Buffer.alloc(0);

export class RespDecoder {
  private readonly limits: DecoderLimits;
  /** Bytes being parsed; `pos` is the first one not consumed yet. */
  private buf: Buffer = EMPTY;
  private pos = 0;
  /**
   * Chunks that arrived while the parser waits for more: they are joined to `buf` once, when
   * the wait can end (a newline arrived, or enough bytes for the awaited bulk), so a value
   * arriving in many small chunks is copied once rather than once per chunk.
   */
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** While waiting for a bulk: bytes needed from `pos`. */
  private needBytes = 0;
  /** While waiting for an inline line: how long it may grow before it is an error. */
  private inlineBytesMax = 0;
  /** The array being read: arguments so far, and how many are still to come. */
  private args: Buffer[] | null = null;
  private argsLeft = 0;
  /** How many arguments of the array being read are kept: all, or only the name when over maxArgumentsKept. */
  private argsKept = 0;
  private argsDeclared = 0;
  /**
   * Arguments of the command last returned by next() that were read but not kept because the
   * array was longer than maxArgumentsKept; 0 for a whole command.
   */
  droppedArguments = 0;
  /** Length of the bulk whose header was read and whose data is awaited; -1 if none. */
  private bulkLength = -1;
  /** Bulk bytes declared so far by the array being read. */
  private requestBytes = 0;
  private failed: RespProtocolError | null = null;

  constructor(limits: DecoderLimits) {
    this.limits = limits;
  }

  /** Bytes held for commands not complete yet. */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.tailBytes;
  }

  push(chunk: Buffer): void {
    if (this.failed !== null) return;
    if (this.pos >= this.buf.length && this.tailBytes === 0) {
      this.buf = chunk;
      this.pos = 0;
      return;
    }
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    // A header line is parsed again on every chunk: it is complete or an error within a type
    // byte, a sign, LENGTH_DIGITS_MAX digits and CRLF. Bulks and inline lines, which may be
    // long, wait until they can be complete, so their bytes are joined once.
    const available = this.buf.length - this.pos + this.tailBytes;
    if (this.needBytes > 0) {
      if (available < this.needBytes) return;
    } else if (this.inlineBytesMax > 0) {
      if (chunk.indexOf(LF) === -1 && available <= this.inlineBytesMax) return;
    }
    this.join();
  }

  /**
   * The next complete command, or null when more input is needed. Throws RespProtocolError on
   * malformed input; the decoder is then unusable and the connection must close.
   */
  next(): Buffer[] | null {
    if (this.failed !== null) throw this.failed;
    this.droppedArguments = 0;
    if (this.tailBytes > 0) return null;
    // What the parse waits for is set afresh when it stops short.
    this.needBytes = 0;
    this.inlineBytesMax = 0;
    try {
      return this.parse();
    } catch (error) {
      if (error instanceof RespProtocolError) {
        this.failed = error;
        this.release();
      }
      throw error;
    }
  }

  private parse(): Buffer[] | null {
    for (;;) {
      if (this.args === null) {
        if (this.pos >= this.buf.length) {
          this.release();
          return null;
        }
        if (this.buf[this.pos] !== STAR) {
          const inline = this.parseInline();
          if (inline === null || inline.length > 0) return inline;
          continue; // an empty line: nothing to run
        }
        const count = this.parseLength(this.pos + 1, this.limits.maxArrayLength, 'multibulk length', true);
        if (count === INCOMPLETE) return null;
        // A count of zero or less (`*0`, `*-1`, `*-10`) carries no command: Redis skips it
        // without a reply and keeps the connection, and so do we.
        if (count <= 0) continue;
        this.args = [];
        this.argsLeft = count;
        this.argsDeclared = count;
        this.argsKept = count > (this.limits.maxArgumentsKept ?? this.limits.maxArrayLength) ? 1 : count;
        this.requestBytes = 0;
      }
      if (!this.parseElements()) return null;
      const command = this.args;
      this.args = null;
      this.droppedArguments = this.argsDeclared - command.length;
      if (this.pos >= this.buf.length) this.release();
      return command;
    }
  }

  /** Reads the elements of the current array; false when input runs out first. */
  private parseElements(): boolean {
    const args = this.args as Buffer[];
    const buf = this.buf;
    while (this.argsLeft > 0) {
      if (this.bulkLength < 0) {
        if (this.pos >= buf.length) return false;
        const type = buf[this.pos] as number;
        if (type !== DOLLAR) {
          throw new RespProtocolError(`expected '$', got '${printable(type)}'`);
        }
        // A null bulk (`$-1`) is not a valid argument: Redis refuses it the same way.
        const length = this.parseLength(this.pos + 1, this.limits.maxBulkBytes, 'bulk length', false);
        if (length === INCOMPLETE) return false;
        this.requestBytes += length;
        if (this.requestBytes > this.limits.maxRequestBytes) {
          throw new RespProtocolError(
            `request is over the limit of ${this.limits.maxRequestBytes} bytes of arguments`,
          );
        }
        this.bulkLength = length;
      }
      const end = this.pos + this.bulkLength;
      if (end + 2 > buf.length) {
        this.needBytes = this.bulkLength + 2;
        return false;
      }
      if (buf[end] !== CR || buf[end + 1] !== LF) {
        throw new RespProtocolError(`bulk string of ${this.bulkLength} bytes is not followed by CRLF`);
      }
      if (args.length < this.argsKept) args.push(buf.subarray(this.pos, end));
      this.pos = end + 2;
      this.bulkLength = -1;
      this.argsLeft--;
    }
    return true;
  }

  /**
   * Parses the decimal of a `*N` or `$N` header starting at `start` (after the type byte) and
   * consumes the line. Returns INCOMPLETE when the line has not fully arrived; a negative value
   * only when `allowNegative` (array counts). The digits follow Redis's string2ll: no leading
   * zero, no `-0`. Anything else malformed or above `max` throws.
   */
  private parseLength(start: number, max: number, what: string, allowNegative: boolean): number {
    const buf = this.buf;
    let i = start;
    let negative = false;
    if (i < buf.length && buf[i] === MINUS) {
      negative = true;
      i++;
    }
    let value = 0;
    const digitsStart = i;
    while (i < buf.length) {
      const byte = buf[i] as number;
      if (byte < DIGIT_0 || byte > DIGIT_9) break;
      if (i - digitsStart >= LENGTH_DIGITS_MAX) throw new RespProtocolError(`invalid ${what}`);
      value = value * 10 + (byte - DIGIT_0);
      i++;
    }
    if (i >= buf.length) return INCOMPLETE;
    if (i === digitsStart || buf[i] !== CR) throw new RespProtocolError(`invalid ${what}`);
    if (i + 1 >= buf.length) return INCOMPLETE;
    if (buf[i + 1] !== LF) throw new RespProtocolError(`invalid ${what}`);
    const leadingZero = buf[digitsStart] === DIGIT_0 && (i - digitsStart > 1 || negative);
    if (leadingZero) throw new RespProtocolError(`invalid ${what}`);
    if (negative) {
      if (!allowNegative) throw new RespProtocolError(`invalid ${what}`);
      value = -value;
    } else if (value > max) {
      throw new RespProtocolError(`invalid ${what}: ${value} is over the limit of ${max}`);
    }
    this.pos = i + 2;
    return value;
  }

  /** An inline command: one line of words (inline.ts). Null when the line is not complete. */
  private parseInline(): Buffer[] | null {
    const buf = this.buf;
    const max = this.limits.maxInlineBytes;
    const newline = buf.indexOf(LF, this.pos);
    // The limit counts the line without its CRLF; one byte more may be the CR.
    if (newline === -1) {
      if (buf.length - this.pos > max + 1) throw inlineTooBig(max);
      this.inlineBytesMax = max + 1;
      return null;
    }
    let end = newline;
    if (end > this.pos && buf[end - 1] === CR) end--;
    if (end - this.pos > max) throw inlineTooBig(max);
    const words = splitInlineArgs(buf.subarray(this.pos, end));
    if (words === null) throw new RespProtocolError('unbalanced quotes in request');
    if (words.length > this.limits.maxArrayLength) {
      throw new RespProtocolError(`too many arguments in inline request: over ${this.limits.maxArrayLength}`);
    }
    this.pos = newline + 1;
    if (this.pos >= buf.length) this.release();
    return words;
  }

  /** Joins the unconsumed bytes and the waiting chunks into one buffer. */
  private join(): void {
    const pieces = this.pos < this.buf.length ? [this.buf.subarray(this.pos), ...this.tail] : this.tail;
    this.buf = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
    this.pos = 0;
    this.tail = [];
    this.tailBytes = 0;
    this.needBytes = 0;
    this.inlineBytesMax = 0;
  }

  /** Drops the reference to a consumed chunk, so it can be collected. */
  private release(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.tail = [];
    this.tailBytes = 0;
  }
}

function inlineTooBig(max: number): RespProtocolError {
  return new RespProtocolError(`too big inline request: over the limit of ${max} bytes`);
}

function printable(byte: number): string {
  return byte >= 0x21 && byte <= 0x7e
    ? String.fromCharCode(byte)
    : `\\x${byte.toString(16).padStart(2, '0')}`;
}
