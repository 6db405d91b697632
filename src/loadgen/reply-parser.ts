// An incremental parser of RESP2 replies for the load generator's hot path. It is fed the
// socket's bytes as they come (in any split) and reports each complete top-level reply as
// (type, number, text) without allocating: bulk payloads are skipped, not copied. Two things
// are kept as strings: an error's code word ("-QUORUM not enough replicas" → "QUORUM"), and
// the first bulk of a top-level array (VGET's context), the only reply data a workload needs.

export const REPLY_SIMPLE = 1;
export const REPLY_ERROR = 2;
export const REPLY_INTEGER = 3;
export const REPLY_BULK = 4;
export const REPLY_NULL = 5;
export const REPLY_ARRAY = 6;
export type ReplyType =
  | typeof REPLY_SIMPLE
  | typeof REPLY_ERROR
  | typeof REPLY_INTEGER
  | typeof REPLY_BULK
  | typeof REPLY_NULL
  | typeof REPLY_ARRAY;

/**
 * Called once per top-level reply. `value` is the integer of an INTEGER, the payload length of
 * a SIMPLE, BULK or ERROR line, the element count of an ARRAY. `text` is an ERROR's code word,
 * or an ARRAY's first element when that is a bulk string (latin1); otherwise undefined.
 */
export type ReplyHandler = (type: ReplyType, value: number, text: string | undefined) => void;

/** Nesting deeper than this is refused as a protocol error (ringkv's EXPLAIN uses 5). */
export const ARRAY_DEPTH_MAX = 16;
export const BULK_BYTES_MAX = 512 * 1024 * 1024;
export const ARRAY_LENGTH_MAX = 1 << 24;
/** A captured array head (a context) longer than this is a protocol error. */
export const CAPTURE_BYTES_MAX = 1024 * 1024;
/** Error code words are cut at this length. */
const WORD_BYTES_MAX = 64;

const CR = 13;
const LF = 10;
const SPACE = 32;
const MINUS = 45;

const STATE_TYPE = 0;
const STATE_LINE = 1;
const STATE_LINE_LF = 2;
const STATE_BODY = 3;
const STATE_BODY_CR = 4;
const STATE_BODY_LF = 5;
const STATE_FAILED = 6;

export class ReplyParser {
  /** Why the stream was refused; once set, the parser ignores further input. */
  failure: string | undefined;

  private state = STATE_TYPE;
  private lineType = 0;
  private lineLength = 0;
  private negative = false;
  private number = 0;
  private digits = 0;
  private readonly word = Buffer.alloc(WORD_BYTES_MAX);
  private wordLength = 0;
  private wordDone = false;
  private bodyLeft = 0;
  private capturing = false;
  private capture = Buffer.alloc(256);
  private captureLength = 0;
  /** Elements still expected at each open array level; depth 0 is the top level. */
  private readonly remaining = new Int32Array(ARRAY_DEPTH_MAX);
  private depth = 0;
  private topType: ReplyType = REPLY_NULL;
  private topValue = 0;
  private topText: string | undefined;

  constructor(private readonly onReply: ReplyHandler) {}

  /** Parses buf[start, end); returns false once the stream is refused (see `failure`). */
  feed(buf: Uint8Array, start = 0, end = buf.length): boolean {
    let i = start;
    while (i < end) {
      switch (this.state) {
        case STATE_TYPE:
          this.startLine(buf[i++] as number);
          break;
        case STATE_LINE:
          i = this.lineBytes(buf, i, end);
          break;
        case STATE_LINE_LF:
          if (buf[i++] !== LF) return this.fail('a header line has CR without LF');
          this.endLine();
          break;
        case STATE_BODY:
          i = this.bodyBytes(buf, i, end);
          break;
        case STATE_BODY_CR:
          if (buf[i++] !== CR) return this.fail('a bulk string is longer than its length');
          this.state = STATE_BODY_LF;
          break;
        case STATE_BODY_LF:
          if (buf[i++] !== LF) return this.fail('a bulk string is not followed by CRLF');
          this.state = STATE_TYPE;
          this.bulkDone();
          break;
        default:
          return false;
      }
    }
    return this.state !== STATE_FAILED;
  }

  private fail(reason: string): boolean {
    this.failure ??= reason;
    this.state = STATE_FAILED;
    return false;
  }

  private startLine(type: number): void {
    switch (type) {
      case 43: // '+'
      case 45: // '-'
      case 58: // ':'
      case 36: // '$'
      case 42: // '*'
        break;
      default:
        this.fail(`unexpected reply type byte 0x${type.toString(16)}`);
        return;
    }
    this.lineType = type;
    this.lineLength = 0;
    this.negative = false;
    this.number = 0;
    this.digits = 0;
    this.wordLength = 0;
    this.wordDone = false;
    this.state = STATE_LINE;
  }

