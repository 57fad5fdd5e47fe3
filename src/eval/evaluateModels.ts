import { readFile } from 'node:fs/promises';
import { percentile, round } from '../bench/stats.js';
import { loadModel } from '../engine/loadModel.js';
import type { EngineChoice } from '../engine/types.js';
import { InputError, oneLine, toError } from '../errors.js';
import { resolveManifest } from '../manifest/resolveManifest.js';
import { parseInferRequest } from '../protocols/kserve.js';
import type { ServedModel } from '../repository/types.js';
import { predictImage } from '../serving/predictImage.js';
import { realValues } from '../tasks/outputs.js';
import { type Box, type LabeledData, readLabeledData } from './labeledData.js';
import { Agreement, matchDetections, ratio } from './metrics.js';

/** A model to evaluate: its bytes and the model.json it is served with (undefined: task defaults). */
interface EvalModel {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly manifest: unknown;
  /** Reads a file named in the model.json (a labels file). */
  readonly readFile: (name: string) => Promise<string>;
}

interface EvalResult {
  readonly model: string;
  readonly engine: string;
  readonly delegate: string;
  readonly items: number;
  /** classification: share of items whose label is the top class, or among the top 5. */
  readonly top1?: number;
  readonly top5?: number;
  /** detection at IoU 0.5. */
  readonly precision?: number;
  readonly recall?: number;
  readonly meanIoU?: number;
  /** tensors: each output against the expected answers. */
  readonly outputs?: readonly { readonly name: string; readonly cosine: number; readonly rmse: number }[];
  /**
   * Against the first model, for the others: classification, the share of
   * items with the same top class; detection, matched boxes over the larger
   * count; tensors, the worst output cosine between the two.
   */
  readonly agreement?: number;
  /** Per item, through the serving pipeline (decode, preprocess, infer, postprocess). */
  readonly p50Ms: number;
  /** Items the model could not answer, with why. */
  readonly failures: readonly { readonly item: string; readonly error: string }[];
}

interface EvalReport {
  readonly data: string;
  readonly kind: LabeledData['kind'];
  readonly items: number;
  readonly models: readonly EvalResult[];
}

type ItemAnswer = { top: string[] } | { boxes: (Box & { score: number })[] } | { tensors: Float64Array[] };

const served = (m: EvalModel, model: ServedModel['model'], manifest: ServedModel['manifest']): ServedModel => ({
  name: m.name,
  version: 1,
  model,
  inputs: model.inputs,
  outputs: model.outputs,
  manifest,
  manifestSource: m.manifest === undefined ? 'defaults' : 'model.json',
  bytes: m.bytes.length,
  loadMs: 0,
});

const readJson = async (path: string): Promise<unknown> => {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
};

/** The expected outputs of a KServe v2 response file, by name and position. */
const expectedOutputs = async (path: string): Promise<{ name?: string; data: number[] }[]> => {
  const body = (await readJson(path)) as { outputs?: { name?: string; data?: unknown }[] };
  if (!Array.isArray(body.outputs)) throw new InputError(`${path} needs {"outputs": [{"name", "data"}]}`);
  return body.outputs.map((o, i) => {
    const data = (o.data as unknown[] | undefined)?.flat(Number.POSITIVE_INFINITY);
    if (!Array.isArray(data) || !data.every((v) => typeof v === 'number'))
      throw new InputError(`${path} outputs[${i}].data must be numbers`);
    return { ...(o.name !== undefined && { name: o.name }), data: data as number[] };
  });
};

const TASK_FOR: Readonly<Record<LabeledData['kind'], string | undefined>> = {
  classification: 'classification',
  detection: 'face-detection',
  tensors: undefined,
};

