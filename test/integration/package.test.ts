// Goal: what `npm pack` makes installs and runs in a project that has nothing but it: the
// embedded API imports and stores a key, and `npx ringkv --help` prints the help.
// Method: pack the checkout (dist/ is built by pretest; --ignore-scripts keeps the pack from
// rebuilding it), npm install the tarball into an empty temp project (its dependencies come
// from npm's cache when present: --prefer-offline), then run node and npx there.
import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { freshDir } from '../fixtures/tmp-dir.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** npm install builds the addon and may fetch dependencies: minutes on a loaded machine. */
const INSTALL_TIMEOUT_MS = 8 * 60_000;

t.setTimeout(INSTALL_TIMEOUT_MS + 60_000);

t.test('the packed tarball installs into an empty project, imports and runs', async (t) => {
  const packs = freshDir(t, 'pack');
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packs], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [manifest] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (manifest === undefined) throw new Error('npm pack reported no tarball');
  const paths = manifest.files.map((file) => file.path);
  t.ok(paths.includes('dist/src/index.js'), 'the tarball holds the compiled entry point');
  t.ok(
    paths.includes('bin/ringkv.js') && paths.includes('binding.gyp'),
    'and the launcher and the addon sources',
  );
  t.notOk(
    paths.some((path) => /^(test|bench|dist\/test|dist\/bench|src)\//.test(path)),
    'and no tests, benchmarks or TypeScript sources',
  );
  const tarball = join(packs, readdirSync(packs).find((name) => name.endsWith('.tgz')) as string);

  const project = freshDir(t, 'project');
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'empty', private: true, type: 'module' }),
  );
  const started = Date.now();
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: project,
    timeout: INSTALL_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  t.comment(`npm install of the tarball took ${Math.round((Date.now() - started) / 1000)} s`);

  const script = `
    import { open } from 'ringkv';
    const db = await open({ dir: process.argv[2], workers: 2, n: 2, r: 1, w: 1 });
    await db.put('k', 'from the installed package');
    const { values } = await db.get('k');
    await db.close();
    console.log(values[0].toString());
  `;
  const data = freshDir(t, 'installed-data');
  // A file, not `node -e`: worker threads inherit the parent's --input-type, which they refuse.
  writeFileSync(join(project, 'main.js'), script);
  const embedded = await run(process.execPath, ['main.js', join(data, 'db')], { cwd: project });
  t.equal(
    embedded.stdout.trim(),
    'from the installed package',
    "import { open } from 'ringkv' stores and reads",
  );

  const help = await run('npx', ['--no-install', 'ringkv', '--help'], { cwd: project });
  t.match(help.stdout, /ringkv start \[options\]/, 'npx ringkv --help prints the help');
});
