// The failure detector's judgement of one worker, from what the main thread sees without
// asking it: the heartbeat the worker bumps as it works (each serve-loop turn, and every few
// frames within a long turn) and whether the main thread is owed an answer by it (requests
// outstanding). A worker is suspect only when it owes work and its heartbeat has not moved
// for stallMs: a worker that is slow but keeps working is not, nor is an idle one that sleeps
// long. A worker quiet for probeAfterMs is sent a probe, so a hung idle worker owes an answer
// and is suspected too. Pure: time and observations are passed in.

export interface LivenessOptions {
  /** Owed work with no heartbeat for this long makes the worker suspect. */
  readonly stallMs: number;
  /** A worker whose heartbeat has not moved for this long is probed. */
  readonly probeAfterMs: number;
}

/** 'quiet': up, but the caller should probe it so that a hang shows as owed work. */
export type LivenessVerdict = 'up' | 'quiet' | 'suspect';

export class Liveness {
  private readonly options: LivenessOptions;
  private heartbeat = 0;
  private progressAt: number;
  /** When the worker was first seen owing work with no progress since; null while it progresses. */
  private owedSince: number | null = null;
  /**
   * Once suspect, a worker stays suspect until its heartbeat moves: its requests are moved
   * elsewhere, so it soon owes nothing, which proves nothing about it.
   */
  private suspected = false;

  constructor(options: LivenessOptions, now: number) {
    this.options = options;
    this.progressAt = now;
  }

  /** The worker (re)started: what came before says nothing about it. */
  restart(now: number, heartbeat: number): void {
    this.heartbeat = heartbeat;
    this.progressAt = now;
    this.owedSince = null;
    this.suspected = false;
  }

  /** A probe was just sent: the worker owes an answer from now on. */
  probed(now: number): void {
    this.owedSince ??= now;
  }

  /** How long the worker's heartbeat has not moved. */
  quietForMs(now: number): number {
    return now - this.progressAt;
  }

  /** One look at the worker: its heartbeat now, and whether it owes an answer now. */
  observe(now: number, heartbeat: number, owed: boolean): LivenessVerdict {
    if (heartbeat !== this.heartbeat) {
      this.heartbeat = heartbeat;
      this.progressAt = now;
      this.owedSince = null;
      this.suspected = false;
    } else if (!owed) {
      this.owedSince = null;
    } else {
      this.owedSince ??= now;
    }
    if (this.owedSince !== null && now - this.owedSince >= this.options.stallMs) this.suspected = true;
    if (this.suspected) return 'suspect';
    return now - this.progressAt >= this.options.probeAfterMs ? 'quiet' : 'up';
  }
}
