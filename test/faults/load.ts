// The write load of the fault tests: eight RESP clients SET fresh keys until stopped. Every
// OK is recorded as acknowledged; every failure is recorded with its error code and with the
// phase the test had marked when the write was issued, so a failure says when it happened.
import { Redis } from 'ioredis';

export interface LoadResult {
  acked: Map<string, string>;
  /** Failed writes: key, the error's code word, and the phase it was issued in. */
  failures: { key: string; code: string; phase: string }[];
}

export class WriteLoad {
  readonly acked = new Map<string, string>();
  readonly failures: LoadResult['failures'] = [];
  /** A label the test moves along ('before', 'detected', 'healed' …); each write remembers it. */
  phase = 'before';
  private stopping = false;
  private readonly clients: Redis[];
  private readonly running: Promise<void>[];
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(port: number, prefix: string, clientCount = 8) {
    this.clients = Array.from(
      { length: clientCount },
      () => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 }),
    );
    this.running = this.clients.map((client, c) => this.writer(client, `${prefix}:${c}`));
  }

  private async writer(client: Redis, prefix: string): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const key = `${prefix}:${i}`;
      const value = `v-${key}`;
      const phase = this.phase;
      try {
        if ((await client.set(key, value)) === 'OK') this.onAck(key, value);
      } catch (error) {
        const code = String((error as Error).message).split(' ')[0] ?? 'UNKNOWN';
        this.failures.push({ key, code, phase });
      }
    }
  }

  private onAck(key: string, value: string): void {
    this.acked.set(key, value);
    const ready = this.waiters.filter((w) => this.acked.size >= w.count);
    this.waiters = this.waiters.filter((w) => this.acked.size < w.count);
    for (const waiter of ready) waiter.resolve();
  }

  /** Resolves once `more` further writes have been acknowledged; rejects after `limitMs`. */
  moreAcks(more: number, limitMs = 30_000): Promise<void> {
    const count = this.acked.size + more;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${more} more writes were not acknowledged within ${limitMs} ms`)),
        limitMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async stop(): Promise<LoadResult> {
    this.stopping = true;
    await Promise.all(this.running);
    await Promise.all(this.clients.map((client) => client.quit()));
    return { acked: this.acked, failures: this.failures };
  }
}
