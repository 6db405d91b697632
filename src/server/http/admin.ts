// The fault-injection interface, off unless the server runs with --fault-injection:
//   POST /admin/workers/{id}/kill     the worker crashes (an uncaught error) and is respawned
//   POST /admin/workers/{id}/pause    it stops draining its rings and heartbeating (a hang)
//   POST /admin/workers/{id}/isolate  its frames to and from other threads are dropped (a cut-off)
//   POST /admin/workers/{id}/heal     undoes pause and isolate
//   POST /admin/hints/drop            discards every pending hint, so only anti-entropy repairs
// Each answers 204; a bad worker id is 400, anything else under /admin 404 or 405.
import type { Handler } from './exchange.js';
import { HttpError, sendEmpty } from './reply.js';

const WORKER_ACTIONS = ['kill', 'pause', 'isolate', 'heal'] as const;
type WorkerAction = (typeof WORKER_ACTIONS)[number];

export const admin: Handler = async ({ db, faultInjection }, { req, res }) => {
  if (!faultInjection) {
    throw new HttpError(
      403,
      'FORBIDDEN',
      'the admin interface is off; start the server with --fault-injection',
    );
  }
  const segments = new URL(req.url ?? '/', 'http://localhost').pathname.split('/').slice(2);
  const [first, second, third] = segments;
  const known =
    (first === 'workers' && segments.length === 3 && WORKER_ACTIONS.includes(third as WorkerAction)) ||
    (first === 'hints' && second === 'drop' && segments.length === 2);
  if (!known) throw new HttpError(404, 'NOT_FOUND', `no admin route ${req.url ?? ''}`);
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'admin routes take POST');
  }
  if (first === 'hints') {
    await db.faults.dropHints();
  } else {
    const worker = Number(second);
    db.faults[third as WorkerAction](worker);
  }
  sendEmpty(res, 204);
};
