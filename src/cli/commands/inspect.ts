import { inspectModel } from '../../compress/inspectModel.js';
import { formatBytes } from '../../compress/sizes.js';
import { servedModelFile } from '../../eval/modelFiles.js';
import type { ImageInputSpec } from '../../manifest/types.js';
import { type Command, positionals } from '../command.js';
import { json, table } from '../format.js';

/** How pixels become input values, in words. */
const scaling = ({ input, sources }: { input: Omit<ImageInputSpec, 'tensor'>; sources: { input: string } }): string =>
  sources.input === 'tensor'
    ? 'the pixel bytes as they are (a uint8 input: tensor)'
    : `${input.mean ? `mean ${input.mean} std ${input.std}` : `range [${input.range.join(', ')}]`} (${sources.input})`;

const inspect: Command = {
  name: 'inspect',
  summary: 'show what a model holds and which engines load it',
  help: `Usage: tfls inspect <model.tflite> [--json]

Prints the model's inputs and outputs (name, dtype, shape, quantization),
operator counts, custom ops, constant bytes by type, its size against a
float32 equivalent, TFLite metadata (name, normalization, labels) and
whether the native and WASM engines can load it (and why not).

Options:
  --json   print {file, bytes, float32Bytes, schemaVersion, description, inputs, outputs,
           operators, customOps, tensorBytesByType, metadata, serving, engines}

"serving" is what the model repository would do with the file: the
model.json beside it, key by key, over the TFLite Metadata, over the task
defaults, and where each setting came from.
`,
  options: { json: { type: 'boolean' } },
  async run(args, io) {
    const [path] = positionals(args, 'model.tflite');
    const served = await servedModelFile(path!, undefined);
    const report = await inspectModel(
      served.bytes,
      path,
      { manifest: served.manifest, readFile: served.readFile },
      { ort: true },
    );
    if (args.values.json) {
      io.stdout.write(json(report));
      return 0;
    }
    const tensor = (t: (typeof report.inputs)[number]) =>
      `${t.name}  ${t.dtype}[${t.shape.join(',')}]${t.quantization ? `  scale ${t.quantization.scale.length > 1 ? `(${t.quantization.scale.length} channels)` : t.quantization.scale[0]} zero point ${t.quantization.zeroPoint[0]}` : ''}`;
    const rows: string[][] = [
      ['file', report.file],
      ['size', `${formatBytes(report.bytes)} (float32 equivalent ${formatBytes(report.float32Bytes)})`],
      [
        'schema',
        `v${report.schemaVersion}${report.minRuntimeVersion ? `, needs TFLite ${report.minRuntimeVersion}` : ''}`,
      ],
      ...report.inputs.map((t, i) => [i === 0 ? 'inputs' : '', tensor(t)]),
      ...report.outputs.map((t, i) => [i === 0 ? 'outputs' : '', tensor(t)]),
      [
        'operators',
        Object.entries(report.operators)
          .sort((a, b) => b[1] - a[1])
          .map(([name, count]) => `${name} ${count}`)
          .join(', '),
      ],
      ['custom ops', report.customOps.join(', ') || 'none'],
      [
        'constants',
        Object.entries(report.tensorBytesByType)
          .map(([type, bytes]) => `${type} ${formatBytes(bytes)}`)
          .join(', '),
      ],
      [
        'metadata',
        report.metadata
          ? `${report.metadata.name ?? '(unnamed)'}${report.metadata.normalization ? `, normalization mean ${report.metadata.normalization.mean} std ${report.metadata.normalization.std}` : ''}${report.metadata.labels ? `, ${report.metadata.labels.length} labels` : ''}`
          : 'none',
      ],
      [
        'serving',
        'error' in report.serving
          ? `cannot serve: ${report.serving.error}`
          : `task ${report.serving.task} (${report.serving.sources.task}); ${report.serving.labels} labels (${report.serving.sources.labels}); input ${report.serving.input.resize}, ${scaling(report.serving)}`,
      ],
      [
        'native',
        report.engines.native.ok
          ? `loads, XNNPACK runs ${report.engines.native.delegatedNodes} of ${report.engines.native.totalNodes} nodes${report.engines.native.delegateReason ? ` (${report.engines.native.delegateReason})` : ''}`
          : `fails: ${report.engines.native.reason}`,
      ],
      ['wasm', report.engines.wasm.ok ? 'loads' : `fails: ${report.engines.wasm.reason}`],
      ['ort', report.engines.ort?.ok ? `loads: ${report.engines.ort.reason}` : `fails: ${report.engines.ort?.reason}`],
      ['auto', 'error' in report.auto ? `no engine: ${report.auto.error}` : report.auto.reason],
    ];
    io.stdout.write(table(rows));
    return 0;
  },
};

export { inspect };
