// What each compression mode does to each fixture: size, the task's answers against the original's, the
// guard, and the latency verdict, as a table; then, for every guarded row that keeps layers in float16,
// where the bytes go (the layers that alone break the floor, and what keeping them costs).
//   npm run bench:compression [-- --modes float32,float16,dynamic,int8,dynamic-raw,int8-raw,prune50]
//                              [--models face,hand,pose,pose-lite,zoo] [--runs 50]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compressModel } from '../src/compress/compressModel.js';
import { formatBytes } from '../src/compress/sizes.js';
import { worstAnswer } from '../src/compress/taskFidelity.js';
import type { CompressMode, CompressReport } from '../src/compress/types.js';
import { describeMachine } from './machine.js';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    modes: { type: 'string', default: 'float32,float16,dynamic-raw,dynamic,int8' },
    models: { type: 'string', default: 'face,hand,pose,pose-lite,zoo' },
    runs: { type: 'string', default: '50' },
  },
});
const people = join(root, 'test/fixtures/people');
const calibration = join(root, 'test/fixtures/images');
const zoo = process.env.TFLS_MODEL_ZOO ?? join(root, '..', 'shared', 'fixtures', 'models');

interface Fixture {
  readonly name: string;
  readonly group: string;
  readonly path: string;
  /** The model.json it is served with (undefined: what its metadata and tensors say). */
  readonly manifest?: unknown;
  readonly samples?: string;
}

const mediapipe = (file: string) => require.resolve(`@mediapipe/${file}`);
const FIXTURES: readonly Fixture[] = [
  {
    name: 'face_detection_short_range',
    group: 'face',
    path: mediapipe('face_detection/face_detection_short_range.tflite'),
    manifest: { task: 'face-detection' },
  },
  {
    name: 'hand_landmark_full',
    group: 'hand',
    path: mediapipe('hands/hand_landmark_full.tflite'),
    manifest: { task: 'landmarks' },
    samples: people,
  },
  {
    name: 'pose_landmark_full',
    group: 'pose',
    path: mediapipe('pose/pose_landmark_full.tflite'),
    manifest: { task: 'landmarks', landmarks: { dims: 5 } },
    samples: people,
  },
  {
    name: 'pose_landmark_lite',
    group: 'pose-lite',
    path: mediapipe('pose/pose_landmark_lite.tflite'),
    manifest: { task: 'landmarks', landmarks: { dims: 5 } },
    samples: people,
  },
  ...[
    'mobilenet_v1_0.25_224_1_metadata_1',
    'mobilenet_v1_0.25_224_quant',
    'mobilenet_v1_0.5_160_quant',
    'automl_labeler_model',
    'coco_ssd_mobilenet_v1_1.0_quant_2018_06_29',
    'deeplabv3',
    'deeplabv3_mnv2_dm05_pascal_quant',
  ].map((name) => ({ name, group: 'zoo', path: join(zoo, `${name}.tflite`) })),
];

interface Variant {
  readonly mode: CompressMode;
  readonly guard?: boolean;
  readonly prune?: number;
}

// dynamic-raw and int8-raw: the mode without the guard, to show what it had to do.
const VARIANTS: Readonly<Record<string, Variant>> = {
  float32: { mode: 'float32' },
  float16: { mode: 'float16' },
  dynamic: { mode: 'dynamic' },
  int8: { mode: 'int8' },
  'dynamic-raw': { mode: 'dynamic', guard: false },
  'int8-raw': { mode: 'int8', guard: false },
  prune50: { mode: 'float16', prune: 0.5 },
};

const groups = new Set(values.models!.split(','));
const modes = values.modes!.split(',');
for (const key of modes)
  if (!VARIANTS[key]) throw new Error(`unknown mode ${key}: ${Object.keys(VARIANTS).join(', ')}`);

/** The answers against the floor. */
const held = (report: CompressReport): string =>
  report.unchanged ? 'unchanged' : report.fidelity.floor?.met ? 'holds' : 'misses';

