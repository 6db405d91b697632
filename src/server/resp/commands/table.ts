// The command table: every command ringkv answers over RESP, found by name in one Map lookup.
// Names of up to 6 bytes (all the hot ones) are looked up by a number packed from their bytes,
// case-folded, so no string is made per command; longer names go through a lower-case string.
import assert from 'node:assert/strict';
import { ACCESS_ADMIN, ACCESS_OPEN, ACCESS_WRITE } from '../../auth/access.js';
import { CONNECTION_COMMANDS } from './connection.js';
import { COUNTER_COMMANDS } from './counters.js';
import { COMMAND_DOCS } from './docs.js';
import { DYNAMO_COMMANDS } from './dynamo.js';
import { EXPIRY_COMMANDS } from './expiry.js';
import { info } from './info.js';
import { command, config } from './introspection.js';
import { KEY_COMMANDS } from './keys.js';
import { TRANSACTION_COMMANDS } from './multi.js';
import { KEYSPACE_COMMANDS } from './scan.js';
import type { CommandSpec } from './spec.js';

/** No command name is longer; longer names are unknown without a lookup. */
const NAME_BYTES_MAX = 16;

export const COMMANDS: readonly CommandSpec[] = [
  ...KEY_COMMANDS,
  ...COUNTER_COMMANDS,
  ...KEYSPACE_COMMANDS,
  ...TRANSACTION_COMMANDS,
  ...EXPIRY_COMMANDS,
  ...DYNAMO_COMMANDS,
  ...CONNECTION_COMMANDS,
  info,
  command,
  config,
];

/** Longest name packed into a number: 6 bytes fit exactly in a double's 53-bit integer range. */
const PACKED_BYTES_MAX = 6;
const CASE_BIT = 0x20;

/**
 * The bytes of a short name as one number, with the ASCII case bit set on each byte. Only
 * letters fold onto letters (x | 0x20 is a lower-case letter only for that letter, either
 * case), and command names are letters only, so a packed name matches only its own command.
 * Every folded byte is non-zero, so names of different lengths never pack to one number.
 */
function packName(name: Uint8Array): number {
  let packed = 0;
  for (let i = 0; i < name.length; i++) packed = packed * 256 + ((name[i] as number) | CASE_BIT);
  return packed;
}

const BY_PACKED_NAME = new Map<number, CommandSpec>();
const BY_LONG_NAME = new Map<string, CommandSpec>();
for (const spec of COMMANDS) {
  assert(/^[a-z]+$/.test(spec.name) && spec.name.length <= NAME_BYTES_MAX, `command name ${spec.name}`);
  // COMMAND INFO and DOCS describe every command; a command without docs is a programmer error.
  assert(COMMAND_DOCS.has(spec.name), `command ${spec.name} has no entry in commands/docs.ts`);
  // The access level agrees with the flags COMMAND reports: open exactly for no_auth commands,
  // write flags need the write role at least, admin flags the admin role.
  assert(
    (spec.access === ACCESS_OPEN) === spec.flags.includes('no_auth') &&
      (!spec.flags.includes('write') || spec.access >= ACCESS_WRITE) &&
      (!spec.flags.includes('admin') || spec.access === ACCESS_ADMIN) &&
      (spec.flags.includes('write') || spec.access !== ACCESS_WRITE),
    `command ${spec.name}: access level ${spec.access} disagrees with its flags`,
  );
  if (spec.name.length <= PACKED_BYTES_MAX) BY_PACKED_NAME.set(packName(Buffer.from(spec.name)), spec);
  else BY_LONG_NAME.set(spec.name, spec);
}

export function lookupCommand(name: Buffer): CommandSpec | undefined {
  if (name.length <= PACKED_BYTES_MAX) return BY_PACKED_NAME.get(packName(name));
  if (name.length > NAME_BYTES_MAX) return undefined;
  return BY_LONG_NAME.get(name.toString('latin1').toLowerCase());
}
