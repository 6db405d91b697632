// The closed-loop load generator: `clients` connections, each with one batch of `pipeline`
// commands in flight, through four phases: connect, load (a SET of every key once), warm-up
// (run, figures discarded) and the measured phase (for `duration` seconds or `requests`
// operations), then a drain of the batches still in flight. An operation's figures go to the
// phase in which its batch was written. The generator's own CPU time over the measured phase
// is reported per request, since it shares the machine with the server it measures.

import { Client, type Driver } from './client.js';
import { CommandEncoder, makeValue } from './commands.js';
import { Prng } from './prng.js';
import { processCpuUs } from './process-cpu.js';
import { REPLY_ARRAY, REPLY_ERROR } from './reply-parser.js';
import type { BenchResult } from './report.js';
import { PhaseStats, summarize } from './stats.js';
import { OP_READ, OP_RMW, OP_UPDATE, OpChooser, type OpType, type Workload } from './workloads.js';
import { type Distribution, type KeyChooser, keyChooser } from './zipfian.js';

export interface BenchOptions {
  host: string;
  port: number;
  clients: number;
  pipeline: number;
  /** Exactly one of durationS and requests bounds the measured phase. */
  durationS: number | undefined;
  requests: number | undefined;
  warmupS: number;
  workload: Workload;
  keys: number;
  distribution: Distribution;
  valueBytes: number;
  load: boolean;
  /** Depth of the load phase's batches (it is not measured, so it may pipeline deeper). */
  loadPipeline: number;
  seed: number;
  /** Connect over TLS, trusting these CA certificates (PEM; none: the system's). */
  tls?: { ca: Buffer | undefined } | undefined;
  /** The server's process id on this machine: its CPU per request is measured too (Linux). */
  serverPid?: number | undefined;
  onProgress?: (progress: Progress) => void;
  progressIntervalMs?: number;
}

export type Phase = 'load' | 'warmup' | 'measure' | 'drain';

export interface Progress {
  phase: Phase;
  /** Seconds since the phase began. */
  elapsedS: number;
  /** Operations completed per second since the previous report. */
  opsPerSec: number;
  /** Operations completed in the phase so far, and the phase's total when it is known. */
  completed: number;
  total: number | undefined;
}

export class BenchError extends Error {
  override name = 'BenchError';
}

class Generator implements Driver {
  readonly encoder: CommandEncoder;
  readonly dynamo: boolean;
  stats = new PhaseStats();
  phase: Phase = 'load';
  clients: Client[] = [];
  loadStats = new PhaseStats();
  measureStats = new PhaseStats();
  measureStartedAt = 0;
  phaseStartedAt = 0;
  private readonly ops: OpChooser;
  private readonly keys: KeyChooser;
  private loadNext = 0;
  private budget = Number.POSITIVE_INFINITY;
  private stopping = false;
  private idleCount = 0;
  private drained: (() => void) | undefined;

  constructor(readonly options: BenchOptions) {
    const rng = new Prng(options.seed);
    this.encoder = new CommandEncoder(makeValue(options.valueBytes, options.seed));
    this.dynamo = options.workload.dynamo;
    this.ops = new OpChooser(options.workload, rng);
    this.keys = keyChooser(options.distribution, options.keys, rng);
  }

  take(wanted: number): number {
    if (this.stopping) return 0;
    if (this.phase === 'load') return Math.min(wanted, this.options.keys - this.loadNext);
    if (this.phase !== 'measure' || this.budget === Number.POSITIVE_INFINITY) return wanted;
    const n = Math.min(wanted, this.budget);
    this.budget -= n;
    return n;
  }

  nextOp(): OpType {
    return this.phase === 'load' ? OP_UPDATE : this.ops.next();
  }

  nextKey(): number {
    return this.phase === 'load' ? this.loadNext++ : this.keys.next();
  }

  clientIdle(): void {
    this.idleCount++;
    if (this.idleCount === this.clients.length) this.drained?.();
  }

