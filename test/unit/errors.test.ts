// Goal: every error code has one RESP word and one HTTP status, and is documented in the
// README's error table. Method: walk ERROR_CODES against the README text.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ERROR_CODES, errorCodeToStatus, isErrorCode, statusToErrorCode } from '../../src/errors.js';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

t.test('every code maps to a RESP word and an error status, and survives the frame status', async (t) => {
  for (const [code, { resp, http }] of Object.entries(ERROR_CODES)) {
    t.match(resp, /^[A-Z]+$/, `${code}: RESP word ${resp}`);
    t.ok(http >= 400 && http < 600, `${code}: HTTP ${http}`);
    t.ok(isErrorCode(code));
    if (isErrorCode(code)) t.equal(statusToErrorCode(errorCodeToStatus(code)), code);
  }
});

t.test('every code is in the README error table', async (t) => {
  for (const code of Object.keys(ERROR_CODES)) t.match(README, `| \`${code}\` |`, `${code} is documented`);
});

t.test(
  'a failed commit is STORAGE: -STORAGE over RESP, 507 over HTTP, listed among the RESP errors',
  async (t) => {
    t.same(ERROR_CODES.STORAGE.resp, 'STORAGE');
    t.same(ERROR_CODES.STORAGE.http, 507);
    t.match(README, '`-STORAGE`');
  },
);