/** One model over the labeled set. */
const evaluateOne = async (
  m: EvalModel,
  data: LabeledData,
  options: { engine?: EngineChoice; threads?: number },
): Promise<{ result: Omit<EvalResult, 'agreement'>; answers: (ItemAnswer | undefined)[] }> => {
  const model = await loadModel(m.bytes, {
    engine: options.engine ?? 'auto',
    ...(options.threads !== undefined && { threads: options.threads }),
  });
  try {
    const manifest = await resolveManifest(m.manifest, model, m.readFile);
    const task = TASK_FOR[data.kind];
    if (task && manifest.task !== task && !(data.kind === 'detection' && manifest.task === 'object-detection'))
      throw new InputError(
        `${m.name} is served as task ${manifest.task}; a ${data.kind} set needs a ${task} model (model.json "task")`,
      );
    const view = served(m, model, manifest);
    const times: number[] = [];
    const failures: { item: string; error: string }[] = [];
    const answers: (ItemAnswer | undefined)[] = [];
    let top1 = 0;
    let top5 = 0;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    const ious: number[] = [];
    const agreements = new Map<string, Agreement>();
    for (const item of data.items) {
      const label = 'request' in item ? item.request : item.file;
      try {
        const started = performance.now();
        if (data.kind === 'tensors') {
          const { request, expected } = item as { request: string; expected: string };
          const parsed = parseInferRequest(await readJson(request), model.inputs);
          const outputs = await model.runAsync(parsed.inputs);
          times.push(performance.now() - started);
          const want = await expectedOutputs(expected);
          const tensors = outputs.map((t, i) => realValues(t, model.outputs[i]?.quantization));
          want.forEach((w, i) => {
            const index = w.name === undefined ? i : model.outputs.findIndex((o) => o.name === w.name);
            const got = tensors[index >= 0 ? index : i];
            if (!got) return;
            const name = model.outputs[index >= 0 ? index : i]!.name;
            const agreement = agreements.get(name) ?? new Agreement();
            agreement.add(w.data, got);
            agreements.set(name, agreement);
          });
          answers.push({ tensors });
          continue;
        }
        const { prediction } = await predictImage(view, new Uint8Array(await readFile(label)));
        times.push(performance.now() - started);
        if (data.kind === 'classification') {
          const classes = (prediction as { classes: { label: string }[] }).classes.map((c) => c.label.toLowerCase());
          const want = (item as { label: string }).label.toLowerCase();
          if (classes[0] === want) top1++;
          if (classes.slice(0, 5).includes(want)) top5++;
          answers.push({ top: classes });
        } else {
          const boxes = (prediction as { detections: { score: number; box: Box; label?: string }[] }).detections.map(
            (d) => ({ ...d.box, score: d.score, ...(d.label !== undefined && { label: d.label }) }),
          );
          const matched = matchDetections(boxes, (item as { boxes: readonly Box[] }).boxes);
          tp += matched.truePositives;
          fp += matched.falsePositives;
          fn += matched.falseNegatives;
          for (const value of matched.ious) ious.push(value);
          answers.push({ boxes });
        }
      } catch (error) {
        failures.push({ item: label, error: oneLine(toError(error).message) });
        answers.push(undefined);
      }
    }
    const answered = data.items.length - failures.length;
    const sorted = times.sort((a, b) => a - b);
    const result: Omit<EvalResult, 'agreement'> = {
      model: m.name,
      engine: model.engine,
      delegate: model.delegate,
      items: data.items.length,
      ...(data.kind === 'classification' && {
        top1: round(ratio(top1, answered), 4),
        top5: round(ratio(top5, answered), 4),
      }),
      ...(data.kind === 'detection' && {
        precision: round(ratio(tp, tp + fp), 4),
        recall: round(ratio(tp, tp + fn), 4),
        meanIoU: round(ious.length === 0 ? 0 : ious.reduce((s, v) => s + v, 0) / ious.length, 4),
      }),
      ...(data.kind === 'tensors' && {
        outputs: [...agreements].map(([name, a]) => ({ name, cosine: round(a.cosine, 6), rmse: round(a.rmse, 6) })),
      }),
      p50Ms: round(percentile(sorted, 50), 3),
      failures,
    };
    return { result, answers };
  } finally {
    model.dispose();
  }
};

/** How far two models' answers on the same items agree (see EvalResult.agreement). */
const agreementOf = (
  first: readonly (ItemAnswer | undefined)[],
  other: readonly (ItemAnswer | undefined)[],
): number => {
  let agree = 0;
  let total = 0;
  let worstCosine = 1;
  first.forEach((a, i) => {
    const b = other[i];
    if (!a || !b) return;
    if ('top' in a && 'top' in b) {
      total++;
      if (a.top[0] === b.top[0]) agree++;
    } else if ('boxes' in a && 'boxes' in b) {
      const matched = matchDetections(b.boxes, a.boxes);
      agree += matched.truePositives;
      total += Math.max(a.boxes.length, b.boxes.length);
    } else if ('tensors' in a && 'tensors' in b) {
      a.tensors.forEach((t, j) => {
        const agreement = new Agreement();
        agreement.add(t, b.tensors[j] ?? new Float64Array());
        worstCosine = Math.min(worstCosine, agreement.cosine);
      });
    }
  });
  if (first.some((a) => a && 'tensors' in a)) return round(worstCosine, 6);
  return round(ratio(agree, total), 4);
};

/**
 * Runs each model over a labeled set through the serving pipeline (the
 * preprocessing and task post-processing requests get): accuracy,
 * detection precision and recall, or output agreement, with latency, and
 * how far each model agrees with the first.
 */
const evaluateModels = async (
  models: readonly EvalModel[],
  dir: string,
  options: { engine?: EngineChoice; threads?: number } = {},
): Promise<EvalReport> => {
  const data = await readLabeledData(dir);
  const results: EvalResult[] = [];
  let first: (ItemAnswer | undefined)[] | undefined;
  for (const m of models) {
    const { result, answers } = await evaluateOne(m, data, options);
    results.push(first ? { ...result, agreement: agreementOf(first, answers) } : result);
    first ??= answers;
  }
  return { data: dir, kind: data.kind, items: data.items.length, models: results };
};

export type { EvalModel, EvalReport, EvalResult };
export { evaluateModels };
