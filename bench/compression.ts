// The compression report's numbers per model and mode, as a table.
//   npm run bench:compression [-- --modes float16,dynamic,dynamic-raw,int8,int8-raw,prune50] [--min-cosine 0.995] [--auto-keep-float 1]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { compressModel } from '../src/compress/compressModel.js';
import type { CompressMode } from '../src/compress/types.js';
import { imageInputSpec } from '../src/manifest/resolveManifest.js';
import { describeMachine } from './machine.js';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'min-cosine': { type: 'string' },
    'auto-keep-float': { type: 'string' },
    modes: { type: 'string', default: 'float16,dynamic,dynamic-raw,int8,int8-raw,prune50' },
    runs: { type: 'string', default: '50' },
  },
});
// How each model's photos are prepared: the defaults model.json gives its task.
const FACE_INPUT = imageInputSpec({ task: 'face-detection' });
const LANDMARKS_INPUT = imageInputSpec({ task: 'landmarks' });
const people = join(root, 'test/fixtures/people');
const calibration = join(root, 'test/fixtures/images');

const MODELS = [
  {
    name: 'face_detection_short_range',
    path: require.resolve('@mediapipe/face_detection/face_detection_short_range.tflite'),
    spec: FACE_INPUT,
    samples: undefined,
    eval: join(root, 'test/fixtures/eval/faces'),
  },
  {
    name: 'hand_landmark_full',
    path: require.resolve('@mediapipe/hands/hand_landmark_full.tflite'),
    spec: LANDMARKS_INPUT,
    samples: people,
    eval: undefined,
  },
  {
    name: 'pose_landmark_full',
    path: require.resolve('@mediapipe/pose/pose_landmark_full.tflite'),
    spec: LANDMARKS_INPUT,
    samples: people,
    eval: undefined,
  },
];

interface Variant {
  readonly label: string;
  readonly mode: CompressMode;
  readonly guard?: boolean;
  readonly prune?: number;
}

// Each mode as it runs by default (dynamic and int8 with the fidelity guard), raw, and pruned.
const VARIANTS: Readonly<Record<string, Variant>> = {
  float16: { label: 'float16', mode: 'float16' },
  dynamic: { label: 'dynamic (guard 0.99)', mode: 'dynamic' },
  'dynamic-raw': { label: 'dynamic, --no-guard', mode: 'dynamic', guard: false },
  int8: { label: 'int8 (guard 0.99)', mode: 'int8' },
  'int8-raw': { label: 'int8, --no-guard', mode: 'int8', guard: false },
  prune50: { label: 'float16, --prune 0.5', mode: 'float16', prune: 0.5 },
};

console.log(
  `Machine: ${describeMachine()}; fidelity on photos (people photos for the landmark models); int8 calibrated on test/fixtures/images; latency: native, 1 thread, ${values.runs} runs; face detection also measured on test/fixtures/eval/faces (hand-measured boxes): precision / recall at IoU 0.5, and agreement with the float model\n`,
);
console.log(
  '| model | variant | bytes | ratio vs float32 | zip bytes | worst output cosine (output) | kept float | faces P / R (agreement) | p50 before → after ms (ratio) | XNNPACK nodes |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const model of MODELS) {
  for (const key of values.modes!.split(',')) {
    const variant = VARIANTS[key];
    if (!variant) throw new Error(`unknown variant ${key}: ${Object.keys(VARIANTS).join(', ')}`);
    const minCosine = values['min-cosine'] ? Number(values['min-cosine']) : undefined;
    const input = new Uint8Array(readFileSync(model.path));
    const { report, bytes } = await compressModel(input, {
      mode: variant.mode,
      imageSpec: model.spec,
      ...(model.samples && { samples: model.samples }),
      ...(minCosine !== undefined && variant.guard !== false && { minCosine }),
      ...(variant.guard === false && { guard: false }),
      ...(variant.prune !== undefined && { prune: variant.prune }),
      ...(variant.mode === 'int8' && {
        calibration,
        ...(values['auto-keep-float'] && { autoKeepFloat: Number(values['auto-keep-float']) }),
      }),
      ...(model.eval && {
        evaluation: {
          data: model.eval,
          manifest: { task: 'face-detection' },
          readFile: () => Promise.reject(new Error('no files')),
        },
      }),
      latencyRuns: Number(values.runs),
    });
    const { beforeP50Ms, afterP50Ms } = report.latency;
    const xnnpack = report.delegatedToXnnpack
      ? `${report.delegatedToXnnpack.delegated}/${report.delegatedToXnnpack.nodes}`
      : '';
    const worst = report.fidelity.outputs.reduce((a, o) => (o.cosine < a.cosine ? o : a));
    const after = report.eval?.after;
    const faces = after ? `${after.precision} / ${after.recall} (${after.agreement})` : '';
    console.log(
      `| ${model.name} | ${variant.label} | ${report.outputBytes} | ${report.ratio} | ${deflateRawSync(bytes, { level: 9 }).length} | ${worst.cosine} (${worst.name}) | ${report.keptFloat?.length ?? 0} | ${faces} | ${beforeP50Ms} → ${afterP50Ms} (${(afterP50Ms / beforeP50Ms).toFixed(2)}x) | ${xnnpack} |`,
    );
  }
}
