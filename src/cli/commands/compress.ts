import { writeFile } from 'node:fs/promises';
import { compressModel } from '../../compress/compressModel.js';
import { imageSpecFor } from '../../compress/imageSpec.js';
import type { CompressMode } from '../../compress/types.js';
import { readModel } from '../../tflite/readModel.js';
import { type Command, choiceFlag, positionals, stringFlag, UsageError } from '../command.js';
import { json, table } from '../format.js';
import { progressBar } from '../progress.js';
import { readModelFile } from './inspect.js';

const MODES: readonly CompressMode[] = ['float32', 'float16', 'dynamic'];

const compress: Command = {
  name: 'compress',
  summary: 'shrink a model (float16, dynamic-range int8) and report what it cost',
  help: `Usage: tfls compress <in.tflite> -o <out.tflite> --mode float32|float16|dynamic
                     [--samples DIR] [--min-cosine C] [--report FILE.json] [--json]

Modes:
  float32   FP16 constants expanded to float32 (the float baseline)
  float16   float32 constants stored as float16, read through DEQUANTIZE; XNNPACK
            unpacks them at load, so the model runs at float speed at half the size
  dynamic   weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (>= 1,024
            elements) as symmetric int8 for TFLite's hybrid kernels: about 4x
            smaller, but XNNPACK has no hybrid kernels, so it may run slower

The original and the result run on the same inputs (photos for image models,
from --samples or a bundled set; seeded random data otherwise); the report
gives each output's cosine similarity, max error and RMSE, each rewritten
tensor's rounding error, and native latency before and after.

Options:
  -o, --output FILE   where to write the compressed model
  --mode M            float32, float16 or dynamic
  --samples DIR       photos (or a file listing them) to compare outputs on
  --min-cosine C      dynamic: keep the layers that hurt fidelity most in float16
                      until every output's cosine reaches C (tries one model per layer)
  --report FILE       also write the report there
  --json              print the report as JSON instead of a summary
`,
  options: {
    output: { type: 'string', short: 'o' },
    mode: { type: 'string' },
    samples: { type: 'string' },
    'min-cosine': { type: 'string' },
    report: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const [path] = positionals(args, 'in.tflite');
    const output = stringFlag(args, 'output');
    if (output === undefined) throw new UsageError('missing -o <out.tflite>');
    if (stringFlag(args, 'mode') === undefined) throw new UsageError(`missing --mode (${MODES.join(', ')})`);
    const mode = choiceFlag(args, 'mode', MODES, 'float16');
    const minCosineText = stringFlag(args, 'min-cosine');
    const minCosine = minCosineText === undefined ? undefined : Number(minCosineText);
    if (minCosine !== undefined && !(minCosine > 0 && minCosine <= 1))
      throw new UsageError(`--min-cosine must be in (0, 1], got ${minCosineText}`);
    const input = await readModelFile(path!);
    const imageSpec = await imageSpecFor(path, readModel(input));
    const progress = progressBar(io.stderr);
    let result: Awaited<ReturnType<typeof compressModel>>;
    try {
      result = await compressModel(input, {
        mode,
        ...(stringFlag(args, 'samples') !== undefined && { samples: stringFlag(args, 'samples')! }),
        ...(imageSpec && { imageSpec }),
        ...(minCosine !== undefined && { minCosine }),
        onProgress: (step, fraction) => progress.update(step, fraction),
      });
    } finally {
      progress.done();
    }
    await writeFile(output, result.bytes);
    const report = stringFlag(args, 'report');
    if (report !== undefined) await writeFile(report, `${JSON.stringify(result.report, null, 2)}\n`);
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
        ...r.fidelity.outputs.map((o, i) => [
          i === 0 ? 'fidelity' : '',
          `${o.name}: cosine ${o.cosine}, max error ${o.maxAbsError}, rmse ${o.rmse}`,
        ]),
        ['', `(${r.fidelity.source})`],
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
