// Worker thread entry: one start-up message (workerData), open this worker's storage,
// announce readiness, then serve frames until a STOP frame closes everything from inside.
// Workers are never stopped with terminate(): that aborted the process mid-LMDB-write here.
import { parentPort, workerData } from 'node:worker_threads';
import { Store } from '../storage/store.js';
import { Node } from './node.js';
import type { WorkerConfig, WorkerEvent } from './protocol.js';

const config = workerData as WorkerConfig;
const port = parentPort;
if (port === null) throw new Error('worker entry must run in a worker thread');

function post(event: WorkerEvent): void {
  port?.postMessage(event);
}

let store: Store | null = null;

// lmdb-js rejects a promise of its own that nobody awaits for every failed commit (full
// disk): the store takes it as the commit failure it is. Anything else is reported, and
// the worker keeps serving.
process.on('unhandledRejection', (reason) => {
  if (store?.absorbRejection(reason) === true) return;
  post({ type: 'fatal', slot: config.slot, message: `unhandled rejection: ${String(reason)}` });
});

store = await Store.open({
  path: config.path,
  durability: config.durability,
  mapBytes: config.mapBytes,
});
const node = new Node(config, store);
post({ type: 'ready', slot: config.slot, workerId: store.workerId });
await node.serve();
await store.close();
node.acknowledgeStop();
process.exit(0);
