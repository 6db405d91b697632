#!/usr/bin/env node
// The ringkv command: a thin launcher for the compiled CLI.
import('../dist/src/cli/main.js').catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
