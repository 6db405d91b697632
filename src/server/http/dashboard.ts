// The dashboard over HTTP: GET / serves its page, GET /dashboard/{file} its script, style and
// the chart library (uPlot, served from its installed package: no CDN, no build step), and
// GET /events the live feed as Server-Sent Events (an `event: hello` first, then `event: tick`
// every second). The page and its files hold no data, so they are public routes; the event
// stream and the routes the page calls (/explain, /admin) are data routes like any other.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KvError } from '../../errors.js';
import { FEED_VIEWERS_MAX, type FeedViewer } from '../dashboard/feed.js';
import type { Handler } from './exchange.js';
import { HttpError, sendBytes } from './reply.js';

const PAGE_DIR = fileURLToPath(new URL('../../../../dashboard/', import.meta.url));
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

interface Asset {
  path: string;
  type: string;
}

/** The files under /dashboard/, by name. */
export const DASHBOARD_ASSETS: Readonly<Record<string, Asset>> = {
  'dashboard.js': { path: join(PAGE_DIR, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: join(PAGE_DIR, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { path: join(UPLOT_DIR, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const PAGE: Asset = { path: join(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' };

const STATIC_HEADERS = {
  'Cache-Control': 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  // Everything comes from this server; uPlot sizes its elements through inline styles.
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
};

/** Files read once, on first request (a few tens of kB in all). */
const cache = new Map<string, Buffer>();

function serveFile(asset: Asset): Handler {
  return (_server, { res }) => {
    let body = cache.get(asset.path);
    if (body === undefined) {
      try {
        body = readFileSync(asset.path);
      } catch (error) {
        throw new HttpError(404, 'NOT_FOUND', `dashboard file missing: ${(error as Error).message}`);
      }
      cache.set(asset.path, body);
    }
    sendBytes(res, 200, body, { ...STATIC_HEADERS, 'Content-Type': asset.type });
  };
}

export const getDashboard: Handler = serveFile(PAGE);

export const assetHandlers: Readonly<Record<string, Handler>> = Object.fromEntries(
  Object.entries(DASHBOARD_ASSETS).map(([name, asset]) => [name, serveFile(asset)]),
);

/** A viewer that reads slower than this much buffered output misses ticks until it catches up. */
const VIEWER_BUFFER_BYTES_MAX = 256 * 1024;

/** GET /events: subscribes the request to the feed until the client goes away or the server closes. */
export const getEvents: Handler = ({ feed }, { req, res }) => {
  if (feed.viewerCount >= FEED_VIEWERS_MAX) {
    throw new KvError(
      'BUSY',
      `${feed.viewerCount} dashboard viewers are connected; the limit is ${FEED_VIEWERS_MAX}`,
    );
  }
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    'X-Accel-Buffering': 'no',
  });
  const viewer: FeedViewer = {
    send(event, json) {
      if (res.writableLength > VIEWER_BUFFER_BYTES_MAX) return;
      res.write(`event: ${event}\ndata: ${json}\n\n`);
    },
    close() {
      res.end();
    },
  };
  req.once('close', () => feed.unsubscribe(viewer));
  feed.subscribe(viewer);
};
