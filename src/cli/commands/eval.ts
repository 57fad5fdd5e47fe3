import { ENGINES } from '../../engine/loadModel.js';
import type { EvalReport, EvalResult } from '../../eval/evaluateModels.js';
import { servedModelFile } from '../../eval/modelFiles.js';
import { type Command, choiceFlag, integerFlag, stringFlag, UsageError } from '../command.js';
import { json, table } from '../format.js';

const percent = (value: number | undefined): string => (value === undefined ? '' : `${(value * 100).toFixed(1)}%`);

/** The table's columns for the set's kind. */
const rows = (report: EvalReport): string[][] => {
  const metric = (r: EvalResult): string[] => {
    switch (report.kind) {
      case 'classification':
        return [percent(r.top1), percent(r.top5)];
      case 'detection':
        return [percent(r.precision), percent(r.recall), r.meanIoU?.toFixed(3) ?? ''];
      case 'tensors':
        return [(r.outputs ?? []).map((o) => `${o.name} ${o.cosine} / ${o.rmse}`).join(', ')];
    }
  };
  const header = {
    classification: ['top-1', 'top-5'],
    detection: ['precision', 'recall', 'mean IoU'],
    tensors: ['cosine / rmse per output'],
  }[report.kind];
  return [
    ['model', ...header, 'agreement', 'p50', 'engine', 'failed'],
    ...report.models.map((r, i) => [
      r.model,
      ...metric(r),
      i === 0 ? '(reference)' : report.kind === 'tensors' ? String(r.agreement) : percent(r.agreement),
      `${r.p50Ms} ms`,
      `${r.engine} (${r.delegate})`,
      String(r.failures.length),
    ]),
  ];
};

const evaluate: Command = {
  name: 'eval',
  summary: 'measure models on a labeled set, through the serving pipeline',
  help: `Usage: tfls eval <model.tflite> [<model.tflite>...] --data DIR [--manifest model.json] [--json]

Runs each model over a labeled set with the preprocessing and task
post-processing requests get (the model.json beside each file, or
--manifest), and prints accuracy, with each model's agreement with the
first (compare a compressed model with its original):
  DIR/<label>/*.jpg     classification: top-1 and top-5 accuracy
  DIR/boxes.json        detection: {"images": [{"file", "boxes": [{"x", "y", "width",
                        "height", "label"?}]}]}, original pixels; precision and recall
                        at IoU 0.5, and the mean IoU of the matches
  DIR/<n>.json + DIR/<n>.expected.json
                        anything else: KServe v2 requests and the responses they
                        should get; cosine and RMSE per output
Latency is the p50 per item through the whole pipeline.

Options:
  --data DIR         the labeled set
  --manifest FILE    the model.json for every model (default: the one beside each)
  --engine E         auto (default), native, wasm, or ort (translated to ONNX,
                 served if it answers like TFLite)
  --threads N        interpreter threads
  --json             print {data, kind, items, models: [{model, engine, delegate, items,
                     top1, top5 | precision, recall, meanIoU | outputs, agreement, p50Ms,
                     failures}]}
`,
  options: {
    data: { type: 'string' },
    manifest: { type: 'string' },
    engine: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('missing <model.tflite>');
    const data = stringFlag(args, 'data');
    if (data === undefined) throw new UsageError('missing --data DIR');
    const engine = choiceFlag(args, 'engine', ENGINES, 'auto');
    const threads = integerFlag(args, 'threads', undefined, 1, 64);
    const manifest = stringFlag(args, 'manifest');
    const models = [];
    for (const path of args.positionals) models.push(await servedModelFile(path, manifest));
    const { evaluateModels } = await import('../../eval/evaluateModels.js');
    const report = await evaluateModels(models, data, { engine, ...(threads !== undefined && { threads }) });
    if (args.values.json) {
      io.stdout.write(json(report));
      return 0;
    }
    io.stdout.write(`${report.items} ${report.kind} items from ${report.data}\n${table(rows(report))}`);
    for (const r of report.models)
      for (const f of r.failures.slice(0, 5)) io.stdout.write(`  ${r.model}: ${f.item}: ${f.error}\n`);
    return 0;
  },
};

export { evaluate };
