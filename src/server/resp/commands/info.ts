// INFO [section ...]: Redis's `field:value` text in `# Section` blocks, for the sections Redis
// clients and dashboards read (server, clients, stats, keyspace) plus a `ringkv` section with
// the store's status, the ring, the default bucket's quorums and every worker's health (as
// /health judges it: a paused worker is `suspect`, not up) and counters. Only the
// ringkv section asks the workers (one stats round trip); the others are answered at once.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DbStats } from '../../../index.js';
import { summarizeHealth } from '../../../main/health-summary.js';
import { type Protocol, type Reply, verbatim } from '../encoder.js';
import type { CommandResult, CommandSpec, Session } from './spec.js';

/** The Redis version ringkv's command subset is compatible with, for clients that check it. */
export const REDIS_COMPAT_VERSION = '7.0.0';

const SECTIONS = ['server', 'clients', 'stats', 'keyspace', 'ringkv'] as const;
type Section = (typeof SECTIONS)[number];

/** ringkv's own version, from the package.json above this module (in src/ or in dist/src/). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (parsed.name === 'ringkv' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // No package.json at this level: keep walking up.
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

const RINGKV_VERSION = packageVersion();

function block(title: string, fields: [string, string | number][]): string {
  let out = `# ${title}\r\n`;
  for (const [name, value] of fields) out += `${name}:${value}\r\n`;
  return out;
}

function serverSection(session: Session): string {
  return block('Server', [
    ['redis_version', REDIS_COMPAT_VERSION],
    ['ringkv_version', RINGKV_VERSION],
    ['redis_mode', 'standalone'],
    ['os', `${process.platform} ${process.arch}`],
    ['process_id', process.pid],
    ['tcp_port', session.server.port],
    ['uptime_in_seconds', Math.floor((Date.now() - session.server.startedAtMs) / 1000)],
    ['node_version', process.versions.node],
  ]);
}

function clientsSection(session: Session): string {
  const stats = session.server.stats();
  return block('Clients', [
    ['connected_clients', stats.connections],
    ['paused_clients', stats.connectionsPaused],
    ['buffered_reply_bytes', stats.bufferedReplyBytes],
  ]);
}

function statsSection(session: Session): string {
  const stats = session.server.stats();
  return block('Stats', [
    ['total_connections_received', stats.connectionsReceived],
    ['total_commands_processed', stats.commandsProcessed],
    ['instantaneous_ops_per_sec', stats.opsPerSec],
    ['rejected_connections', stats.connectionsRejected],
    ['commands_in_flight', stats.commandsInFlight],
  ]);
}

// Redis lists `db0:keys=N,...` here. ringkv does not keep a key count: counting would mean
// scanning every partition on every worker (keys are spread and replicated N times), so the
// section is present, for clients that expect it, and empty.
function keyspaceSection(): string {
  return block('Keyspace', []);
}

function ringkvSection(session: Session, stats: DbStats): string {
  const props = session.db.props;
  // Health as the failure detector sees it, the same judgement as /health and /stats.
  const health = summarizeHealth(stats.workers, props.r, props.w);
  const fields: [string, string | number][] = [
    ['status', health.status],
    ['workers_up', health.up],
    ['workers_suspect', health.suspect],
    ['workers_down', health.down],
    ['workers_total', health.total],
    ['partitions', stats.partitions],
    ['default_bucket_n', props.n],
    ['default_bucket_r', props.r],
    ['default_bucket_w', props.w],
    ['default_bucket_policy', props.policy],
    ['client_bucket', session.bucket.name],
    ['engine_uptime_ms', stats.uptimeMs],
    ['read_repairs', stats.readRepairs],
  ];
  for (const worker of stats.workers) {
    let line = `health=${worker.health},respawns=${worker.respawns},worker_id=${worker.workerId}`;
    line += `,partitions_owned=${worker.partitionsOwned},partitions_replicated=${worker.partitionsReplicated}`;
    line += `,storage=${worker.storage}`;
    for (const [name, value] of Object.entries(worker.counters ?? {})) line += `,${name}=${value}`;
    fields.push([`worker${worker.worker}`, line]);
  }
  return block('Ringkv', fields);
}

function render(
  session: Session,
  protocol: Protocol,
  sections: readonly Section[],
  stats: DbStats | null,
): Reply {
  const parts: string[] = [];
  for (const section of sections) {
    if (section === 'server') parts.push(serverSection(session));
    else if (section === 'clients') parts.push(clientsSection(session));
    else if (section === 'stats') parts.push(statsSection(session));
    else if (section === 'keyspace') parts.push(keyspaceSection());
    else if (stats !== null) parts.push(ringkvSection(session, stats));
  }
  // A verbatim string of format txt in RESP3, as Redis 7 answers INFO; a bulk string in RESP2.
  return verbatim(protocol, 'txt', parts.join('\r\n'));
}

/** The sections asked for: all of them for none, `all`, `default` or `everything`; unknown names are skipped, as Redis does. */
function sectionsAsked(args: Buffer[]): Section[] {
  if (args.length === 1) return [...SECTIONS];
  const asked = new Set<Section>();
  for (const arg of args.slice(1)) {
    const name = arg.toString('latin1').toLowerCase();
    if (name === 'all' || name === 'default' || name === 'everything') return [...SECTIONS];
    const section = SECTIONS.find((known) => known === name);
    if (section !== undefined) asked.add(section);
  }
  return SECTIONS.filter((section) => asked.has(section));
}

export const info: CommandSpec = {
  name: 'info',
  arity: -1,
  flags: ['loading', 'stale'],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  run(session, args): CommandResult {
    const sections = sectionsAsked(args);
    // The protocol when the command arrived: a HELLO pipelined behind it must not change its reply.
    const protocol = session.protocol;
    if (!sections.includes('ringkv')) return render(session, protocol, sections, null);
    return session.db.stats().then((stats) => render(session, protocol, sections, stats));
  },
};
