// Goal: what an operator sees tells the truth about faults, the same way everywhere: a worker
// killed through /admin is logged, and INFO, /health, /stats, /metrics and `ringkv status`
// agree on its respawn; a paused worker is logged suspect and shown suspect everywhere (never
// "alive=1"), then recovered; hints handed off after it heals are logged and counted.
// Method: a real `ringkv start` child (its stderr is the log), a real redis client for INFO,
// fetch for HTTP; every wait is on a condition with a generous deadline.

import { createClient } from 'redis';
import t from 'tap';
import { run, startServer } from '../fixtures/cli-process.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const DEADLINE_MS = 60_000;

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const end = Date.now() + DEADLINE_MS;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Health {
  status: string;
  workers: { states: string[] };
}

interface Stats {
  health: { status: string; up: number };
  workers: { worker: number; health: string; respawns: number }[];
}

t.test(
  'kill, pause and heal show in the log, INFO, /health, /stats, /metrics and status alike',
  async (t) => {
    const dir = freshDir(t, 'observe');
    const server = await startServer(`${dir}/data`, ['--workers', '4', '--fault-injection']);
    t.teardown(() => {
      server.child.kill('SIGTERM');
    });
    const base = `http://127.0.0.1:${server.httpPort}`;
    const json = async <T>(path: string) => (await (await fetch(`${base}${path}`)).json()) as T;
    const metrics = async () => (await fetch(`${base}/metrics`)).text();
    const redis = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await redis.connect();
    t.teardown(() => redis.destroy());
    const info = async () => redis.info('ringkv');
    const admin = (path: string) => fetch(`${base}/admin/${path}`, { method: 'POST' });

    // Kill: one failure and one respawn, logged with the worker, counted once everywhere.
    t.equal((await admin('workers/1/kill')).status, 204);
    await until('the respawn log line', () => /ringkv worker 1 respawned \(respawn 1,/.test(server.output()));
    t.match(
      server.output(),
      /^\d{4}-\d\d-\d\dT[\d:.]+Z ringkv worker 1 failed: .*killed by fault injection/m,
    );
    await until('worker 1 up again', async () => (await json<Health>('/health')).status === 'ok');
    const stats = await json<Stats>('/stats');
    t.equal(stats.workers[1]?.respawns, 1, '/stats counts the respawn');
    t.same(
      stats.workers.map((worker) => worker.respawns),
      [0, 1, 0, 0],
      'and no other',
    );
    t.match(await info(), /worker1:health=up,respawns=1,/, 'INFO counts it');
    const text = await metrics();
    t.match(text, /^ringkv_worker_respawns_total\{worker="1"\} 1$/m, '/metrics counts it');
    t.match(text, /^ringkv_worker_respawns_total\{worker="0"\} 0$/m);
    const table = await run(['status', '--http-port', String(server.httpPort)]);
    t.equal(table.code, 0);
    const row = table.stdout.split('\n').find((line) => /^1\s/.test(line)) ?? '';
    t.match(row, /^1\s+up\s+ok\s.*\s1$/, 'ringkv status shows worker 1 up with 1 respawn');
    t.match(table.stdout, /Status: ok \(4 of 4 workers up\)/);
    const statusJson = await run(['status', '--json', '--http-port', String(server.httpPort)]);
    t.equal((JSON.parse(statusJson.stdout) as Stats).workers[1]?.respawns, 1, 'status --json is /stats');

    // Pause: suspect in the log and everywhere; no view calls it alive.
    t.equal((await admin('workers/2/pause')).status, 204);
    await until('the suspect log line', () => /ringkv worker 2 suspect: /.test(server.output()));
    const health = await json<Health>('/health');
    t.equal(health.workers.states[2], 'suspect', '/health says suspect');
    t.equal(health.status, 'degraded');
    const pausedStats = await json<Stats>('/stats');
    t.equal(pausedStats.workers[2]?.health, 'suspect', '/stats says suspect');
    t.equal(pausedStats.health.status, 'degraded', '/stats judges as /health does');
    const pausedInfo = await info();
    t.match(pausedInfo, /worker2:health=suspect,/, 'INFO says suspect');
    t.match(pausedInfo, /workers_up:3\r\nworkers_suspect:1\r\n/);
    t.match(pausedInfo, /status:degraded/);
    t.notMatch(pausedInfo, /alive=1/, 'INFO never calls a paused worker alive');
    t.match(
      await metrics(),
      /^ringkv_worker_health\{worker="2",state="suspect"\} 1$/m,
      '/metrics says suspect',
    );

    // Writes while it is suspect go to stand-ins with hints; heal hands them back.
    for (let i = 0; i < 40; i++) {
      const put = await fetch(`${base}/buckets/default/keys/k${i}`, { method: 'PUT', body: `v${i}` });
      t.equal(put.status, 204, `write ${i} acknowledged while worker 2 is suspect`);
    }
    t.equal((await admin('workers/2/heal')).status, 204);
    await until('the recovery log line', () => /ringkv worker 2 recovered/.test(server.output()));
    await until('the hint delivery log line', () =>
      /ringkv worker \d delivered \d+ hints? \(handoff\)/.test(server.output()),
    );
    const healed = await metrics();
    const sum = (name: string) =>
      [...healed.matchAll(new RegExp(`^${name}\\{worker="\\d"\\} (\\d+)$`, 'gm'))].reduce(
        (total, match) => total + Number(match[1]),
        0,
      );
    t.ok(sum('ringkv_worker_hints_stored_total') > 0, 'hints stored are counted');
    t.ok(sum('ringkv_worker_hints_delivered_total') > 0, 'hints delivered are counted');
    t.match(healed, /^ringkv_worker_health\{worker="2",state="up"\} 1$/m);

    // Errors by code and requests by command.
    await fetch(`${base}/no/such/route`);
    const counted = await metrics();
    t.match(counted, /^ringkv_errors_total\{protocol="http",code="NOT_FOUND"\} [1-9]\d*$/m, 'errors by code');
    t.match(counted, /^ringkv_requests_total\{protocol="http",command="key_put",outcome="ok"\} 40$/m);
    t.match(counted, /^ringkv_requests_total\{protocol="resp",command="info",outcome="ok"\} [1-9]/m);
  },
);
