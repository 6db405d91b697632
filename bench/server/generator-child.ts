// Runs the load generator as a child process (`node dist/src/loadgen/main.js --json …`) and
// returns its result. A child rather than a call in this process: its CPU per request
// (process.cpuUsage) is then its own and not the suite's, its event loop is not shared with
// the suite's timers or the garbage of earlier phases (the embedded benchmark's engine, benchmark.js),
// and it is exactly what a user runs as `ringkv bench`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BenchResult } from '../../src/loadgen/index.js';
import { REPO_ROOT } from './processes.js';

const GENERATOR_ENTRY = join(REPO_ROOT, 'dist', 'src', 'loadgen', 'main.js');

export interface GeneratorRequest {
  target: string;
  /** Flags besides --target, --json and the load switch. */
  args: string[];
  load: boolean;
  /** Receives each progress line the generator prints (one a second). */
  onProgress?: (line: string) => void;
}

export interface GeneratorRun {
  result: BenchResult;
  argv: string[];
}

export function runGenerator(request: GeneratorRequest): Promise<GeneratorRun> {
  const argv = ['--target', request.target, ...request.args, request.load ? '--load' : '--no-load'];
  argv.push('--json', '--progress-every', '1');
  const child = spawn(process.execPath, [GENERATOR_ENTRY, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) request.onProgress?.(line.replace(/^\[bench\] /, ''));
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`ringkv bench ${argv.join(' ')} exited with ${code}:\n${stderr}`));
        return;
      }
      try {
        resolve({ result: JSON.parse(stdout) as BenchResult, argv });
      } catch (error) {
        reject(
          new Error(`ringkv bench printed no JSON (${(error as Error).message}):\n${stdout}\n${stderr}`),
        );
      }
    });
  });
}
