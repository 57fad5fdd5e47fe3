import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { compressModel } from '../../compress/compressModel.js';
import { imageSpecFor } from '../../compress/imageSpec.js';
import type { CalibrationMethod } from '../../compress/int8/calibrate.js';
import type { IoType } from '../../compress/int8/quantizeInt8.js';
import { compressReportHtml } from '../../compress/reportHtml.js';
import type { CompressMode, CompressReport } from '../../compress/types.js';
import { servedModelFile } from '../../eval/modelFiles.js';
import { readModel } from '../../tflite/readModel.js';
import { type Command, choiceFlag, integerFlag, numberFlag, positionals, stringFlag, UsageError } from '../command.js';
import { json, table } from '../format.js';
import { progressBar } from '../progress.js';

const MODES: readonly CompressMode[] = ['float32', 'float16', 'dynamic', 'int8'];
const IO_TYPES: readonly IoType[] = ['float32', 'int8', 'uint8'];
const METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile'];

/** The --eval lines of the summary: the labeled set's measure before and after. */
const evalRows = (r: CompressReport): string[][] => {
  if (!r.eval) return [];
  const { before, after, kind, items } = r.eval;
  const pct = (v: number | undefined) => `${((v ?? 0) * 100).toFixed(1)}%`;
  const measure = (e: typeof before) =>
    kind === 'classification'
      ? `top-1 ${pct(e.top1)}, top-5 ${pct(e.top5)}`
      : kind === 'detection'
        ? `precision ${pct(e.precision)}, recall ${pct(e.recall)}, mean IoU ${e.meanIoU}`
        : (e.outputs ?? []).map((o) => `${o.name} cosine ${o.cosine}`).join(', ');
  return [
    ['eval', `${items} ${kind} items: ${measure(before)} → ${measure(after)}`],
    ['', `agreement with the input: ${kind === 'tensors' ? after.agreement : pct(after.agreement)}`],
  ];
};

/** The int8 lines of the summary: calibration, delegation, the worst layers, what stayed float. */
const int8Rows = (r: CompressReport): string[][] => {
  if (!r.calibration) return [];
  const rows = [
    ['calibration', `${r.calibration.samples} inputs, ${r.calibration.method} (${r.calibration.source})`],
    [
      'xnnpack',
      r.delegatedToXnnpack
        ? `${r.delegatedToXnnpack.delegated} of ${r.delegatedToXnnpack.nodes} nodes delegated`
        : 'native engine unavailable',
    ],
    ...(r.layers ?? [])
      .slice(0, 3)
      .map((l, i) => [i === 0 ? 'worst layers' : '', `${l.name} (${l.op}): rmse/scale ${l.rmseOverScale}`]),
  ];
  if (r.floatOps && r.floatOps.length > 0)
    rows.push(['float ops', r.floatOps.map((o) => `${o.output} (${o.op}: ${o.reason})`).join('; ')]);
  if (r.autoKeepFloat) {
    const a = r.autoKeepFloat;
    rows.push([
      'auto keep',
      `${a.kept.length} layer(s) over ${a.threshold} kept float: worst rmse/scale ${a.before.worstLayer?.rmseOverScale} → ${a.after.worstLayer?.rmseOverScale}, size +${a.sizeCostPercent}%`,
    ]);
  }
  return rows;
};

