// Compares, on one machine in one run: this project's native engine (1 and 2
// threads), LiteRT.js (WASM), @tensorflow/tfjs-tflite, tfjs-tflite-node, and a
// raw C program calling the same libtensorflowlite_c.so with XNNPACK (the limit).
//   npm run bench:engines [-- --runs 200]
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '200' }, warmup: { type: 'string', default: '20' } },
});

const MODELS = {
  face_detection_short_range: require.resolve('@mediapipe/face_detection/face_detection_short_range.tflite'),
  hand_landmark_full: require.resolve('@mediapipe/hands/hand_landmark_full.tflite'),
  pose_landmark_full: require.resolve('@mediapipe/pose/pose_landmark_full.tflite'),
};

interface Row {
  engine: string;
  threads: number;
  initMs: number;
  p50Ms: number;
  p99Ms: number;
}

const buildRawC = (): string => {
  const ccDeps = join(dirname(require.resolve('tfjs-tflite-node/package.json')), 'cc_deps');
  const out = join(root, 'dist', 'bench', 'raw-c-bench');
  mkdirSync(dirname(out), { recursive: true });
  execFileSync('gcc', [
    '-O2',
    join(root, 'bench', 'raw-c', 'bench.c'),
    `-I${join(ccDeps, 'include')}`,
    `-I${join(root, 'layers', 'native', 'src')}`,
    `-L${join(ccDeps, 'linux_amd64')}`,
    '-ltensorflowlite_c',
    `-Wl,-rpath,${join(ccDeps, 'linux_amd64')}`,
    '-lm',
    '-o',
    out,
  ]);
  return out;
};

const measure = (peer: string, model: string, threads: number): Row => {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench', 'measure.ts'), peer, model, String(threads), values.runs!, values.warmup!],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const result = JSON.parse(output.toString().trim().split('\n').pop()!);
  return { engine: result.peer, threads, initMs: result.initMs, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
};

const rawC = buildRawC();
console.log(
  `Machine: ${describeMachine()}; ${values.runs} runs after ${values.warmup} warm-up runs; inputs: seeded uniform [0, 1).\n`,
);
for (const [name, model] of Object.entries(MODELS)) {
  const rows: Row[] = [];
  for (const threads of [1, 2]) {
    const limit = JSON.parse(
      execFileSync(rawC, [model, String(threads), values.runs!, values.warmup!], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString(),
    );
    rows.push({
      engine: 'raw C API + XNNPACK (the limit)',
      threads,
      initMs: limit.initMs,
      p50Ms: limit.p50Ms,
      p99Ms: limit.p99Ms,
    });
    rows.push(measure('native', model, threads));
  }
  rows.push(measure('wasm', model, 1), measure('tfjs-tflite', model, 1), measure('tfjs-tflite-node', model, 1));
  const limit1 = rows[0]!.p50Ms;
  const native1 = rows[1]!.p50Ms;
  console.log(`### ${name}\n`);
  console.log('| engine | threads | init ms | p50 ms | p99 ms | p50 vs raw C (same threads) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const limit = rows.find((r) => r.engine.startsWith('raw C') && r.threads === row.threads)!.p50Ms;
    console.log(
      `| ${row.engine} | ${row.threads} | ${row.initMs.toFixed(1)} | ${row.p50Ms.toFixed(2)} | ${row.p99Ms.toFixed(2)} | ${(row.p50Ms / limit).toFixed(2)}x |`,
    );
  }
  const wasm = rows.find((r) => r.engine.includes('LiteRT'))!.p50Ms;
  console.log(
    `\nnative (1 thread) is ${((native1 / limit1 - 1) * 100).toFixed(1)}% off the raw C program and ${(wasm / native1).toFixed(1)}x faster than LiteRT.js.\n`,
  );
}
