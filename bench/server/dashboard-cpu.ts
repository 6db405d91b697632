// What one dashboard viewer costs the server: the server's CPU time (process.cpuUsage: the main
// thread and every worker thread) over a window with no viewer, then over as long a window with
// one viewer reading GET /events, as % of one core. The viewer is a `curl -N` child process, so
// reading and parsing the stream is not counted; the server is idle otherwise (no client load),
// so the difference is the feed's own cost: a sample a second (latency histograms, one STATS
// round trip per worker, a JSON message). Run: `node dist/bench/server/dashboard-cpu.js [seconds]`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, open } from '../../src/index.js';
import { DashboardFeed } from '../../src/server/dashboard/feed.js';
import { startHttpServer } from '../../src/server/http/server.js';
import { ServerMetrics } from '../../src/server/metrics.js';

const WINDOW_S = Number(process.argv[2] ?? 30);
/** Windows alternate (none, one viewer, none, …) so drift in the machine's load hits both alike. */
const ROUNDS = Number(process.argv[3] ?? 2);

function cpuPercentOver(seconds: number): Promise<number> {
  const before = process.cpuUsage();
  const started = process.hrtime.bigint();
  return new Promise((resolve) =>
    setTimeout(() => {
      const used = process.cpuUsage(before);
      const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
      resolve(((used.user + used.system) / elapsedUs) * 100);
    }, seconds * 1000),
  );
}

/**
 * The same cost measured without the idle server's noise: the CPU time of SAMPLES samples run
 * back to back (main thread and workers), divided by their number, is what one second of the
 * feed costs (it samples once a second).
 */
async function perSample(db: Db): Promise<void> {
  const SAMPLES = 300;
  const feed = new DashboardFeed(db, new ServerMetrics(), { version: 'bench', faultInjection: false });
  let bytes = 0;
  let firstTick: () => void = () => {};
  const ticked = new Promise<void>((resolve) => {
    firstTick = resolve;
  });
  feed.subscribe({
    send(event, json) {
      bytes += json.length;
      if (event === 'tick') firstTick();
    },
    close() {},
  });
  await ticked; // the sample subscribe() started has finished: the next ones run
  for (let i = 0; i < 10; i++) await feed.sample(); // warm-up
  const before = process.cpuUsage();
  const started = process.hrtime.bigint();
  bytes = 0;
  for (let i = 0; i < SAMPLES; i++) await feed.sample();
  const used = process.cpuUsage(before);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  feed.close();
  const cpuMsPerSample = (used.user + used.system) / 1000 / SAMPLES;
  console.log(
    `one sample: ${cpuMsPerSample.toFixed(3)} ms of CPU (${SAMPLES} back to back in ${elapsedMs.toFixed(0)} ms), ${Math.round(bytes / SAMPLES)} bytes of JSON: at one a second, ${(cpuMsPerSample / 10).toFixed(3)} % of a core`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ringkv-dashboard-cpu-'));
  const db = await open({ dir });
  const http = await startHttpServer(db, {
    host: '127.0.0.1',
    port: 0,
    metrics: new ServerMetrics(),
    maxBodyBytes: 1024 * 1024,
    requestTimeoutMs: 30_000,
  });
  try {
    console.log(
      `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${db.ring.workerCount} workers, ${db.ring.partitionCount} partitions, ${WINDOW_S} s per window`,
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // start-up work (first anti-entropy rounds) settles
    let idle = 0;
    let watched = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const alone = await cpuPercentOver(WINDOW_S);
      const viewer = spawn('curl', ['-sN', `http://127.0.0.1:${http.port}/events`], { stdio: 'ignore' });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const seen = await cpuPercentOver(WINDOW_S);
      viewer.kill();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      console.log(
        `round ${round}: no viewer ${alone.toFixed(2)} %, one viewer ${seen.toFixed(2)} % of a core`,
      );
      idle += alone / ROUNDS;
      watched += seen / ROUNDS;
    }
    console.log(`server CPU, no viewer:  ${idle.toFixed(2)} % of a core (mean)`);
    console.log(`server CPU, one viewer: ${watched.toFixed(2)} % of a core (mean)`);
    console.log(`the event stream costs: ${(watched - idle).toFixed(2)} % of a core`);
    await perSample(db);
  } finally {
    await http.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
