// Goal: the command table finds every documented command by the names clients send and nothing else.
// Method: look up each name of the README's list (not the table's own) in lower, upper and mixed
// case, and near-misses of every kind; arities are Redis's (from its command docs) or ringkv's.
import t from 'tap';
import { COMMANDS, lookupCommand } from '../../../src/server/resp/commands/table.js';

const find = (name: string | Buffer) =>
  lookupCommand(typeof name === 'string' ? Buffer.from(name, 'latin1') : name)?.name;

/** The README's RESP commands with their arity (Redis's convention: negative means "at least"). */
const DOCUMENTED: Record<string, number> = {
  ping: -1,
  echo: 2,
  quit: -1,
  select: 2,
  client: -2,
  command: -1,
  config: -2,
  hello: -1,
  info: -1,
  get: 2,
  set: -3,
  del: -2,
  exists: -2,
  mget: -2,
  mset: -3,
  incr: 2,
  incrby: 3,
  decr: 2,
  decrby: 3,
  scan: -2,
  keys: 2,
  dbsize: 1,
  type: 2,
  randomkey: 1,
  flushdb: -1,
  flushall: -1,
  multi: 1,
  exec: 1,
  discard: 1,
  watch: -2,
  unwatch: 1,
  vget: -2,
  vput: -4,
  vdel: -3,
  explain: 2,
  bucket: -1,
  auth: -2,
  setex: 4,
  psetex: 4,
  setnx: 3,
  getset: 3,
  getdel: 2,
  getex: -2,
  expire: -3,
  pexpire: -3,
  expireat: -3,
  pexpireat: -3,
  persist: 2,
  ttl: 2,
  pttl: 2,
  expiretime: 2,
  pexpiretime: 2,
};

t.test('every documented command is found by its name in any case', async (t) => {
  for (const name of Object.keys(DOCUMENTED)) {
    const mixed = [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('');
    for (const sent of [name, name.toUpperCase(), mixed]) t.equal(find(sent), name, `${sent} is ${name}`);
  }
});

t.test('near-misses of a command name are unknown', async (t) => {
  const misses = [
    '',
    'ge',
    'gett',
    'xget',
    'g\x07t', // 0x07 | 0x20 is a quote, not a letter
    'G\x45T\x00',
    '\x00get',
    'g3t',
    'ge\x14', // 0x14 | 0x20 is '4'
    'commandx',
    'explai',
    'c'.repeat(17),
    'vget ',
  ];
  for (const name of misses) t.equal(find(name), undefined, JSON.stringify(name));
});

t.test('the table holds exactly the documented commands, once each, with their arities', async (t) => {
  const names = COMMANDS.map((spec) => spec.name);
  t.equal(new Set(names).size, names.length, 'no name twice');
  t.same([...names].sort(), Object.keys(DOCUMENTED).sort(), 'no undocumented command, none missing');
  for (const spec of COMMANDS)
    t.equal(spec.arity, DOCUMENTED[spec.name], `${spec.name} has arity ${DOCUMENTED[spec.name]}`);
});
