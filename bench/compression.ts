// The compression report's numbers per model and mode, as a table.
//   npm run bench:compression [-- --modes float16,dynamic,int8] [--min-cosine 0.995] [--auto-keep-float 1]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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
    modes: { type: 'string', default: 'float16,dynamic,int8' },
    runs: { type: 'string', default: '100' },
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
  },
  {
    name: 'hand_landmark_full',
    path: require.resolve('@mediapipe/hands/hand_landmark_full.tflite'),
    spec: LANDMARKS_INPUT,
    samples: people,
  },
  {
    name: 'pose_landmark_full',
    path: require.resolve('@mediapipe/pose/pose_landmark_full.tflite'),
    spec: LANDMARKS_INPUT,
    samples: people,
  },
];

console.log(
  `Machine: ${describeMachine()}; fidelity on photos (people photos for the landmark models); int8 calibrated on test/fixtures/images; latency: native, 1 thread, ${values.runs} runs\n`,
);
console.log(
  '| model | mode | bytes | ratio vs float32 | worst output cosine (output) | kept float | p50 before → after ms (ratio) | XNNPACK nodes |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const model of MODELS) {
  for (const mode of values.modes!.split(',') as CompressMode[]) {
    const minCosine = mode === 'dynamic' && values['min-cosine'] ? Number(values['min-cosine']) : undefined;
    const { report } = await compressModel(new Uint8Array(readFileSync(model.path)), {
      mode,
      imageSpec: model.spec,
      ...(model.samples && { samples: model.samples }),
      ...(minCosine !== undefined && { minCosine }),
      ...(mode === 'int8' && {
        calibration,
        ...(values['auto-keep-float'] && { autoKeepFloat: Number(values['auto-keep-float']) }),
      }),
      latencyRuns: Number(values.runs),
    });
    const { beforeP50Ms, afterP50Ms } = report.latency;
    const xnnpack = report.delegatedToXnnpack
      ? `${report.delegatedToXnnpack.delegated}/${report.delegatedToXnnpack.nodes}`
      : '';
    const worst = report.fidelity.outputs.reduce((a, o) => (o.cosine < a.cosine ? o : a));
    console.log(
      `| ${model.name} | ${mode}${minCosine ? ` (min cosine ${minCosine})` : ''} | ${report.outputBytes} | ${report.ratio} | ${worst.cosine} (${worst.name}) | ${report.keptFloat?.length ?? 0} | ${beforeP50Ms} → ${afterP50Ms} (${(afterP50Ms / beforeP50Ms).toFixed(2)}x) | ${xnnpack} |`,
    );
  }
}
