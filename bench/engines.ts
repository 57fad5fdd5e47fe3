// Compares, on one machine in one run, this project's engines at 1 and 2
// threads: native (TFLite 2.9 + XNNPACK), ort (the model translated to ONNX,
// on ONNX Runtime) and wasm (LiteRT.js, one thread). For the three MediaPipe
// models also @tensorflow/tfjs-tflite, tfjs-tflite-node, and a raw C program
// calling the same libtensorflowlite_c.so with XNNPACK (the limit); then the
// bundled models and the shared model zoo (TFLS_MODEL_ZOO, default
// ../shared/fixtures/models) when it is there.
//   npm run bench:engines [-- --runs 200] [-- --only mediapipe|zoo]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    only: { type: 'string' },
  },
});

const MEDIAPIPE = {
  face_detection_short_range: require.resolve('@mediapipe/face_detection/face_detection_short_range.tflite'),
  hand_landmark_full: require.resolve('@mediapipe/hands/hand_landmark_full.tflite'),
  pose_landmark_full: require.resolve('@mediapipe/pose/pose_landmark_full.tflite'),
};

/** The bundled models (models/<name>/<version>/model.tflite) and the zoo's files, by name. */
const otherModels = (): Record<string, string> => {
  const models: Record<string, string> = {};
  for (const name of readdirSync(join(root, 'models'), { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const dir = join(root, 'models', name.name);
    for (const version of readdirSync(dir)
      .sort((a, b) => Number(b) - Number(a))
      .slice(0, 1))
      if (existsSync(join(dir, version, 'model.tflite')))
        models[`models/${name.name}`] = join(dir, version, 'model.tflite');
  }
  const zoo = resolve(root, process.env.TFLS_MODEL_ZOO ?? join('..', 'shared', 'fixtures', 'models'));
  if (existsSync(zoo))
    for (const file of readdirSync(zoo)
      .filter((f) => f.endsWith('.tflite'))
      .sort())
      models[file] = join(zoo, file);
  else console.log(`(the shared model zoo is not at ${zoo}: set TFLS_MODEL_ZOO to include it)\n`);
  return models;
};

interface Row {
  engine: string;
  threads: number;
  runs?: number;
  initMs?: number;
  p50Ms?: number;
  p99Ms?: number;
  error?: string;
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

/** One engine on one model in a process of its own. */
const measure = (peer: string, model: string, threads: number): Row => {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench', 'measure.ts'), peer, model, String(threads), values.runs!, values.warmup!],
    { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const result = JSON.parse(output.toString().trim().split('\n').pop()!);
  return { engine: result.peer, threads, ...result };
};

const cell = (value: number | undefined, digits: number): string => (value === undefined ? '' : value.toFixed(digits));
const why = (error: string): string => (error.length > 140 ? `${error.slice(0, 140)}…` : error);

const printRows = (name: string, rows: readonly Row[], baseline?: (row: Row) => number | undefined): void => {
  console.log(`### ${name}\n`);
  console.log(
    `| engine | threads | runs | init ms | p50 ms | p99 ms |${baseline ? ' p50 vs raw C (same threads) |' : ''}`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- |${baseline ? ' --- |' : ''}`);
  for (const row of rows) {
    if (row.error) {
      console.log(`| ${row.engine} | ${row.threads} | refused: ${why(row.error)} | | | |${baseline ? ' |' : ''}`);
      continue;
    }
    const limit = baseline?.(row);
    const ratio = limit && row.p50Ms ? ` ${(row.p50Ms / limit).toFixed(2)}x |` : baseline ? ' |' : '';
    console.log(
      `| ${row.engine} | ${row.threads} | ${row.runs ?? ''} | ${cell(row.initMs, 1)} | ${cell(row.p50Ms, 2)} | ${cell(row.p99Ms, 2)} |${ratio}`,
    );
  }
  const p50 = (engine: string, threads: number) =>
    rows.find((r) => r.engine.includes(engine) && r.threads === threads && r.p50Ms !== undefined)?.p50Ms;
  const [native, ort] = [p50('native', 1), p50('ort', 1)];
  if (native && ort) console.log(`\nort (1 thread) is ${(native / ort).toFixed(2)}x the speed of native (1 thread).`);
  console.log('');
};

console.log(
  `Machine: ${describeMachine()}; up to ${values.runs} runs (about 10 s per engine at most) after ${values.warmup} warm-up runs; inputs: the engines' seeded synthetic inputs.\n`,
);
if (values.only !== 'zoo') {
  const rawC = buildRawC();
  for (const [name, model] of Object.entries(MEDIAPIPE)) {
    const rows: Row[] = [];
    for (const threads of [1, 2]) {
      const limit = JSON.parse(
        execFileSync(rawC, [model, String(threads), values.runs!, values.warmup!], {
          stdio: ['ignore', 'pipe', 'ignore'],
        }).toString(),
      );
      rows.push({ engine: 'raw C API + XNNPACK (the limit)', threads, runs: Number(values.runs), ...limit });
      rows.push(measure('native', model, threads), measure('ort', model, threads));
    }
    rows.push(measure('wasm', model, 1), measure('tfjs-tflite', model, 1), measure('tfjs-tflite-node', model, 1));
    printRows(name, rows, (row) => rows.find((r) => r.engine.startsWith('raw C') && r.threads === row.threads)?.p50Ms);
  }
}
if (values.only !== 'mediapipe') {
  for (const [name, model] of Object.entries(otherModels())) {
    const rows: Row[] = [];
    for (const threads of [1, 2]) rows.push(measure('native', model, threads), measure('ort', model, threads));
    rows.push(measure('wasm', model, 1));
    printRows(name, rows);
  }
}
