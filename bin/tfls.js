#!/usr/bin/env node
// The `tfls` command: the compiled CLI (npm run build, run by npm install).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('tfls: the CLI is not built; run "npm run build" in the tflite-serverless package\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// Let stdout drain before exiting.
process.exitCode = code;
