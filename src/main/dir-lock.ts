// The data directory's lock: one open database per directory, across processes and within
// one. open() takes an exclusive flock on <dir>/ringkv.lock, which the kernel drops when the
// descriptor closes or the process ends however it ends (a SIGKILLed holder blocks nobody),
// and writes its pid there so a refused open can name the holder. Only the flock means
// anything: the file itself stays, emptied, when the lock is released.
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KvError } from '../errors.js';
import { flockExclusive } from '../native/index.js';

export const LOCK_FILE_NAME = 'ringkv.lock';

export class DirLock {
  private fd: number | null;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Takes the lock of `dir` (created if missing), or throws LOCKED naming the process that holds it. */
  static acquire(dir: string): DirLock {
    const absolute = resolve(dir);
    mkdirSync(absolute, { recursive: true });
    const path = join(absolute, LOCK_FILE_NAME);
    // Not 'w': truncating before the lock is taken would erase the holder's pid.
    const fd = openSync(path, 'a+');
    let taken: boolean;
    try {
      taken = flockExclusive(fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    if (!taken) {
      closeSync(fd);
      throw new KvError('LOCKED', `data directory ${absolute} is in use by ${holder(path)}; ${ADVICE}`);
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`);
    return new DirLock(fd);
  }

  /** Releases the lock; a second call does nothing. */
  release(): void {
    if (this.fd === null) return;
    ftruncateSync(this.fd, 0);
    closeSync(this.fd); // closing the descriptor drops the flock
    this.fd = null;
  }
}

const ADVICE = 'close that database or stop that ringkv first, or use another directory';

/** Who holds the lock, from the pid its holder wrote (it may not have written it yet). */
function holder(path: string): string {
  const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
  if (!Number.isInteger(pid) || pid <= 0) return 'another process';
  return pid === process.pid
    ? `this process (pid ${pid}): an earlier open() not yet closed`
    : `process ${pid}`;
}
