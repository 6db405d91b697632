// The dashboard's live data: one producer shared by every viewer. While at least one viewer is
// connected it samples once a second (latency histograms, worker reports, health from shared
// memory) and hands the same message to each; with none it stops its timer and costs nothing.
// Transport-neutral: the HTTP layer (http/dashboard.ts) turns messages into Server-Sent Events.
import type { Db, WorkerReport } from '../../main/db.js';
import { ownershipCounts, replicaCounts } from '../../ring/index.js';
import type { ServerMetrics } from '../metrics.js';
import { type CommandRate, commandRates } from './latency.js';

/** One sample a second. */
export const FEED_INTERVAL_MS = 1_000;
/** How long a sample waits for the workers' reports; a worker that answers later is shown with its last figures. */
const REPORT_WAIT_MS = 300;
/** Viewers at once; a further one is refused (each costs a socket and a serialisation a second). */
export const FEED_VIEWERS_MAX = 32;

export interface FeedOptions {
  version: string;
  faultInjection: boolean;
}

/** The first message a viewer gets: what does not change every second. */
export interface HelloMessage {
  version: string;
  faultInjection: boolean;
  workers: number;
  partitions: number;
  n: number;
  r: number;
  w: number;
  owners: readonly number[];
}

export interface WorkerSample {
  worker: number;
  workerId: number;
  health: 'up' | 'suspect' | 'down';
  storage: 'ok' | 'failed';
  respawns: number;
  partitionsOwned: number;
  partitionsReplicated: number;
  /** Records stored, tombstones included; null until the worker has answered once. */
  keys: number | null;
  tombstones: number | null;
  hintsPending: number | null;
  /** Replica writes applied per second, over the last two reports. */
  putsPerS: number;
  /** Records read from its storage per second (gets are served in the main thread). */
  getsPerS: number;
  /** Milliseconds since its figures were last reported. */
  reportAgeMs: number | null;
}

export interface TickMessage {
  t: number;
  commands: CommandRate[];
  workers: WorkerSample[];
  antiEntropy: { exchanges: number; keysRepaired: number };
  handoff: { hintsStored: number; hintsDelivered: number; hintsPending: number };
  /** The ring's owners, only when they changed since the previous sample. */
  owners?: readonly number[];
}

export type FeedEvent = 'hello' | 'tick';

/** A connected viewer: it is handed each message once serialised (JSON), the same text for all. */
export interface FeedViewer {
  send(event: FeedEvent, json: string): void;
  /** The feed is closing: end the viewer's stream. */
  close(): void;
}

interface WorkerState {
  report: WorkerReport | null;
  reportAt: number;
  previous: { at: number; puts: number } | null;
  putsPerS: number;
  asking: boolean;
  reads: { at: number; count: number };
  getsPerS: number;
}

export class DashboardFeed {
  private readonly db: Db;
  private readonly metrics: ServerMetrics;
  private readonly options: FeedOptions;
  private readonly viewers = new Set<FeedViewer>();
  private timer: NodeJS.Timeout | null = null;
  private workers: WorkerState[] = [];
  private latencyBefore: Map<string, number[]> | null = null;
  private latencyAt = 0;
  private ownersSent = '';
  private sampleRunning = false;