  /** Starts every live client and resolves once all are idle again. */
  runClients(): Promise<void> {
    return new Promise((resolve) => {
      this.drained = resolve;
      this.idleCount = this.clients.filter((c) => c.dead).length;
      if (this.idleCount === this.clients.length) resolve();
      for (const client of this.clients) client.kick();
    });
  }

  beginMeasure(): void {
    this.stats = this.measureStats;
    this.phase = 'measure';
    this.measureStartedAt = performance.now();
    this.phaseStartedAt = this.measureStartedAt;
    if (this.options.requests !== undefined) this.budget = this.options.requests;
  }

  stop(): void {
    this.stopping = true;
    this.phase = 'drain';
  }

  async load(): Promise<void> {
    this.stats = this.loadStats;
    this.phase = 'load';
    this.phaseStartedAt = performance.now();
    await this.runClients();
  }
}

async function connectAll(generator: Generator, options: BenchOptions, capacity: number): Promise<void> {
  const opened = await Promise.allSettled(
    Array.from({ length: options.clients }, () =>
      Client.open(options.host, options.port, generator, capacity, options.tls),
    ),
  );
  generator.clients = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(generator.clients.map((c) => c.close()));
    const error = failed.reason as NodeJS.ErrnoException;
    throw new BenchError(
      `cannot connect to ${options.host}:${options.port} (${error.code ?? error.message}); is the server running?`,
    );
  }
}

/** Workload F needs VGET: ask once, so a plain Redis fails clearly instead of with 100% errors. */
async function checkDynamo(client: Client, options: BenchOptions): Promise<void> {
  const reply = await client.probe(Buffer.from('*2\r\n$4\r\nVGET\r\n$12\r\nringkv:probe\r\n'));
  if (reply.type !== REPLY_ARRAY) {
    const answer = reply.type === REPLY_ERROR ? `the error ${reply.text}` : 'a reply that is not an array';
    throw new BenchError(
      `workload ${options.workload.name} needs ringkv's VGET and VPUT; ${options.host}:${options.port} answered VGET with ${answer}`,
    );
  }
}

function startProgress(generator: Generator, options: BenchOptions): () => void {
  const report = options.onProgress;
  if (report === undefined) return () => {};
  let lastCompleted = 0;
  let lastAt = performance.now();
  let lastStats: PhaseStats | undefined;
  const timer = setInterval(() => {
    const now = performance.now();
    const phase = generator.phase;
    const stats = generator.stats;
    const completed = stats.completed;
    // Each phase counts from zero in its own stats, and its rate from its own start.
    if (stats !== lastStats) lastCompleted = 0;
    const since = Math.max(lastAt, generator.phaseStartedAt);
    const opsPerSec = now > since ? ((completed - lastCompleted) / (now - since)) * 1000 : 0;
    const total = phase === 'load' ? options.keys : phase === 'measure' ? options.requests : undefined;
    report({ phase, elapsedS: (now - generator.phaseStartedAt) / 1000, opsPerSec, completed, total });
    lastCompleted = completed;
    lastAt = now;
    lastStats = stats;
  }, options.progressIntervalMs ?? 1000);
  return () => clearInterval(timer);
}

/** Waits `ms` or until `done` settles, whichever comes first, leaving no timer behind. */
async function waitAtMost(ms: number, done: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([elapsed, done]);
  } finally {
    clearTimeout(timer);
  }
}

interface Measured {
  loadSeconds: number;
  /** From the start of the measured phase to its last reply. */
  seconds: number;
  /** From the start of the measured phase to the end of the drain. */
  wallSeconds: number;
  cpu: NodeJS.CpuUsage;
  /** The server's CPU µs over the measured phase, when its pid was given and readable. */
  serverCpuUs: number | null;
}

