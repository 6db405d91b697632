// Operating errors of ringkv: one code per failure a caller can meet and handle. Errors cross
// threads as { code, message } (never by instanceof after structured cloning); the table
// below maps every code to its RESP error word and HTTP status, and the README documents each.

export const ERROR_CODES = {
  BAD_REQUEST: { resp: 'ERR', http: 400, summary: 'the request is malformed or an argument is out of range' },
  BAD_CONTEXT: { resp: 'BADCONTEXT', http: 400, summary: 'the context string is not one ringkv issued' },
  TOOLARGE: {
    resp: 'TOOLARGE',
    http: 413,
    summary: 'a key, value, record, frame or multi-key command exceeds its configured limit',
  },
  QUORUM: { resp: 'QUORUM', http: 503, summary: 'fewer than R (or W) replicas answered successfully' },
  TIMEOUT: { resp: 'TIMEOUT', http: 504, summary: 'the request did not finish within the request timeout' },
  BUSY: { resp: 'BUSY', http: 503, summary: 'too many requests are in flight; retry later' },
  SIBLINGS: {
    resp: 'SIBLINGS',
    http: 409,
    summary: 'the key holds the maximum number of siblings; resolve them first',
  },
  STORAGE: { resp: 'STORAGE', http: 507, summary: 'the storage engine failed to commit (disk or map full)' },
  CLOSED: { resp: 'CLOSED', http: 503, summary: 'the database is closed or closing' },
  LOCKED: {
    resp: 'LOCKED',
    http: 423,
    summary: 'the data directory is held by another open database (this or another process)',
  },
  INTERNAL: { resp: 'ERR', http: 500, summary: 'an unexpected internal failure' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Plain form of an error, safe to send between threads. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

export class KvError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'KvError';
    this.code = code;
  }

  toWire(): WireError {
    return { code: this.code, message: this.message };
  }

  static fromWire(wire: WireError): KvError {
    return new KvError(isErrorCode(wire.code) ? wire.code : 'INTERNAL', wire.message);
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** The numeric form used in binary frames: the code's index in ERROR_CODES, plus one (0 = ok). */
const CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

export function errorCodeToStatus(code: ErrorCode): number {
  return CODE_LIST.indexOf(code) + 1;
}

export function statusToErrorCode(status: number): ErrorCode {
  return CODE_LIST[status - 1] ?? 'INTERNAL';
}
