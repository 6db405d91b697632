// Goal: the context a write returns covers that write and what its own context covered, no
// more and no less, so a chain of writes each sending the context the last one returned holds
// one value. Method: DEL or SET, then chains of VPUT over RESP and of PUT over HTTP.
import { Redis } from 'ioredis';
import t from 'tap';
import { startHttpServer } from '../../src/server/http/server.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { startStack } from '../fixtures/stack.js';

const stack = await startStack(t, 'contexts', { workers: 4, n: 3, r: 2, w: 2 });
const client = new Redis({ port: stack.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
const http = await startHttpServer(stack.db, {
  host: '127.0.0.1',
  port: 0,
  metrics: new ServerMetrics(),
  maxBodyBytes: 64 * 1024,
  requestTimeoutMs: 5_000,
});
t.teardown(async () => {
  await client.quit();
  await http.close();
});

const vget = (key: string) => client.call('VGET', key, 'R', '3') as Promise<string[]>;
const vput = (key: string, context: string, value: string) =>
  client.call('VPUT', key, context, value) as Promise<string>;

for (const start of ['DEL', 'SET'] as const) {
  t.test(`after ${start}, 100 VPUTs each with the context the last returned leave one value`, async (t) => {
    const key = `chain-${start}`;
    await client.set(key, 'first');
    if (start === 'DEL') await client.del(key);
    let context = await vput(key, '', 'v0');
    t.not(context, '', 'a blind VPUT returns a context that covers its write');
    for (let i = 1; i <= 100; i++) context = await vput(key, context, `v${i}`);
    const [joined, ...values] = await vget(key);
    const expected = start === 'SET' ? ['first', 'v100'] : ['v100'];
    t.same(values, expected, 'the chain superseded its own writes and nothing else');
    await vput(key, joined as string, 'resolved');
    t.same((await vget(key)).slice(1), ['resolved'], 'a read-modify-write resolves what is left');
  });
}

t.test('a put with the context of a blind put does not supersede a sibling it never saw', async (t) => {
  await client.set('unseen', 'kept');
  const mine = await vput('unseen', '', 'mine');
  await vput('unseen', mine, 'mine again');
  t.same((await vget('unseen')).slice(1).sort(), ['kept', 'mine again']);
});

t.test('over HTTP: DELETE, then five PUTs each with the previous X-Context answer one value', async (t) => {
  const url = `http://127.0.0.1:${http.port}/buckets/default/keys/chain-http`;
  await fetch(url, { method: 'PUT', body: 'old' });
  t.equal((await fetch(url, { method: 'DELETE' })).status, 204);
  let context = '';
  for (let i = 0; i < 5; i++) {
    const headers: Record<string, string> = context === '' ? {} : { 'X-Context': context };
    const put = await fetch(url, { method: 'PUT', body: `p${i}`, headers });
    t.equal(put.status, 204);
    context = put.headers.get('x-context') ?? '';
    t.not(context, '', `PUT ${i} returns a context`);
  }
  const got = await fetch(`${url}?r=3`);
  t.equal(got.status, 200, 'one value, not 300 Multiple Choices');
  t.equal(await got.text(), 'p4');
});