/** Load, warm-up, the measured phase and the drain, on connected clients. */
async function runPhases(generator: Generator, options: BenchOptions): Promise<Measured> {
  if (generator.dynamo) await checkDynamo(generator.clients[0] as Client, options);
  let loadSeconds = 0;
  if (options.load) {
    const started = performance.now();
    // The load phase batches at loadPipeline; the measured phases at the asked depth.
    for (const client of generator.clients) client.setPipeline(options.loadPipeline);
    await generator.load();
    loadSeconds = (performance.now() - started) / 1000;
    for (const client of generator.clients) client.setPipeline(options.pipeline);
  }
  generator.phase = 'warmup';
  generator.stats = new PhaseStats();
  generator.phaseStartedAt = performance.now();
  if (options.warmupS <= 0) generator.beginMeasure();
  const serverCpu = () => (options.serverPid === undefined ? null : processCpuUs(options.serverPid));
  let cpuAtStart = process.cpuUsage();
  let serverAtStart = serverCpu();
  const running = generator.runClients();
  if (options.warmupS > 0) {
    await waitAtMost(options.warmupS * 1000, running);
    generator.beginMeasure();
    cpuAtStart = process.cpuUsage();
    serverAtStart = serverCpu();
  }
  if (options.durationS !== undefined) {
    await waitAtMost(options.durationS * 1000, running);
    generator.stop();
  }
  await running;
  const cpu = process.cpuUsage(cpuAtStart);
  const serverAtEnd = serverCpu();
  const lastReplyAt = generator.measureStats.lastReplyAt;
  const end = lastReplyAt > 0 ? lastReplyAt : performance.now();
  return {
    loadSeconds,
    seconds: Math.max(0, end - generator.measureStartedAt) / 1000,
    wallSeconds: (performance.now() - generator.measureStartedAt) / 1000,
    cpu,
    serverCpuUs: serverAtStart === null || serverAtEnd === null ? null : serverAtEnd - serverAtStart,
  };
}

function result(generator: Generator, options: BenchOptions, m: Measured): BenchResult {
  const measured = generator.measureStats;
  const used = ([OP_READ, OP_UPDATE, OP_RMW] as const).filter((op) => options.workload.mix[op] > 0);
  const failures = new Map<string, number>();
  for (const client of generator.clients) {
    if (client.failure !== undefined) failures.set(client.failure, (failures.get(client.failure) ?? 0) + 1);
  }
  const cpuUs = m.cpu.user + m.cpu.system;
  return {
    tool: 'ringkv bench',
    config: {
      target: `${options.host}:${options.port}`,
      workload: options.workload.name,
      workloadDescription: options.workload.description,
      clients: options.clients,
      pipeline: options.pipeline,
      durationS: options.durationS ?? null,
      requests: options.requests ?? null,
      warmupS: options.warmupS,
      keys: options.keys,
      distribution: options.distribution,
      valueBytes: options.valueBytes,
      load: options.load,
      loadPipeline: options.loadPipeline,
      seed: options.seed,
    },
    load: options.load
      ? {
          keys: options.keys,
          seconds: m.loadSeconds,
          opsPerSec: m.loadSeconds > 0 ? options.keys / m.loadSeconds : 0,
          errors: summarize(generator.loadStats, m.loadSeconds, [OP_UPDATE]).at(-1)?.errors ?? {},
        }
      : null,
    measured: { seconds: m.seconds, commands: measured.commands },
    ops: summarize(measured, m.seconds, used),
    generator: {
      cpuUserUs: m.cpu.user,
      cpuSystemUs: m.cpu.system,
      cpuUsPerRequest: measured.commands > 0 ? cpuUs / measured.commands : 0,
      coreShare: m.wallSeconds > 0 ? cpuUs / 1e6 / m.wallSeconds : 0,
    },
    server:
      m.serverCpuUs === null || measured.commands === 0
        ? null
        : {
            cpuUsPerRequest: m.serverCpuUs / measured.commands,
            coreShare: m.serverCpuUs / 1e6 / m.wallSeconds,
          },
    connections: { opened: generator.clients.length, failed: Object.fromEntries(failures) },
    node: process.version,
  };
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const generator = new Generator(options);
  const capacity = Math.max(options.pipeline, options.load ? options.loadPipeline : 1);
  await connectAll(generator, options, capacity);
  const stopProgress = startProgress(generator, options);
  try {
    return result(generator, options, await runPhases(generator, options));
  } finally {
    stopProgress();
    await Promise.all(generator.clients.map((c) => c.close()));
  }
}
