// The mutation harness (`npm run test:mutants [-- name …]`): for each mutant of mutants.ts it
// copies the compiled dist/ to .mutants/<name>/, applies the mutant's patches to the copy, runs
// the mutant's test files against the copy one after another, and reports the mutant killed
// (a listed file failed on the assertion the mutant names in `expect`, or hung) or survived.
// A surviving mutant, a patch whose search text is not found exactly once, or a baseline
// (unpatched) failure makes the run exit non-zero.
//
// Flags: --list (print the mutants), --no-baseline (skip running the tests unpatched first),
// --keep (leave the copies and logs in .mutants/). SEED=… is passed to every test file.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTANTS, type Mutant, type Patch } from './mutants.js';

/** A test file that has not finished by then is stopped and counted as failed (a hang catches a mutant too). */
const FILE_LIMIT_MS = 240_000;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const WORK = join(ROOT, '.mutants');

/** 'failed otherwise': the file failed, but no failing assertion matched the mutant's `expect`. */
type Outcome = 'passed' | 'failed' | 'failed otherwise' | 'timed out';

interface FileRun {
  file: string;
  outcome: Outcome;
  ms: number;
  log: string;
  seed: string | undefined;
  /** Names of the assertions that failed. */
  notOk: string[];
}

interface Verdict {
  mutant: Mutant;
  killed: boolean;
  runs: FileRun[];
  ms: number;
}

function occurrences(text: string, search: string): number {
  let count = 0;
  for (let at = text.indexOf(search); at !== -1; at = text.indexOf(search, at + 1)) count++;
  return count;
}

/** Checks every patch of every mutant against the compiled code before anything runs. */
function checkPatches(mutants: readonly Mutant[]): string[] {
  const problems: string[] = [];
  for (const mutant of mutants) {
    for (const patch of mutant.patches) {
      const text = readFileSync(join(ROOT, 'dist/src', patch.file), 'utf8');
      const count = occurrences(text, patch.search);
      if (count !== 1) {
        problems.push(
          `${mutant.name}: the search text occurs ${count} times in dist/src/${patch.file} (must be exactly once): ${JSON.stringify(patch.search)}`,
        );
      }
      if (patch.search === patch.replace)
        problems.push(`${mutant.name}: a patch of ${patch.file} changes nothing`);
    }
  }
  return problems;
}

/** A runnable copy of the build: dist/, package.json (ESM, package root for the addon), bin/, build/. */
function makeCopy(name: string, patches: readonly Patch[]): string {
  const dir = join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'build'), join(dir, 'build'));
  for (const patch of patches) {
    const path = join(dir, 'dist/src', patch.file);
    const text = readFileSync(path, 'utf8');
    if (occurrences(text, patch.search) !== 1)
      throw new Error(`${name}: patch of ${patch.file} no longer applies`);
    writeFileSync(
      path,
      text.replace(patch.search, () => patch.replace),
    );
  }
  return dir;
}

/** Runs one compiled test file of the copy with node (tap's test API exits non-zero on a failure). */
function runFile(copy: string, file: string, logName: string, expect?: RegExp): Promise<FileRun> {
  const started = Date.now();
  const log = join(WORK, 'logs', `${logName}.log`);
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(copy, 'dist/test', file)], {
      cwd: copy,
      env: { ...process.env, TAP_TIMEOUT: String(FILE_LIMIT_MS / 1000) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, FILE_LIMIT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      writeFileSync(log, output);
      const notOk = [...output.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((match) => match[1] ?? '');
      let outcome: Outcome = timedOut ? 'timed out' : code === 0 ? 'passed' : 'failed';
      if (outcome === 'failed' && expect !== undefined && !notOk.some((name) => expect.test(name))) {
        outcome = 'failed otherwise';
      }
      const seed = /# seed (\d+)/.exec(output)?.[1];
      done({ file, outcome, ms: Date.now() - started, log, seed, notOk });
    });
  });
}

