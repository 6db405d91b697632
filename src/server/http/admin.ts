// The admin routes. Operations, always on:
//   POST /admin/backup                body {"dir": "/abs/path"}: a consistent copy of the store
//                                     (every worker's LMDB environment, the ring and the bucket
//                                     props) while it serves; 201 {"dir", "workers", "ms"}
// Fault injection, off unless the server runs with --fault-injection (403 otherwise):
//   POST /admin/workers/{id}/kill     the worker crashes (an uncaught error) and is respawned
//   POST /admin/workers/{id}/pause    it stops draining its rings and heartbeating (a hang)
//   POST /admin/workers/{id}/isolate  its frames to and from other threads are dropped (a cut-off)
//   POST /admin/workers/{id}/heal     undoes pause and isolate
//   POST /admin/hints/drop            discards every pending hint, so only anti-entropy repairs
// Each fault answers 204; a bad worker id is 400, anything else under /admin 404 or 405.
import { KvError } from '../../errors.js';
import { type Handler, readBody } from './exchange.js';
import { HttpError, sendEmpty, sendJson } from './reply.js';

const WORKER_ACTIONS = ['kill', 'pause', 'isolate', 'heal'] as const;
type WorkerAction = (typeof WORKER_ACTIONS)[number];

/** A body of a few paths at most. */
const BACKUP_BODY_BYTES_MAX = 64 * 1024;

export const admin: Handler = async (context, exchange) => {
  const { req, res } = exchange;
  const segments = new URL(req.url ?? '/', 'http://localhost').pathname.split('/').slice(2);
  const [first, second, third] = segments;
  const backup = first === 'backup' && segments.length === 1;
  const fault =
    (first === 'workers' && segments.length === 3 && WORKER_ACTIONS.includes(third as WorkerAction)) ||
    (first === 'hints' && second === 'drop' && segments.length === 2);
  if (!backup && !fault) throw new HttpError(404, 'NOT_FOUND', `no admin route ${req.url ?? ''}`);
  if (fault && !context.faultInjection) {
    throw new HttpError(
      403,
      'FORBIDDEN',
      'the fault-injection routes are off; start the server with --fault-injection',
    );
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'admin routes take POST');
  }
  if (backup) {
    const dir = backupDir(await readBody(exchange, BACKUP_BODY_BYTES_MAX, 'the body'));
    const started = Date.now();
    const done = await context.db.backup(dir);
    sendJson(res, 201, { dir: done.dir, workers: done.workers, ms: Date.now() - started });
    return;
  }
  if (first === 'hints') {
    await context.db.faults.dropHints();
  } else {
    context.db.faults[third as WorkerAction](Number(second));
  }
  sendEmpty(res, 204);
};

function backupDir(body: Buffer): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new KvError('BAD_REQUEST', `the body is not JSON: ${(error as Error).message}`);
  }
  const dir = (parsed as { dir?: unknown } | null)?.dir;
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new KvError(
      'BAD_REQUEST',
      'the body must be { "dir": "/absolute/path" } naming a new or empty directory',
    );
  }
  return dir;
}
