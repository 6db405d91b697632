// Compiles the TypeScript into a fresh dist/ without ever leaving the checkout without one: tsc
// writes dist.next/, which then replaces dist/ in two renames. A server started from the
// checkout while `npm test` (or `npm pack`) builds keeps its files until the swap, and finds a
// whole dist/ after it (a removal first, as `rm -rf dist && tsc` did, left none for a minute).
// The fresh directory also means no stale output of a deleted source file survives.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const next = join(root, 'dist.next');
const current = join(root, 'dist');
const old = join(root, 'dist.old');

rmSync(next, { recursive: true, force: true });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--outDir', next], {
  stdio: 'inherit',
});
rmSync(old, { recursive: true, force: true });
if (existsSync(current)) renameSync(current, old);
renameSync(next, current);
rmSync(old, { recursive: true, force: true });