/** A layer's name, short: its last two path segments ("conv2d_10/Conv2D"). */
const short = (name: string): string =>
  name
    .split(';')[0]!
    .split('/')
    .slice(-2)
    .join('/')
    .replace(/_dequantize$/, '');

const evidence: string[] = [];
console.log(
  `Machine: ${describeMachine()}. Fidelity on test/fixtures/people for the landmark models, on assets/samples (the bundled photos) for the others; int8 calibrated on test/fixtures/images; latency before and after interleaved, 1 thread, ${values.runs} runs each. The floor: the guard's (dynamic and int8) in the task's terms where the task is known (landmarks within 1% of the input, the same top class, every box found again at IoU 0.8, 98% of mask pixels), else cosine 0.99; float16 and float32 are measured against cosine 0.995 and the same task floor.\n`,
);
console.log(
  '| model | task | mode | bytes | ratio vs float32 | task answers (worst) | floor | worst output cosine | kept float16 | latency |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const fixture of FIXTURES.filter((f) => groups.has(f.group))) {
  for (const key of modes) {
    const variant = VARIANTS[key]!;
    const { report } = await compressModel(new Uint8Array(readFileSync(fixture.path)), {
      mode: variant.mode,
      ...(fixture.manifest !== undefined && { manifest: fixture.manifest }),
      ...(fixture.samples && { samples: fixture.samples }),
      ...(variant.guard === false && { guard: false }),
      ...(variant.prune !== undefined && { prune: variant.prune }),
      ...(variant.mode === 'int8' && { calibration }),
      latencyRuns: Number(values.runs),
    });
    const worst = report.fidelity.outputs.reduce((a, o) => (o.cosine < a.cosine ? o : a));
    const task = report.fidelity.task ? worstAnswer(report.fidelity.task) : '';
    const kept = report.guard?.kept.length ?? 0;
    const latency = report.unchanged
      ? 'unchanged file'
      : report.latency.verdict === 'no measurable change'
        ? `no measurable change (${report.latency.ratioRange?.join('–')}x)`
        : `${report.latency.ratio}x ${report.latency.verdict}${report.latency.afterEngine ? ` (${report.latency.afterEngine})` : ''}`;
    console.log(
      `| ${fixture.name} | ${report.fidelity.taskName ?? 'raw'} | ${key} | ${report.outputBytes.toLocaleString('en-US')} | ${report.ratio} | ${task} | ${held(report)} | ${report.unchanged ? '' : `${worst.cosine} (${worst.name})`} | ${kept}${report.guard?.keptBytes ? ` (+${formatBytes(report.guard.keptBytes)})` : ''} | ${latency} |`,
    );
    const damage = report.guard?.damage;
    if (damage && kept > 0) {
      const breaking = damage.filter((d) => d.severity > 1);
      const cost = breaking.reduce((n, d) => n + Math.max(0, d.extraBytes), 0);
      const floorBytes = (report.guard?.rawBytes ?? report.outputBytes) + cost;
      evidence.push(
        `- ${fixture.name}, ${key} (${report.ratio}x, ${kept} layers kept, +${formatBytes(report.guard?.keptBytes ?? 0)}): ${breaking.length} of ${damage.length} layers alone break the floor (${report.guard?.task?.statement ?? `cosine ${report.guard?.floor}`}); keeping just those in float16 costs ${formatBytes(cost)}: ${(report.float32Bytes / floorBytes).toFixed(2)}x at best, unless their errors happen to cancel. The worst: ${breaking
          .slice(0, 6)
          .map((d) => `${short(d.name)} ${d.severity}x the floor, ${formatBytes(d.extraBytes)}`)
          .join('; ')}.`,
      );
    }
  }
}
if (evidence.length > 0) console.log(`\nWhere the bytes go when the guard keeps layers:\n${evidence.join('\n')}`);
