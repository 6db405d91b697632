// A standalone entry to the load generator, for use before (and besides) `ringkv bench`:
// `node dist/src/loadgen/main.js --target 127.0.0.1:6379 --workload A`. Exit 2 on a bad flag,
// 1 when the run could not happen (no server, workload F against a plain Redis).
import { KvError } from '../errors.js';
import { benchCommand } from './index.js';

benchCommand(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`ringkv bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof KvError && error.code === 'BAD_REQUEST' ? 2 : 1);
});