  /** Consumes header-line bytes up to CR; returns the next index. */
  private lineBytes(buf: Uint8Array, i: number, end: number): number {
    const numeric = this.lineType === 58 || this.lineType === 36 || this.lineType === 42;
    while (i < end) {
      const byte = buf[i++] as number;
      if (byte === CR) {
        this.state = STATE_LINE_LF;
        return i;
      }
      this.lineLength++;
      if (numeric) {
        if (byte === MINUS && this.lineLength === 1) this.negative = true;
        else if (byte >= 48 && byte <= 57 && this.digits < 16) {
          this.number = this.number * 10 + (byte - 48);
          this.digits++;
        } else {
          this.fail('a length or integer reply is not a decimal number');
          return end;
        }
      } else if (this.lineType === 45 && !this.wordDone) {
        if (byte === SPACE || this.wordLength === WORD_BYTES_MAX) this.wordDone = true;
        else this.word[this.wordLength++] = byte;
      }
    }
    return i;
  }

  private endLine(): void {
    this.state = STATE_TYPE;
    const n = this.negative ? -this.number : this.number;
    switch (this.lineType) {
      case 43:
        this.element(REPLY_SIMPLE, this.lineLength);
        return;
      case 45:
        this.element(REPLY_ERROR, this.lineLength);
        return;
      case 58:
        if (this.digits === 0) this.fail('an integer reply has no digits');
        else this.element(REPLY_INTEGER, n);
        return;
      case 36:
        this.bulkHeader(n);
        return;
      default:
        this.arrayHeader(n);
    }
  }

  private bulkHeader(length: number): void {
    if (this.digits === 0 || length < -1 || length > BULK_BYTES_MAX) {
      this.fail(`bad bulk length ${length}`);
      return;
    }
    if (length === -1) {
      this.element(REPLY_NULL, 0);
      return;
    }
    if (this.depth === 0) this.setTop(REPLY_BULK, length);
    // The first element of a top-level array is kept: VGET's context.
    this.capturing = this.depth === 1 && this.remaining[0] === this.topValue;
    if (this.capturing) {
      if (length > CAPTURE_BYTES_MAX) {
        this.fail(`an array's first bulk is ${length} bytes; at most ${CAPTURE_BYTES_MAX} are kept`);
        return;
      }
      if (this.capture.length < length)
        this.capture = Buffer.alloc(Math.max(length, this.capture.length * 2));
      this.captureLength = 0;
    }
    this.bodyLeft = length;
    this.state = length === 0 ? STATE_BODY_CR : STATE_BODY;
  }

  private bodyBytes(buf: Uint8Array, i: number, end: number): number {
    const take = Math.min(end - i, this.bodyLeft);
    if (this.capturing) {
      this.capture.set(buf.subarray(i, i + take), this.captureLength);
      this.captureLength += take;
    }
    this.bodyLeft -= take;
    if (this.bodyLeft === 0) this.state = STATE_BODY_CR;
    return i + take;
  }

  private bulkDone(): void {
    if (this.capturing) {
      this.topText = this.capture.toString('latin1', 0, this.captureLength);
      this.capturing = false;
    }
    this.finishElement();
  }

  private arrayHeader(length: number): void {
    if (this.digits === 0 || length < -1 || length > ARRAY_LENGTH_MAX) {
      this.fail(`bad array length ${length}`);
      return;
    }
    if (length <= 0) {
      this.element(length === -1 ? REPLY_NULL : REPLY_ARRAY, 0);
      return;
    }
    if (this.depth === ARRAY_DEPTH_MAX) {
      this.fail(`arrays nested deeper than ${ARRAY_DEPTH_MAX}`);
      return;
    }
    if (this.depth === 0) this.setTop(REPLY_ARRAY, length);
    this.remaining[this.depth++] = length;
  }

  private setTop(type: ReplyType, value: number): void {
    this.topType = type;
    this.topValue = value;
    this.topText = undefined;
  }

  /** A complete non-bulk element (a bulk finishes through bulkDone). */
  private element(type: ReplyType, value: number): void {
    if (this.depth === 0) {
      this.setTop(type, value);
      if (type === REPLY_ERROR) this.topText = this.word.toString('latin1', 0, this.wordLength);
    }
    this.finishElement();
  }

  /** One element is done: close every array it completes, and report a complete reply. */
  private finishElement(): void {
    while (this.depth > 0) {
      const left = (this.remaining[this.depth - 1] as number) - 1;
      this.remaining[this.depth - 1] = left;
      if (left > 0) return;
      this.depth--;
    }
    this.onReply(this.topType, this.topValue, this.topText);
  }
}
