// Writing replies: JSON bodies, raw bytes, empty answers, and the one error form every route
// uses, `{ "error": { "code", "message" } }`, with the status from ERROR_CODES for engine
// errors and HttpError for what only HTTP has (unknown route, wrong method, forbidden).
import type { ServerResponse } from 'node:http';
import { ERROR_CODES, KvError } from '../../errors.js';

export type HttpErrorCode =
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_IMPLEMENTED';

/** A refusal that comes from the HTTP layer itself, not from the engine. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;

  constructor(status: number, code: HttpErrorCode, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, { ...headers, 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) })
    .end(text);
}

export function sendBytes(
  res: ServerResponse,
  status: number,
  body: Uint8Array | string,
  headers: Record<string, string>,
): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) }).end(body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers).end();
}

/** Answers with the error's JSON form and returns its code, which is the request's outcome. */
export function sendError(res: ServerResponse, error: unknown): string {
  let status = 500;
  let code: string = 'INTERNAL';
  let message = error instanceof Error ? error.message : String(error);
  if (error instanceof KvError) {
    status = ERROR_CODES[error.code].http;
    code = error.code;
  } else if (error instanceof HttpError) {
    status = error.status;
    code = error.code;
  } else {
    message = `internal error: ${message}`;
  }
  // A reply already under way cannot change its status: cut the connection so the client sees a failure.
  if (res.headersSent) res.destroy();
  else sendJson(res, status, { error: { code, message } });
  return code;
}
