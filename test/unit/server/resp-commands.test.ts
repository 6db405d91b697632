// Goal: the command table finds every command by the names clients send and nothing else.
// Method: look up each name in lower, upper and mixed case, and near-misses of every kind.
import t from 'tap';
import { COMMANDS, lookupCommand } from '../../../src/server/resp/commands/table.js';

const find = (name: string | Buffer) =>
  lookupCommand(typeof name === 'string' ? Buffer.from(name, 'latin1') : name)?.name;

t.test('every command is found by its name in any case', async (t) => {
  for (const { name } of COMMANDS) {
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

t.test('command names are unique and arities follow Redis (the name counts)', async (t) => {
  const names = COMMANDS.map((spec) => spec.name);
  t.equal(new Set(names).size, names.length);
  for (const spec of COMMANDS) t.not(spec.arity, 0, `${spec.name} has an arity`);
  t.equal(COMMANDS.find((spec) => spec.name === 'get')?.arity, 2);
  t.equal(COMMANDS.find((spec) => spec.name === 'vput')?.arity, -4);
});