async function runMutant(mutant: Mutant): Promise<Verdict> {
  const started = Date.now();
  const copy = makeCopy(mutant.name, mutant.patches);
  const runs: FileRun[] = [];
  const every = mutant.mode === 'every';
  for (const file of mutant.tests) {
    const run = await runFile(copy, file, `${mutant.name}--${file.replaceAll('/', '_')}`, mutant.expect);
    runs.push(run);
    process.stdout.write(`  ${mutant.name}: ${file} ${run.outcome} (${(run.ms / 1000).toFixed(1)} s)\n`);
    if (!every && catches(run)) break;
  }
  const failing = runs.filter(catches).length;
  const killed = every ? failing === mutant.tests.length : failing > 0;
  return { mutant, killed, runs, ms: Date.now() - started };
}

/** A file catches a mutant when an expected assertion failed, or when it hung past the limit. */
function catches(run: FileRun): boolean {
  return run.outcome === 'failed' || run.outcome === 'timed out';
}

function table(verdicts: readonly Verdict[]): string {
  const rows = verdicts.map(({ mutant, killed, runs, ms }) => [
    mutant.name,
    killed ? 'killed' : 'SURVIVED',
    `${(ms / 1000).toFixed(1)} s`,
    runs.map((run) => `${run.file.replace(/\.test\.js$/, '')}: ${run.outcome}`).join(', '),
  ]);
  const header = ['mutant', 'verdict', 'time', 'test files (killed by a failure)'];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const flags = new Set(args.filter((arg) => arg.startsWith('--')));
  const names = args.filter((arg) => !arg.startsWith('--'));
  if (flags.has('--list')) {
    for (const mutant of MUTANTS) console.log(`${mutant.name.padEnd(32)} ${mutant.breaks}`);
    return 0;
  }
  const unknown = names.filter((name) => !MUTANTS.some((mutant) => mutant.name === name));
  if (unknown.length > 0) {
    console.error(`unknown mutant(s): ${unknown.join(', ')}; --list shows them`);
    return 2;
  }
  const chosen = names.length === 0 ? MUTANTS : MUTANTS.filter((mutant) => names.includes(mutant.name));
  const problems = checkPatches(chosen);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`mutants: ${problem}`);
    return 2;
  }
  const started = Date.now();
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(join(WORK, 'logs'), { recursive: true });
  console.log(
    `mutation run: ${chosen.length} mutants, node ${process.version}, SEED=${process.env.SEED ?? '(each file draws one)'}`,
  );

  if (!flags.has('--no-baseline')) {
    // A mutant counts as killed only if its tests pass without it.
    const files = [...new Set(chosen.flatMap((mutant) => mutant.tests))];
    const copy = makeCopy('baseline', []);
    for (const file of files) {
      const run = await runFile(copy, file, `baseline--${file.replaceAll('/', '_')}`);
      console.log(`  baseline: ${file} ${run.outcome} (${(run.ms / 1000).toFixed(1)} s)`);
      if (run.outcome !== 'passed') {
        console.error(`mutants: ${file} fails without any mutant (seed ${run.seed ?? '-'}); see ${run.log}`);
        return 2;
      }
    }
  }

  const verdicts: Verdict[] = [];
  for (const mutant of chosen) {
    const verdict = await runMutant(mutant);
    verdicts.push(verdict);
    if (!flags.has('--keep')) rmSync(join(WORK, mutant.name), { recursive: true, force: true });
  }
  const survivors = verdicts.filter((verdict) => !verdict.killed);
  console.log('');
  console.log(table(verdicts));
  console.log('');
  console.log(
    `${verdicts.length - survivors.length} of ${verdicts.length} mutants killed in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  for (const { mutant, runs } of survivors) {
    for (const run of runs.filter((r) => !catches(r))) {
      const how =
        run.outcome === 'passed'
          ? 'passed'
          : `failed only otherwise (${run.notOk.join('; ') || 'no assertion'})`;
      console.log(`survived: ${mutant.name}: ${run.file} ${how} (seed ${run.seed ?? '-'}); log ${run.log}`);
    }
  }
  if (!flags.has('--keep')) rmSync(join(WORK, 'baseline'), { recursive: true, force: true });
  return survivors.length === 0 ? 0 : 1;
}

process.exitCode = await main();
