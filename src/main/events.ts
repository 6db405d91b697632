// What the engine tells an operator as it happens: a worker suspected, failed, respawned or
// recovered (from the pool's failure detector, at the moment its verdict changes), and bursts
// of background repair (hints delivered, keys repaired by anti-entropy), summed over a window
// so a busy repair writes one line per window, not one per key. Listeners get the event as
// data; the CLI prints each one as a timestamped line on stderr (formatEvent).

export type EngineEvent =
  | { kind: 'suspect'; worker: number; reason: string }
  | { kind: 'failed'; worker: number; reason: string; retryInMs: number }
  | { kind: 'respawned'; worker: number; respawns: number; threadId: number }
  | { kind: 'recovered'; worker: number }
  | { kind: 'hints-delivered'; worker: number; count: number; windowMs: number }
  | { kind: 'anti-entropy-repairs'; worker: number; keys: number; exchanges: number; windowMs: number };

export type EngineEventListener = (event: EngineEvent) => void;

/** One line, no newline: `2026-12-02T16:10:00.000Z ringkv worker 2 suspect: …`. */
export function formatEvent(event: EngineEvent, at: Date = new Date()): string {
  return `${at.toISOString()} ringkv worker ${event.worker} ${describe(event)}`;
}

function describe(event: EngineEvent): string {
  switch (event.kind) {
    case 'suspect':
      return `suspect: ${event.reason}; routed around until it answers`;
    case 'failed':
      return `failed: ${event.reason}; respawning in ${event.retryInMs} ms`;
    case 'respawned':
      return `respawned (respawn ${event.respawns}, thread ${event.threadId})`;
    case 'recovered':
      return 'recovered: answering again; back in its preference lists';
    case 'hints-delivered':
      return `delivered ${event.count} hint${plural(event.count)} (handoff) in the last ${seconds(event.windowMs)}`;
    case 'anti-entropy-repairs':
      return `anti-entropy repaired ${event.keys} key${plural(event.keys)} in ${event.exchanges} exchange${plural(event.exchanges)} in the last ${seconds(event.windowMs)}`;
    default:
      return assertNever(event);
  }
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

function assertNever(value: never): never {
  throw new Error(`unexpected engine event ${JSON.stringify(value)}`);
}

/** Listeners of engine events; one that throws does not stop the others, nor the engine. */
export class EventHub {
  private readonly listeners: EngineEventListener[] = [];

  get listening(): boolean {
    return this.listeners.length > 0;
  }

  add(listener: EngineEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  emit(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(`ringkv: an engine event listener failed: ${(error as Error).message}`);
      }
    }
  }
}