  constructor(db: Db, metrics: ServerMetrics, options: FeedOptions) {
    this.db = db;
    this.metrics = metrics;
    this.options = options;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Whether the once-a-second sampling runs (only while a viewer is connected). */
  get sampling(): boolean {
    return this.timer !== null;
  }

  /** Adds a viewer (false when FEED_VIEWERS_MAX are connected); it gets the hello now and a tick every second. */
  subscribe(viewer: FeedViewer): boolean {
    if (this.viewers.size >= FEED_VIEWERS_MAX) return false;
    this.viewers.add(viewer);
    const { ring } = this.db;
    const { n, r, w } = this.db.props;
    const hello: HelloMessage = {
      version: this.options.version,
      faultInjection: this.options.faultInjection,
      workers: ring.workerCount,
      partitions: ring.partitionCount,
      n,
      r,
      w,
      owners: ring.owners,
    };
    viewer.send('hello', JSON.stringify(hello));
    if (this.timer === null) this.start();
    return true;
  }

  unsubscribe(viewer: FeedViewer): void {
    this.viewers.delete(viewer);
    if (this.viewers.size === 0) this.stop();
  }

  /** Drops every viewer and stops sampling (the server is closing). */
  close(): void {
    for (const viewer of this.viewers) viewer.close();
    this.viewers.clear();
    this.stop();
  }

  private start(): void {
    this.ownersSent = this.db.ring.owners.join(',');
    this.workers = Array.from({ length: this.db.ring.workerCount }, (_, slot) => ({
      report: null,
      reportAt: 0,
      previous: null,
      putsPerS: 0,
      asking: false,
      reads: { at: Date.now(), count: this.db.reader.readsBySlot[slot] ?? 0 },
      getsPerS: 0,
    }));
    this.latencyBefore = null;
    // Unref'd: the viewers' sockets keep the process alive, the feed alone does not.
    this.timer = setInterval(() => void this.sample(), FEED_INTERVAL_MS).unref();
    void this.sample();
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * One sample, sent to every viewer (the timer calls this once a second; a benchmark may call
   * it directly). A sample still running when the next is due makes that one skip.
   */
  async sample(): Promise<void> {
    if (this.sampleRunning) return;
    this.sampleRunning = true;
    try {
      const asked = this.askWorkers();
      const commands = await this.sampleLatency();
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([asked, new Promise((resolve) => (waited = setTimeout(resolve, REPORT_WAIT_MS)))]);
      clearTimeout(waited);
      if (this.timer === null) return;
      const json = JSON.stringify(this.tick(commands));
      for (const viewer of this.viewers) viewer.send('tick', json);
    } finally {
      this.sampleRunning = false;
    }
  }

  private async sampleLatency(): Promise<CommandRate[]> {
    const now = Date.now();
    const counts = await this.metrics.latencyCounts();
    const rates =
      this.latencyBefore === null ? [] : commandRates(this.latencyBefore, counts, now - this.latencyAt);
    this.latencyBefore = counts;
    this.latencyAt = now;
    // Only the commands that ran in the interval travel: the page treats a missing one as idle.
    return rates.filter((rate) => rate.perS > 0);
  }

  /** Asks every live worker not already asked for its report; resolves when all have settled. */
  private askWorkers(): Promise<unknown> {
    const asks: Promise<void>[] = [];
    for (const [slot, state] of this.workers.entries()) {
      if (state.asking) continue;
      state.asking = true;
      asks.push(
        this.db.workerStats(slot).then(
          (report) => {
            state.asking = false;
            this.noteReport(state, report);
          },
          () => {
            state.asking = false;
          },
        ),
      );
    }
    return Promise.all(asks);
  }

  private noteReport(state: WorkerState, report: WorkerReport): void {
    const at = Date.now();
    // A worker that did not answer (down, or timed out) keeps its last counters.
    if (report.counters === null) {
      state.report = state.report === null ? report : { ...report, counters: state.report.counters };
      return;
    }
    const puts = report.counters.replicaWrites ?? 0;
    if (state.previous !== null && at > state.previous.at && puts >= state.previous.puts) {
      state.putsPerS = ((puts - state.previous.puts) * 1000) / (at - state.previous.at);
    }
    state.previous = { at, puts };
    state.report = report;
    state.reportAt = at;
  }

  private tick(commands: CommandRate[]): TickMessage {
    const now = Date.now();
    const health = this.db.health();
    const owned = ownershipCounts(this.db.ring);
    const replicated = replicaCounts(this.db.ring, this.db.props.n);
    const totals = { exchanges: 0, keysRepaired: 0, hintsStored: 0, hintsDelivered: 0, hintsPending: 0 };
    const workers = this.workers.map((state, slot): WorkerSample => {
      const reads = this.db.reader.readsBySlot[slot] ?? 0;
      if (now > state.reads.at)
        state.getsPerS = ((reads - state.reads.count) * 1000) / (now - state.reads.at);
      state.reads = { at: now, count: reads };
      const { report } = state;
      const counters = report?.counters ?? null;
      totals.exchanges += counters?.antiEntropyExchangesStarted ?? 0;
      totals.keysRepaired += counters?.antiEntropyKeysRepaired ?? 0;
      totals.hintsStored += counters?.hintsStored ?? 0;
      totals.hintsDelivered += counters?.hintsDelivered ?? 0;
      totals.hintsPending += counters?.hintsPending ?? 0;
      return {
        worker: slot,
        workerId: report?.workerId ?? 0,
        health: health[slot]?.health ?? 'down',
        storage: health[slot]?.storage ?? 'ok',
        respawns: report?.respawns ?? 0,
        partitionsOwned: owned[slot] ?? 0,
        partitionsReplicated: replicated[slot] ?? 0,
        keys: counters?.records ?? null,
        tombstones: counters?.tombstones ?? null,
        hintsPending: counters?.hintsPending ?? null,
        putsPerS: state.putsPerS,
        getsPerS: state.getsPerS,
        reportAgeMs: state.report === null || state.reportAt === 0 ? null : now - state.reportAt,
      };
    });
    const message: TickMessage = {
      t: now,
      commands,
      workers,
      antiEntropy: { exchanges: totals.exchanges, keysRepaired: totals.keysRepaired },
      handoff: {
        hintsStored: totals.hintsStored,
        hintsDelivered: totals.hintsDelivered,
        hintsPending: totals.hintsPending,
      },
    };
    const owners = this.db.ring.owners.join(',');
    if (owners !== this.ownersSent) {
      this.ownersSent = owners;
      message.owners = this.db.ring.owners;
    }
    return message;
  }
}
