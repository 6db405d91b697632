// Quorum arithmetic, pure (Riak's get_core/put_core): a request asks `total` replicas and
// needs `needed` successes. Each answer moves the tally; the verdict says whether to reply
// now, keep waiting, or give up because the quorum can no longer be reached.
import assert from 'node:assert/strict';

export interface Tally {
  readonly needed: number;
  readonly total: number;
  ok: number;
  failed: number;
}

export type Verdict = 'waiting' | 'met' | 'unreachable';

export function newTally(needed: number, total: number): Tally {
  assert(needed >= 1 && needed <= total, `quorum ${needed} of ${total} replicas`);
  return { needed, total, ok: 0, failed: 0 };
}

export function addResult(tally: Tally, ok: boolean): Verdict {
  if (ok) tally.ok++;
  else tally.failed++;
  assert(tally.ok + tally.failed <= tally.total, 'more answers than replicas asked');
  return verdict(tally);
}

export function verdict(tally: Tally): Verdict {
  if (tally.ok >= tally.needed) return 'met';
  if (tally.total - tally.failed < tally.needed) return 'unreachable';
  return 'waiting';
}

export function allAnswered(tally: Tally): boolean {
  return tally.ok + tally.failed === tally.total;
}

/**
 * What an unreachable quorum failed of: STORAGE when replicas that could not commit (a full
 * disk) are what made it unreachable — without their failures it could still be met — else
 * QUORUM.
 */
export function failureCode(tally: Tally, storageFailures: number): 'STORAGE' | 'QUORUM' {
  assert(storageFailures >= 0 && storageFailures <= tally.failed, 'storage failures are failures');
  const otherFailures = tally.failed - storageFailures;
  return storageFailures > 0 && tally.total - otherFailures >= tally.needed ? 'STORAGE' : 'QUORUM';
}
