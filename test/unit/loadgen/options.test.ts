// Goal: `ringkv bench` flags give the documented defaults, and every bad flag is refused with a
// message naming it. Method: parse argument lists and compare the options or the error.
import t from 'tap';
import { LOAD_PIPELINE, parseBenchOptions, parseTarget } from '../../../src/loadgen/options.js';

t.test('no flags give the documented defaults', async (t) => {
  const { bench, json, help } = parseBenchOptions([]);
  t.match(bench, {
    host: '127.0.0.1',
    port: 6380,
    clients: 50,
    pipeline: 1,
    durationS: 10,
    requests: undefined,
    warmupS: 2,
    keys: 100_000,
    distribution: 'zipfian',
    valueBytes: 100,
    load: true,
    loadPipeline: LOAD_PIPELINE,
    seed: 1,
  });
  t.equal(bench.workload.name, 'A');
  t.equal(json, false);
  t.equal(help, false);
});

t.test('flags set their options; --requests replaces the duration; --no-load skips the load', async (t) => {
  const { bench, json } = parseBenchOptions([
    '--target',
    'localhost:6379',
    '--clients',
    '8',
    '--pipeline',
    '128',
    '--requests',
    '5000',
    '--warmup',
    '0.5',
    '--workload',
    'write',
    '--keys',
    '10',
    '--distribution',
    'uniform',
    '--value-bytes',
    '0',
    '--no-load',
    '--seed',
    '9',
    '--json',
  ]);
  t.match(bench, {
    host: 'localhost',
    port: 6379,
    clients: 8,
    pipeline: 128,
    durationS: undefined,
    requests: 5000,
    warmupS: 0.5,
    keys: 10,
    distribution: 'uniform',
    valueBytes: 0,
    load: false,
    loadPipeline: 128,
    seed: 9,
  });
  t.equal(bench.workload.name, 'write');
  t.equal(json, true);
});

t.test('targets are HOST:PORT, with IPv6 hosts in brackets', async (t) => {
  t.same(parseTarget('10.0.0.1:7000'), { host: '10.0.0.1', port: 7000 });
  t.same(parseTarget('[::1]:6380'), { host: '::1', port: 6380 });
  for (const bad of ['6380', 'host:', 'host:0', 'host:70000', ':6380', 'a:b:1']) {
    t.throws(() => parseTarget(bad), { code: 'BAD_REQUEST', message: /--target must be HOST:PORT/ }, bad);
  }
});

const REFUSED: [string[], RegExp][] = [
  [['--clients', '0'], /--clients must be a whole number from 1 to 10000; got '0'/],
  [['--clients', '2.5'], /--clients must be a whole number/],
  [['--pipeline', '2000'], /--pipeline must be a whole number from 1 to 1024/],
  [['--duration', '0'], /--duration must be a number from 0.001/],
  [['--duration', '5', '--requests', '10'], /--duration or --requests, not both/],
  [['--warmup=-1'], /--warmup must be a number from 0/],
  [['--workload', 'D'], /--workload must be one of A, B, C, write, F; got 'D'/],
  [['--distribution', 'latest'], /--distribution must be zipfian or uniform; got 'latest'/],
  [['--keys', '0'], /--keys must be a whole number from 1/],
  [['--value-bytes', 'many'], /--value-bytes must be a whole number/],
  [['--load', '--no-load'], /contradict/],
  [['--unknown'], /Unknown option '--unknown'/],
  [['positional'], /positional/i],
];

for (const [argv, message] of REFUSED) {
  t.test(`${argv.join(' ')} is refused with a message naming the flag`, async (t) => {
    t.throws(() => parseBenchOptions(argv), { code: 'BAD_REQUEST', message });
  });
}

t.test('--server-pid names the process whose CPU is measured', async (t) => {
  t.equal(parseBenchOptions(['--server-pid', '4242']).bench.serverPid, 4242);
  t.equal(parseBenchOptions([]).bench.serverPid, undefined);
  t.throws(() => parseBenchOptions(['--server-pid', '0']), { code: 'BAD_REQUEST' });
});
