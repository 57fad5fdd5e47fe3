// What partial delegation buys and costs on TFLite 2.9: int8 models (made with
// `tfls compress --mode int8`) whose every k-th CONV_2D is pushed out of
// XNNPACK 2.9's requantization range (weight scales × 2^20), so that XNNPACK
// refuses those layers. For each, in fresh processes, interleaved over
// --rounds, medians of:
//   partial   XNNPACK with the refused layers on the built-in kernels (this engine)
//   built-in  every node on TFLite's built-in kernels (what a refused graph ran on
//             before partial delegation: TFLite 2.9 dropped the whole delegate)
//   told      a pool's later interpreter, given the first one's exclusions (no search)
//   before    with --before ADDON (a build of an earlier commit, e.g. 23a9f3d):
//             its load of the same file, for the load time it took then
//   npm run bench:partial [-- --rounds 5 --runs 100 --threads 1 --before /tmp/old/tflite_native.node]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compressModel } from '../src/compress/compressModel.js';
import { BuiltinOperator, TensorType } from '../src/tflite/generated/schema_generated.js';
import { builtinCode } from '../src/tflite/opcodes.js';
import { readModel } from '../src/tflite/readModel.js';
import { writeModel } from '../src/tflite/writeModel.js';
import { describeMachine } from './machine.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    before: { type: 'string' },
  },
});

const MODELS = {
  hand_landmark_full: require.resolve('@mediapipe/hands/hand_landmark_full.tflite'),
  pose_landmark_full: require.resolve('@mediapipe/pose/pose_landmark_full.tflite'),
};
/** Every k-th int8 CONV_2D pushed out of range; Infinity: none (the model as compress made it). */
const EVERY = [Number.POSITIVE_INFINITY, 20, 5, 1];

interface Measurement {
  initMs: number;
  delegate: string;
  nodes: number;
  delegatedNodes: number;
  refusedNodes: number[];
  attempts?: number;
  trials?: number;
  p50Ms: number;
}

/** The int8 model with every k-th CONV_2D's weight scales × 2^20 (its requantization scale past 256). */
const perturb = (int8: Uint8Array, every: number): { bytes: Uint8Array; convs: number; perturbed: number } => {
  const file = readModel(int8);
  const subgraph = file.model.subgraphs[0]!;
  let convs = 0;
  let perturbed = 0;
  for (const operator of subgraph.operators) {
    if (builtinCode(file.model.operatorCodes[operator.opcodeIndex]!) !== BuiltinOperator.CONV_2D) continue;
    const weights = subgraph.tensors[operator.inputs[1]!];
    if (weights?.type !== TensorType.INT8 || !weights.quantization) continue;
    const index = convs++;
    if (!Number.isFinite(every) || index % every !== 0) continue;
    weights.quantization.scale = weights.quantization.scale.map((scale) => scale * 2 ** 20);
    perturbed++;
  }
  return { bytes: writeModel(file), convs, perturbed };
};

const measure = (model: string, mode: string, addon?: string): Measurement => {
  const output = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'bench', 'measureNative.ts'),
      model,
      mode,
      values.threads!,
      values.runs!,
      values.warmup!,
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...(addon && { TFLITE_NATIVE_ADDON: addon }) },
    },
  );
  return JSON.parse(output.toString().trim().split('\n').pop()!) as Measurement;
};

const median = (numbers: readonly number[]): number => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const work = mkdtempSync(join(tmpdir(), 'tfls-bench-partial-'));
try {
  console.log(
    `Machine: ${describeMachine()}; ${values.threads} thread(s); ${values.rounds} rounds of fresh processes, interleaved; ` +
      `each: one load, ${values.warmup} warm-up runs, ${values.runs} timed runs; medians over the rounds.\n`,
  );
  console.log(
    '| model | CONV_2D refused | XNNPACK nodes | init ms: partial (trials) | told | built-in | before | p50 ms: partial | built-in | speed-up |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, path] of Object.entries(MODELS)) {
    const { bytes: int8 } = await compressModel(new Uint8Array(readFileSync(path)), {
      mode: 'int8',
      guard: false,
      calibration: join(root, 'assets', 'samples'),
      latencyRuns: 1,
    });
    for (const every of EVERY) {
      const { bytes, convs, perturbed } = perturb(int8, every);
      const model = join(work, `${name}-every-${every}.tflite`);
      writeFileSync(model, bytes);
      const rounds: Record<string, Measurement[]> = { partial: [], told: [], builtin: [], before: [] };
      for (let round = 0; round < Number(values.rounds); round++) {
        const partial = measure(model, 'xnnpack');
        rounds.partial!.push(partial);
        rounds.told!.push(
          measure(model, partial.refusedNodes.length ? `exclude=${partial.refusedNodes.join(',')}` : 'xnnpack'),
        );
        rounds.builtin!.push(measure(model, 'builtin'));
        if (values.before) rounds.before!.push(measure(model, 'xnnpack', values.before));
      }
      const at = (mode: string, field: 'initMs' | 'p50Ms'): number => median(rounds[mode]!.map((m) => m[field]));
      const first = rounds.partial![0]!;
      const before = values.before ? at('before', 'initMs').toFixed(1) : '-';
      console.log(
        `| ${name} | ${perturbed} of ${convs} | ${first.delegatedNodes} of ${first.nodes} | ` +
          `${at('partial', 'initMs').toFixed(1)} (${first.trials ?? '?'}) | ${at('told', 'initMs').toFixed(1)} | ` +
          `${at('builtin', 'initMs').toFixed(1)} | ${before} | ${at('partial', 'p50Ms').toFixed(2)} | ` +
          `${at('builtin', 'p50Ms').toFixed(2)} | ${(at('builtin', 'p50Ms') / at('partial', 'p50Ms')).toFixed(1)}x |`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
