// Background repair, summed per window for the log: every ACTIVITY_WINDOW_MS, while someone
// listens to engine events, the workers' counters are read (one stats round trip) and the
// hints each delivered and the keys its anti-entropy repaired since the last look become one
// event per worker and kind. A respawned worker starts its counters from zero, so a counter
// that went down counts from zero again.
import { ACTIVITY_WINDOW_MS } from '../constants.js';
import type { DbStats } from './db.js';
import type { EventHub } from './events.js';

const WATCHED = ['hintsDelivered', 'antiEntropyKeysRepaired', 'antiEntropyExchanges'] as const;
type Watched = (typeof WATCHED)[number];

export class ActivityWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly last = new Map<number, Record<Watched, number>>();
  private looking = false;

  constructor(
    private readonly stats: () => Promise<DbStats>,
    private readonly events: EventHub,
    windowMs = ACTIVITY_WINDOW_MS,
  ) {
    this.timer = setInterval(() => void this.look(windowMs), windowMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async look(windowMs: number): Promise<void> {
    if (this.looking || !this.events.listening) return;
    this.looking = true;
    try {
      const { workers } = await this.stats();
      for (const { worker, counters } of workers) {
        if (counters === null) continue;
        const now = Object.fromEntries(WATCHED.map((name) => [name, counters[name] ?? 0])) as Record<
          Watched,
          number
        >;
        const before = this.last.get(worker);
        this.last.set(worker, now);
        if (before === undefined) continue;
        const delta = (name: Watched) => (now[name] >= before[name] ? now[name] - before[name] : now[name]);
        const hints = delta('hintsDelivered');
        if (hints > 0) this.events.emit({ kind: 'hints-delivered', worker, count: hints, windowMs });
        const keys = delta('antiEntropyKeysRepaired');
        if (keys > 0) {
          const exchanges = delta('antiEntropyExchanges');
          this.events.emit({ kind: 'anti-entropy-repairs', worker, keys, exchanges, windowMs });
        }
      }
    } catch {
      // The database closed under the look: nothing more to report.
    } finally {
      this.looking = false;
    }
  }
}
