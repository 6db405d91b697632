// CPU time of another process (the server under load), from Linux's /proc/PID/stat: user and
// system time of all its threads, in clock ticks. Elsewhere, or when the process is gone,
// there is no figure rather than a wrong one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // USER_HZ on every common Linux build
    }
  }
  return ticksPerSecond;
}

/** User + system CPU µs the process has used so far, or null when it cannot be read. */
export function processCpuUs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return ((utime + stime) * 1e6) / clockTicks();
  } catch {
    return null;
  }
}