const compress: Command = {
  name: 'compress',
  summary: 'shrink a model (float16, dynamic-range or full int8) and report what it cost',
  help: `Usage: tfls compress <in.tflite> -o <out.tflite> --mode float32|float16|dynamic|int8
                     [--samples DIR|N] [--min-cosine C | --no-guard] [--prune S] [--eval DIR]
                     [--report FILE.json|FILE.html] [--json]
       tfls compress <in.tflite> -o <out.tflite> --mode int8 --calibration DIR|LIST
                     [--samples N] [--io float32|int8|uint8] [--keep-float NAMES]
                     [--auto-keep-float T] [--calibration-method minmax|percentile]

Modes:
  float32   FP16 constants expanded to float32 (the float baseline)
  float16   float32 constants stored as float16, read through DEQUANTIZE; XNNPACK
            unpacks them at load, so the model runs at float speed at half the size
  dynamic   weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (>= 1,024
            elements) as symmetric int8 for TFLite's hybrid kernels: about 4x
            smaller, but XNNPACK has no hybrid kernels, so it may run slower
  int8      full integer: weights and activations int8, ranges calibrated on your
            inputs; XNNPACK runs it with its int8 kernels. Every layer's error
            against float is measured (TensorFlow's quantization debugger metrics)

The original and the result run on the same inputs (photos for image models,
from --samples or a bundled set; seeded random data otherwise); the report
gives each output's cosine similarity, max error and RMSE, each rewritten
tensor's rounding error, and native latency before and after.

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
    const autoKeepFloat = numberFlag(args, 'auto-keep-float', (t) => t > 0, 'a positive rmse/scale');
    const int8Only = ['calibration', 'calibration-method', 'io', 'keep-float', 'auto-keep-float'].filter(
      (flag) => stringFlag(args, flag) !== undefined,
    );
    if (mode !== 'int8' && int8Only.length > 0) throw new UsageError(`--${int8Only[0]} applies to --mode int8 only`);
    if (mode === 'int8' && stringFlag(args, 'calibration') === undefined)
      throw new UsageError('--mode int8 needs --calibration <dir or list of photos or KServe v2 .json requests>');
    const samples = stringFlag(args, 'samples');
    const sampleCount = samples !== undefined && /^\d+$/.test(samples) ? integerFlag(args, 'samples', 8, 1) : undefined;
    const keepFloat = stringFlag(args, 'keep-float')
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    // The file and the model.json beside it, read once: --eval serves the models with it.
    const served = await servedModelFile(path!, undefined);
    const input = served.bytes;
    const evalDir = stringFlag(args, 'eval');
    const imageSpec = await imageSpecFor(path, readModel(input));
    const progress = progressBar(io.stderr);
    let result: Awaited<ReturnType<typeof compressModel>>;
    try {
      result = await compressModel(input, {
        mode,
        ...(samples !== undefined && sampleCount === undefined && { samples }),
        ...(sampleCount !== undefined && { sampleCount }),
        ...(imageSpec && { imageSpec }),
        ...(minCosine !== undefined && { minCosine }),
        ...(noGuard && { guard: false }),
        ...(prune !== undefined && { prune }),
        ...(evalDir !== undefined && {
          evaluation: { data: evalDir, manifest: served.manifest, readFile: served.readFile },
        }),
        ...(mode === 'int8' && {
          calibration: stringFlag(args, 'calibration')!,
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
    const r = result.report;
    io.stdout.write(
      table([
        ['mode', r.mode],
        [
          'size',
          `${r.inputBytes} → ${r.outputBytes} bytes (${r.ratio}x smaller than float32, ${r.ratioToInput}x than the input)`,
        ],
        [
          'tensors',
          `${r.tensors.length} rewritten, ${r.skipped.length} left as they were${r.keptFloat ? `, ${r.keptFloat.length} kept in float16` : ''}`,
        ],
        ...int8Rows(r),
        ...(r.guard
          ? [
              [
                'guard',
                r.guard.kept.length === 0
                  ? `floor cosine ${r.guard.floor} held (worst ${r.guard.worstBefore}), nothing kept`
                  : `${r.guard.kept.length} layer(s) kept in float16 for floor cosine ${r.guard.floor}: worst ${r.guard.worstBefore} → ${r.guard.worstAfter}${r.guard.met ? '' : ' (not reached)'}`,
              ],
            ]
          : []),
        ...r.fidelity.outputs.map((o, i) => [
          i === 0 ? 'fidelity' : '',
          `${o.name}: cosine ${o.cosine}, max error ${o.maxAbsError}, rmse ${o.rmse}`,
        ]),
        ['', `(${r.fidelity.source})`],
        ...evalRows(r),
        ...(r.pruning
          ? [
              [
                'pruning',
                `${(r.pruning.achieved * 100).toFixed(1)}% of ${r.pruning.layers.length} layers' weights zero (${(r.pruning.requested * 100).toFixed(0)}% asked); zip ${r.pruning.zippedBytes?.input} → ${r.pruning.zippedBytes?.output} bytes`,
              ],
              ['', r.pruning.note],
            ]
          : []),
        [
          'latency',
          `${r.latency.engine} (${r.latency.delegate}): p50 ${r.latency.beforeP50Ms} → ${r.latency.afterP50Ms} ms`,
        ],
        ['', r.recommendation],
      ]),
    );
    return 0;
  },
};

export { compress };
