// Goal: KEYS and SCAN MATCH patterns match as Redis's stringmatchlen does. Method: Redis's own
// documented examples (KEYS page) plus escapes, reversed ranges, stars at every position and
// an unclosed class, each checked for what must match and what must not.
import t from 'tap';
import { globMatcher } from '../../../src/main/keyspace.js';

const CASES: [pattern: string, matches: string[], misses: string[]][] = [
  ['h?llo', ['hello', 'hallo', 'hxllo'], ['hllo', 'heello']],
  ['h*llo', ['hllo', 'heeeello', 'hello'], ['hell', 'ello']],
  ['h[ae]llo', ['hello', 'hallo'], ['hillo', 'hllo']],
  ['h[^e]llo', ['hallo', 'hbllo'], ['hello', 'hllo']],
  ['h[a-b]llo', ['hallo', 'hbllo'], ['hcllo']],
  ['h[b-a]llo', ['hallo', 'hbllo'], ['hcllo']],
  ['h\\*llo', ['h*llo'], ['hello', 'hllo']],
  ['h[\\]]llo', ['h]llo'], ['hallo']],
  ['*', ['', 'anything'], []],
  ['', [''], ['a']],
  ['**a**', ['a', 'xax', 'aaa'], ['b', '']],
  ['user:*:name', ['user:1:name', 'user::name'], ['user:1:nam', 'user:1:names']],
  ['a[bc', ['ab', 'ac'], ['abc', 'a']],
];

t.test("patterns match as Redis's stringmatchlen", async (t) => {
  for (const [pattern, matches, misses] of CASES) {
    const match = globMatcher(pattern);
    for (const text of matches)
      t.ok(match(text), `${JSON.stringify(pattern)} matches ${JSON.stringify(text)}`);
    for (const text of misses)
      t.notOk(match(text), `${JSON.stringify(pattern)} misses ${JSON.stringify(text)}`);
  }
});
