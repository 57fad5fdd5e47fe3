import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { compressModel } from '../../compress/compressModel.js';
import type { CalibrationMethod } from '../../compress/int8/calibrate.js';
import type { IoType } from '../../compress/int8/quantizeInt8.js';
import { modelPrecision } from '../../compress/precision.js';
import { compressReportHtml } from '../../compress/reportHtml.js';
import type { CompressMode } from '../../compress/types.js';
import { servedModelFile } from '../../eval/modelFiles.js';
import { readModel } from '../../tflite/readModel.js';
import { type Command, choiceFlag, integerFlag, numberFlag, positionals, stringFlag, UsageError } from '../command.js';
import { compressSummary } from '../compressSummary.js';
import { json } from '../format.js';
import { progressBar } from '../progress.js';

const MODES: readonly CompressMode[] = ['float32', 'float16', 'dynamic', 'int8'];
const IO_TYPES: readonly IoType[] = ['float32', 'int8', 'uint8'];
const METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile'];

const compress: Command = {
  name: 'compress',
  summary: 'shrink a model (float16, dynamic-range or full int8) and report what it cost',
  help: `Usage: tfls compress <in.tflite> -o <out.tflite> --mode float32|float16|dynamic|int8
                     [--samples DIR|N] [--min-cosine C | --no-guard] [--task-floor F] [--prune S] [--eval DIR]
                     [--report FILE.json|FILE.html] [--json]
       tfls compress <in.tflite> -o <out.tflite> --mode int8 --calibration DIR|LIST
                     [--samples N] [--io float32|int8|uint8] [--keep-float NAMES]
                     [--auto-keep-float T] [--calibration-method minmax|percentile]

Modes:
  float32   FP16 constants expanded to float32 (the float baseline)
  float16   float32 constants stored as float16, read through DEQUANTIZE; XNNPACK
            unpacks them at load, so the model runs at float speed at half the size
  dynamic   weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (>= 1,024
            elements) as int8 per output channel, read through DEQUANTIZE, the
            rest float16: about 3.5x smaller; XNNPACK unpacks the weights at load
            and computes in float
  int8      full integer: weights and activations int8, ranges calibrated on your
            inputs; XNNPACK runs it with its int8 kernels. Every layer's error
            against float is measured (TensorFlow's quantization debugger metrics)

A mode with nothing to rewrite (an already-quantized model, float16 on a
float16 model) says so, writes the input unchanged and exits 0.

The original and the result run on the same inputs (photos for image models,
from --samples or a bundled set; seeded random data otherwise); the report
gives each output's cosine similarity, max error and RMSE and, where the task
is known (model.json beside the file, else the metadata and tensors), what it
answers: top-1 agreement and top-5 overlap, boxes found again (IoU) and missed
or added, landmark moves in pixels and % of the input, mask pixels that keep
their class. Latency before and after is timed interleaved; a difference
inside the noise is reported as "no measurable change".

Options:
  -o, --output FILE         where to write the compressed model
  --mode M                  float32, float16, dynamic or int8
  --samples DIR|N           photos or KServe v2 .json requests (or a file listing
                            them) to compare outputs on; a number N limits how
                            many are used (int8: how many calibration inputs,
                            default 100)
  --min-cosine C            dynamic and int8: the fidelity guard's floor (default
                            0.99): the layers that hurt fidelity most stay in
                            float16 until every output's cosine reaches C; the
                            report says which and why
  --task-floor F            dynamic and int8, where the task is known: the guard's
                            floor in its terms, instead of the default: landmarks,
                            the largest move of a visible point as a share of the
                            input (default 1%); classification, the share of photos
                            keeping their top class (1); detection, the smallest IoU
                            of a box found again, none missed or added (0.8);
                            segmentation, the share of pixels keeping their class
                            (0.98). "2%" or 0.02
  --no-guard                dynamic and int8: the mode's raw result, no guard
  --prune S                 zero the share S (0..1) of CONV_2D and FULLY_CONNECTED
                            weights with the smallest magnitudes first, spread over
                            layers by measured sensitivity to keep the guard's floor
                            (uniform with --no-guard); alone, --mode is float16.
                            Zeros shrink the zip Lambda deploys, not the file or
                            the latency
  --calibration DIR|LIST    int8: photos (resized and normalized as model.json or
                            the model's metadata say) or KServe v2 .json requests
  --calibration-method M    int8: minmax (default) or percentile (99.99%, ignores
                            rare outliers)
  --io T                    int8: float32 (default: QUANTIZE and DEQUANTIZE at the
                            edges), int8 or uint8 inputs and outputs
  --keep-float NAMES        int8: comma list of tensor names, op output names or op
                            types (e.g. FULLY_CONNECTED) to keep in float
  --auto-keep-float T       int8: keep in float the layers whose rmse/scale exceeds
                            T (0.289 is rounding alone), then measure again
  --eval DIR                also measure the input and the output on a labeled set
                            (tfls eval's layouts: <label>/ photos, boxes.json, or
                            KServe requests with .expected.json answers), served
                            with the model.json beside the input
  --report FILE             also write the report there: FILE.html as a page with
                            charts (sizes by tensor type, per-layer error against the
                            keep-float threshold, fidelity, latency), viewable offline;
                            any other name as JSON. May be given twice
  --json                    print the report as JSON instead of a summary
`,
  options: {
    output: { type: 'string', short: 'o' },
    mode: { type: 'string' },
    samples: { type: 'string' },
    'min-cosine': { type: 'string' },
    'no-guard': { type: 'boolean' },
    'task-floor': { type: 'string' },
    prune: { type: 'string' },
    calibration: { type: 'string' },
    'calibration-method': { type: 'string' },
    io: { type: 'string' },
    'keep-float': { type: 'string' },
    'auto-keep-float': { type: 'string' },
    report: { type: 'string', multiple: true },
    eval: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const [path] = positionals(args, 'in.tflite');
    const output = stringFlag(args, 'output');
    if (output === undefined) throw new UsageError('missing -o <out.tflite>');
    const prune = numberFlag(args, 'prune', (p) => p > 0 && p < 1, 'a share of weights in (0, 1), e.g. 0.5');
    if (stringFlag(args, 'mode') === undefined && prune === undefined)
      throw new UsageError(`missing --mode (${MODES.join(', ')})`);
    // Pruning alone keeps weights in float16, the safe default.
    const mode = choiceFlag(args, 'mode', MODES, 'float16');
    const minCosine = numberFlag(args, 'min-cosine', (c) => c > 0 && c <= 1, 'in (0, 1]');
    const noGuard = args.values['no-guard'] === true;
    if (noGuard && minCosine !== undefined) throw new UsageError('--no-guard and --min-cosine contradict each other');
    if ((noGuard || minCosine !== undefined) && mode !== 'dynamic' && mode !== 'int8' && prune === undefined)
      throw new UsageError(
        `--${noGuard ? 'no-guard' : 'min-cosine'} applies to --mode dynamic and int8, which have the guard`,
      );
    const taskFloorText = stringFlag(args, 'task-floor');
    const taskFloor =
      taskFloorText === undefined
        ? undefined
        : taskFloorText.endsWith('%')
          ? Number(taskFloorText.slice(0, -1)) / 100
          : Number(taskFloorText);
    if (taskFloor !== undefined && !(taskFloor > 0 && taskFloor <= 1))
      throw new UsageError(`--task-floor must be a share in (0, 1] or a percentage, got ${taskFloorText}`);
    if (taskFloor !== undefined && (noGuard || (mode !== 'dynamic' && mode !== 'int8')))
      throw new UsageError('--task-floor sets the guard of --mode dynamic and int8');
    const autoKeepFloat = numberFlag(args, 'auto-keep-float', (t) => t > 0, 'a positive rmse/scale');
    const int8Only = ['calibration', 'calibration-method', 'io', 'keep-float', 'auto-keep-float'].filter(
      (flag) => stringFlag(args, flag) !== undefined,
    );
    if (mode !== 'int8' && int8Only.length > 0) throw new UsageError(`--${int8Only[0]} applies to --mode int8 only`);
    const samples = stringFlag(args, 'samples');
    const sampleCount = samples !== undefined && /^\d+$/.test(samples) ? integerFlag(args, 'samples', 8, 1) : undefined;
    const keepFloat = stringFlag(args, 'keep-float')
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    // The file and the model.json beside it, read once: --eval serves the models with it.
    const served = await servedModelFile(path!, undefined);
    const input = served.bytes;
    // An integer model has nothing for int8 to do, calibrated or not: compressModel says so.
    if (
      mode === 'int8' &&
      stringFlag(args, 'calibration') === undefined &&
      modelPrecision(readModel(input)).kind !== 'full-integer'
    )
      throw new UsageError('--mode int8 needs --calibration <dir or list of photos or KServe v2 .json requests>');
    const evalDir = stringFlag(args, 'eval');
    const progress = progressBar(io.stderr);
    let result: Awaited<ReturnType<typeof compressModel>>;
    try {
      result = await compressModel(input, {
        mode,
        ...(samples !== undefined && sampleCount === undefined && { samples }),
        ...(sampleCount !== undefined && { sampleCount }),
        manifest: served.manifest,
        readFile: served.readFile,
        ...(minCosine !== undefined && { minCosine }),
        ...(taskFloor !== undefined && { taskFloor }),
        ...(noGuard && { guard: false }),
        ...(prune !== undefined && { prune }),
        ...(evalDir !== undefined && {
          evaluation: { data: evalDir, manifest: served.manifest, readFile: served.readFile },
        }),
        ...(mode === 'int8' && {
          ...(stringFlag(args, 'calibration') !== undefined && { calibration: stringFlag(args, 'calibration')! }),
          calibrationMethod: choiceFlag(args, 'calibration-method', METHODS, 'minmax'),
          io: choiceFlag(args, 'io', IO_TYPES, 'float32'),
          ...(keepFloat && { keepFloat }),
          ...(autoKeepFloat !== undefined && { autoKeepFloat }),
        }),
        onProgress: (step, fraction) => progress.update(step, fraction),
      });
    } finally {
      progress.done();
    }
    await writeFile(output, result.bytes);
    for (const file of [args.values.report ?? []].flat() as string[]) {
      const text = /\.html?$/i.test(file)
        ? compressReportHtml(result.report, basename(path!))
        : `${JSON.stringify(result.report, null, 2)}\n`;
      await writeFile(file, text);
    }
    if (args.values.json) {
      io.stdout.write(json(result.report));
      return 0;
    }
    io.stdout.write(compressSummary(result.report));
    return 0;
  },
};

export { compress };
