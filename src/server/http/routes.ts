// The route table and its matcher. Paths are split on `/` before decoding, so `{bucket}` and
// `{key}` may hold any byte once percent-encoded (`%2F` for a slash). Each method of a route
// names the `command` label its requests carry in the metrics.

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
  methods: Readonly<Record<string, Handler>>;
}

const ROUTES: readonly Route[] = [
  {
    name: 'key',
    path: ['buckets', ':bucket', 'keys', ':key'],
    methods: { GET: getKey, PUT: putKey, DELETE: deleteKey },
  },
  { name: 'keys', path: ['buckets', ':bucket', 'keys'], methods: { POST: postKey } },
  { name: 'props', path: ['buckets', ':bucket', 'props'], methods: { GET: getProps, PUT: putProps } },
  { name: 'explain', path: ['explain', ':bucket', ':key'], methods: { GET: explainKey } },
  { name: 'ring', path: ['ring'], methods: { GET: getRing } },
  { name: 'stats', path: ['stats'], methods: { GET: getStats } },
  { name: 'health', path: ['health'], methods: { GET: getHealth } },
  { name: 'metrics', path: ['metrics'], methods: { GET: getMetrics } },
  { name: 'events', path: ['events'], methods: { GET: getEvents } },
  // The dashboard's page and files hold no data: once the API has credentials they need none,
  // so the page can load and ask for the password that /events and the rest need.
  { name: 'dashboard', path: [''], methods: { GET: getDashboard } },
  ...Object.entries(assetHandlers).map(([file, handler]) => ({
    name: 'dashboard',
    path: ['dashboard', file],
    methods: { GET: handler },
  })),
];

export type Match =
  | { kind: 'route'; command: string; handler: Handler; bucket: string; key: string }
  | { kind: 'method'; command: string; allow: string }
  | { kind: 'none'; command: 'unknown' };

/** Finds the route of a path (without its query); parameters come back still encoded. */
export function matchRoute(method: string, pathname: string): Match {
  const segments = pathname.split('/').slice(1);
  if (segments[0] === 'admin')
    return { kind: 'route', command: 'admin', handler: admin, bucket: '', key: '' };
  for (const { name, path, methods } of ROUTES) {
    const params = matchPath(path, segments);
    if (params === null) continue;
    const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (handler === undefined)
      return { kind: 'method', command: name, allow: Object.keys(methods).join(', ') };
    return { kind: 'route', command: `${name}_${method.toLowerCase()}`, handler, ...params };
  }
  return { kind: 'none', command: 'unknown' };
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
