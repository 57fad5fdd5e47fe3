#!/usr/bin/env node
// The engine tests against the addon built with AddressSanitizer and
// UndefinedBehaviorSanitizer: a heap overflow, use-after-free or undefined
// behaviour in layers/native/src aborts the run with the sanitizer's report.
// Node itself is not instrumented, so the runtimes are preloaded, and leak
// detection (which would report V8's and Node's own lifetime allocations) is
// left to npm run check:leaks.
//   npm run test:sanitize
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arch = process.arch;
execFileSync(process.execPath, [join(root, 'layers/native/build.mjs'), '--sanitize'], { stdio: 'inherit' });
const runtime = (name) => execFileSync('g++', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
const result = spawnSync(
  process.execPath,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/engine', 'test/workers'],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      TFLITE_NATIVE_ADDON: join(root, 'dist', 'native-sanitized', `linux-${arch}`, 'tflite_native.node'),
      LD_PRELOAD: [runtime('libasan.so'), runtime('libubsan.so')].join(':'),
      ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
    },
  },
);
process.exit(result.status ?? 1);
