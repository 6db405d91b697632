// The route table and its matcher. Paths are split on `/` before decoding, so `{bucket}` and
// `{key}` may hold any byte once percent-encoded (`%2F` for a slash). Each method of a route
// names the `command` label its requests carry in the metrics and the role it needs (#13):
// reads need `read`, key writes `write`, bucket properties and /admin `admin`; /health is open
// so that load balancers and probes need no credentials.

import { ACCESS_ADMIN, ACCESS_OPEN, ACCESS_READ, ACCESS_WRITE, type AccessLevel } from '../auth/access.js';
import { admin } from './admin.js';
import { assetHandlers, getDashboard, getEvents } from './dashboard.js';
import type { Handler } from './exchange.js';
import { deleteKey, explainKey, getKey, postKey, putKey } from './keys.js';
import { getProps, putProps } from './props.js';
import { getHealth, getMetrics, getRing, getStats } from './status.js';

interface Route {
  /** The metrics label: `${name}_${method}` per request, `name` alone for a refused method. */
  name: string;
  /** Literal segments, and `:bucket` / `:key` for the parameters. */
  path: readonly string[];
  methods: Readonly<Record<string, Method>>;
}

interface Method {
  handler: Handler;
  access: AccessLevel;
}

const open = (handler: Handler): Method => ({ handler, access: ACCESS_OPEN });
const read = (handler: Handler): Method => ({ handler, access: ACCESS_READ });
const write = (handler: Handler): Method => ({ handler, access: ACCESS_WRITE });
const adminOnly = (handler: Handler): Method => ({ handler, access: ACCESS_ADMIN });

const ROUTES: readonly Route[] = [
  {
    name: 'key',
    path: ['buckets', ':bucket', 'keys', ':key'],
    methods: { GET: read(getKey), PUT: write(putKey), DELETE: write(deleteKey) },
  },
  { name: 'keys', path: ['buckets', ':bucket', 'keys'], methods: { POST: write(postKey) } },
  {
    name: 'props',
    path: ['buckets', ':bucket', 'props'],
    methods: { GET: read(getProps), PUT: adminOnly(putProps) },
  },
  { name: 'explain', path: ['explain', ':bucket', ':key'], methods: { GET: read(explainKey) } },
  { name: 'ring', path: ['ring'], methods: { GET: read(getRing) } },
  { name: 'stats', path: ['stats'], methods: { GET: read(getStats) } },
  { name: 'health', path: ['health'], methods: { GET: open(getHealth) } },
  { name: 'metrics', path: ['metrics'], methods: { GET: read(getMetrics) } },
  { name: 'events', path: ['events'], methods: { GET: read(getEvents) } },
  // The dashboard's page and files hold no data: once the API has credentials they need none,
  // so the page can load and ask for the password that /events and the rest need.
  { name: 'dashboard', path: [''], methods: { GET: open(getDashboard) } },
  ...Object.entries(assetHandlers).map(([file, handler]) => ({
    name: 'dashboard',
    path: ['dashboard', file],
    methods: { GET: open(handler) },
  })),
];

/** What a request matched, with the access level a client needs to be answered (even a 404). */
export type Match =
  | { kind: 'route'; command: string; handler: Handler; access: AccessLevel; bucket: string; key: string }
  | { kind: 'method'; command: string; access: AccessLevel; allow: string }
  | { kind: 'none'; command: 'unknown'; access: AccessLevel };

/** Finds the route of a path (without its query); parameters come back still encoded. */
export function matchRoute(method: string, pathname: string): Match {
  const segments = pathname.split('/').slice(1);
  if (segments[0] === 'admin')
    return { kind: 'route', command: 'admin', handler: admin, access: ACCESS_ADMIN, bucket: '', key: '' };
  for (const { name, path, methods } of ROUTES) {
    const params = matchPath(path, segments);
    if (params === null) continue;
    const found = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (found === undefined) {
      return { kind: 'method', command: name, access: ACCESS_READ, allow: Object.keys(methods).join(', ') };
    }
    const { handler, access } = found;
    return { kind: 'route', command: `${name}_${method.toLowerCase()}`, handler, access, ...params };
  }
  return { kind: 'none', command: 'unknown', access: ACCESS_READ };
}

function matchPath(path: readonly string[], segments: string[]): { bucket: string; key: string } | null {
  if (segments.length !== path.length) return null;
  const params = { bucket: '', key: '' };
  for (let i = 0; i < path.length; i++) {
    const pattern = path[i] as string;
    const segment = segments[i] as string;
    if (pattern === ':bucket' || pattern === ':key') {
      if (segment.length === 0) return null;
      params[pattern === ':bucket' ? 'bucket' : 'key'] = segment;
    } else if (pattern !== segment) return null;
  }
  return params;
}
