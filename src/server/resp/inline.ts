// Splits an inline command line (what telnet and redis-cli's hand-typed input send) into its
// arguments exactly as Redis's sdssplitargs does: words separated by blanks; "double quotes"
// with \n \r \t \b \a \\ \" and \xHH escapes (any other escaped byte stands for itself);
// 'single quotes' where only \' is an escape; a quote may open in the middle of a word
// (a"b c" is `ab c`), but a closing quote must be followed by a blank or the end of the line.
// A quote left open, or closed against another byte, makes the line unbalanced: null.
// Words without quotes are slices of the line, not copies. One difference: a NUL byte is an
// ordinary byte here. Redis cannot split such a line at all (its inline reader looks for the
// newline with strchr, which stops at the NUL, so the connection waits until the line is too
// big); keeping it makes binary garbage an unknown-command error the sender can see.

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;
const LOWER_X = 0x78;

/**
 * C's isspace (space, \t \n \v \f \r: 0x09 to 0x0d), which sdssplitargs uses to skip blanks
 * between words and after a closing quote.
 */
function isSpace(byte: number): boolean {
  return byte === SPACE || (byte >= TAB && byte <= CR);
}

/** The bytes that end an unquoted word (a narrower set than isspace: \v and \f do not). */
function endsWord(byte: number): boolean {
  return byte === SPACE || byte === LF || byte === CR || byte === TAB;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

const DOUBLE_QUOTE_ESCAPES = new Map<number, number>([
  [0x6e, LF], // \n
  [0x72, CR], // \r
  [0x74, TAB], // \t
  [0x62, 0x08], // \b
  [0x61, 0x07], // \a
]);

/** The arguments of one inline line (without its line ending), or null when its quotes are unbalanced. */
export function splitInlineArgs(line: Buffer): Buffer[] | null {
  const end = line.length;
  const words: Buffer[] = [];
  let at = 0;
  for (;;) {
    while (at < end && isSpace(line[at] as number)) at++;
    if (at >= end) return words;
    const word = readWord(line, at, end);
    if (word === null) return null;
    words.push(word.bytes);
    at = word.next;
  }
}

/** One word starting at `start`; `next` is where the scan goes on. Null: unbalanced quotes. */
function readWord(line: Buffer, start: number, end: number): { bytes: Buffer; next: number } | null {
  let at = start;
  while (at < end) {
    const byte = line[at] as number;
    if (endsWord(byte)) return { bytes: line.subarray(start, at), next: at };
    if (byte === DOUBLE_QUOTE || byte === SINGLE_QUOTE) break;
    at++;
  }
  if (at >= end) return { bytes: line.subarray(start, at), next: at };
  // A quote opened: from here on the word is built byte by byte.
  const bytes: number[] = [...line.subarray(start, at)];
  while (at < end) {
    const byte = line[at] as number;
    if (endsWord(byte)) return { bytes: Buffer.from(bytes), next: at };
    if (byte === DOUBLE_QUOTE) {
      at = readDoubleQuoted(line, at + 1, end, bytes);
    } else if (byte === SINGLE_QUOTE) {
      at = readSingleQuoted(line, at + 1, end, bytes);
    } else {
      bytes.push(byte);
      at++;
      continue;
    }
    if (at < 0) return null;
    // After a closing quote the word ends: a blank or the end of the line must follow.
    if (at < end && !isSpace(line[at] as number)) return null;
    return { bytes: Buffer.from(bytes), next: at };
  }
  return { bytes: Buffer.from(bytes), next: at };
}

/** Reads up to the closing double quote; returns the index after it, or -1 if it never comes. */
function readDoubleQuoted(line: Buffer, from: number, end: number, bytes: number[]): number {
  let at = from;
  while (at < end) {
    const byte = line[at] as number;
    if (byte === DOUBLE_QUOTE) return at + 1;
    if (byte === BACKSLASH && at + 1 < end) {
      const escaped = line[at + 1] as number;
      if (escaped === LOWER_X && at + 3 < end) {
        const high = hexValue(line[at + 2] as number);
        const low = hexValue(line[at + 3] as number);
        if (high >= 0 && low >= 0) {
          bytes.push(high * 16 + low);
          at += 4;
          continue;
        }
      }
      bytes.push(DOUBLE_QUOTE_ESCAPES.get(escaped) ?? escaped);
      at += 2;
      continue;
    }
    bytes.push(byte);
    at++;
  }
  return -1;
}

/** Reads up to the closing single quote; returns the index after it, or -1 if it never comes. */
function readSingleQuoted(line: Buffer, from: number, end: number, bytes: number[]): number {
  let at = from;
  while (at < end) {
    const byte = line[at] as number;
    if (byte === BACKSLASH && at + 1 < end && line[at + 1] === SINGLE_QUOTE) {
      bytes.push(SINGLE_QUOTE);
      at += 2;
      continue;
    }
    if (byte === SINGLE_QUOTE) return at + 1;
    bytes.push(byte);
    at++;
  }
  return -1;
}
