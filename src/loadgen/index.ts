// `ringkv bench`: parse the flags, run the generator with progress on stderr (one updating
// line on a terminal, plain lines otherwise), print the result as text or JSON on stdout.
import { type Progress, runBench } from './generator.js';
import { BENCH_HELP, parseBenchOptions } from './options.js';
import { formatProgress, formatResult } from './report.js';

export { BenchError, type BenchOptions, type Progress, runBench } from './generator.js';
export { parseBenchOptions } from './options.js';
export type { BenchResult } from './report.js';
export type { OpFigures } from './stats.js';

/** Renders progress on stderr: `\r`-rewritten on a terminal, else a line every `everyS`. */
function progressPrinter(everyS: number): { print: (p: Progress) => void; end: () => void } {
  const stream = process.stderr;
  if (everyS === 0) return { print: () => {}, end: () => {} };
  if (stream.isTTY) {
    let shown = false;
    return {
      print: (p) => {
        stream.write(`\r[bench] ${formatProgress(p)}\x1b[K`);
        shown = true;
      },
      end: () => {
        if (shown) stream.write('\r\x1b[K');
      },
    };
  }
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastPhase = '';
  return {
    print: (p) => {
      const now = performance.now();
      if (p.phase === lastPhase && now - lastAt < everyS * 1000) return;
      stream.write(`[bench] ${formatProgress(p)}\n`);
      lastAt = now;
      lastPhase = p.phase;
    },
    end: () => {},
  };
}

export async function benchCommand(argv: string[]): Promise<void> {
  const options = parseBenchOptions(argv);
  if (options.help) {
    console.log(BENCH_HELP);
    return;
  }
  const progress = progressPrinter(options.progressEveryS);
  try {
    const result = await runBench({ ...options.bench, onProgress: progress.print });
    progress.end();
    console.log(options.json ? JSON.stringify(result, null, 2) : formatResult(result));
  } catch (error) {
    progress.end();
    throw error;
  }
}
