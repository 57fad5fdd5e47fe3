import { benchmarkModel } from '../bench/benchmarkModel.js';
import { loadModel } from '../engine/loadModel.js';
import type { Model } from '../engine/types.js';
import { ConfigError } from '../errors.js';
import type { ImageInputSpec } from '../manifest/types.js';
import { TensorType } from '../tflite/generated/schema_generated.js';
import { builtinCode, CUSTOM } from '../tflite/opcodes.js';
import { readModel, type TfliteFile } from '../tflite/readModel.js';
import { writeModel } from '../tflite/writeModel.js';
import { dynamicRange } from './dynamicRange.js';
import { expandFloat16 } from './expandFloat16.js';
import { measureFidelity } from './fidelity.js';
import { constantData, nameOf } from './graph.js';
import { searchMixedPrecision } from './mixedPrecision.js';
import { recommend } from './recommendation.js';
import { updateMinRuntimeVersion } from './runtimeVersion.js';
import { type SampleSet, sampleInputs } from './samples.js';
import { float32Bytes } from './sizes.js';
import { toFloat16 } from './toFloat16.js';
import type { CompressMode, CompressReport, TensorSkipped, TransformResult } from './types.js';

const MODES: readonly CompressMode[] = ['float32', 'float16', 'dynamic'];

interface CompressOptions {
  readonly mode: CompressMode;
  /** Directory (or list file) of photos to compare outputs on; default: the bundled samples. */
  readonly samples?: string;
  readonly sampleCount?: number;
  /** How images become the model's input (from model.json or TFLite metadata). */
  readonly imageSpec?: ImageInputSpec;
  /**
   * Dynamic mode: keep the layers whose quantization hurts most in float16
   * until every output reaches this cosine (mixed precision; costs one trial
   * model per quantized layer). Off when undefined.
   */
  readonly minCosine?: number;
  /** Timed runs per model for the latency figures. */
  readonly latencyRuns?: number;
  readonly onProgress?: (step: string, fraction: number) => void;
}

interface CompressResult {
  readonly bytes: Uint8Array;
  readonly report: CompressReport;
}

/** The cosine below which the recommendation calls an output drifted. */
const DEFAULT_MIN_COSINE = 0.995;

/** Constants left as they are: already quantized, or sparse. */
const untouched = (file: TfliteFile): TensorSkipped[] => {
  const skipped: TensorSkipped[] = [];
  file.model.subgraphs.forEach((subgraph) => {
    subgraph.tensors.forEach((tensor, index) => {
      if (!constantData(file.model, tensor)) return;
      if (tensor.sparsity) skipped.push({ name: nameOf(tensor, index), reason: 'sparse: left as it is' });
      else if ((tensor.quantization?.scale.length ?? 0) > 0 && tensor.type !== TensorType.FLOAT32) {
        skipped.push({
          name: nameOf(tensor, index),
          reason: `already quantized (${TensorType[tensor.type]?.toLowerCase()}): left as it is`,
        });
      }
    });
  });
  return skipped;
};

const customOps = (file: TfliteFile): string[] =>
  file.model.operatorCodes.filter((code) => builtinCode(code) === CUSTOM).map((code) => String(code.customCode));

const transform = (
  bytes: Uint8Array,
  mode: CompressMode,
  keep: ReadonlySet<string>,
): { file: TfliteFile; result: TransformResult } => {
  const file = readModel(bytes);
  let result: TransformResult;
  if (mode === 'float32') result = expandFloat16(file.model);
  else if (mode === 'float16') {
    expandFloat16(file.model);
    result = toFloat16(file.model);
  } else result = dynamicRange(file.model, keep);
  updateMinRuntimeVersion(file.model);
  return { file, result };
};

const p50 = async (bytes: Uint8Array, engine: Model['engine'], runs: number): Promise<number> =>
  (await benchmarkModel(bytes, { engine, threads: 1, runs, warmup: Math.min(10, runs) })).p50Ms;

/**
 * Compresses a .tflite model and proves what it did: per-tensor rounding
 * errors, per-output fidelity against the original on the same inputs, and
 * native latency before and after.
 */
const compressModel = async (input: Uint8Array, options: CompressOptions): Promise<CompressResult> => {
  if (!MODES.includes(options.mode))
    throw new ConfigError(`--mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(options.mode)}`);
  const progress = options.onProgress ?? (() => undefined);
  const original = readModel(input);
  progress('loading', 0);
  const reference = await loadModel(input, { threads: 1 });
  try {
    const samples: SampleSet = await sampleInputs(reference.inputs, {
      ...(options.samples !== undefined && { dir: options.samples }),
      ...(options.sampleCount !== undefined && { count: options.sampleCount }),
      ...(options.imageSpec !== undefined && { spec: options.imageSpec }),
    });
    progress('transforming', 0.05);
    let { file, result } = transform(input, options.mode, new Set());
    let output = writeModel(file);
    let compressed = await loadModel(output, { threads: 1 });
    progress('measuring fidelity', 0.1);
    let fidelity = await measureFidelity(reference, compressed, samples.inputs);
    let keep: string[] = [];
    if (
      options.mode === 'dynamic' &&
      options.minCosine !== undefined &&
      fidelity.some((o) => o.cosine < options.minCosine!)
    ) {
      const quantized = result.tensors.filter((t) => t.to.startsWith('int8')).map((t) => t.name);
      const search = await searchMixedPrecision(
        quantized,
        (kept) => writeModel(transform(input, 'dynamic', kept).file),
        reference,
        samples.inputs,
        options.minCosine,
        (fraction) => progress('searching mixed precision', 0.1 + 0.7 * fraction),
      );
      keep = search.keep;
      ({ file, result } = transform(input, 'dynamic', new Set(keep)));
      output = search.trial.bytes;
      fidelity = search.trial.fidelity;
      compressed.dispose();
      compressed = await loadModel(output, { threads: 1 });
    }
    progress('measuring latency', 0.9);
    const runs = options.latencyRuns ?? 30;
    const engine = reference.engine;
    const latency = {
      engine,
      delegate: compressed.delegate,
      beforeP50Ms: await p50(input, engine, runs),
      afterP50Ms: await p50(output, compressed.engine, runs),
    };
    compressed.dispose();
    const baseline = float32Bytes(original);
    const ratio = Number((baseline / output.length).toFixed(3));
    const skipped = [
      ...result.skipped,
      ...untouched(original).filter((s) => !result.skipped.some((r) => r.name === s.name)),
    ];
    const report: CompressReport = {
      mode: options.mode,
      inputBytes: input.length,
      outputBytes: output.length,
      float32Bytes: baseline,
      ratio,
      ratioToInput: Number((input.length / output.length).toFixed(3)),
      tensors: result.tensors,
      skipped,
      customOps: customOps(original),
      ...(keep.length > 0 && { keptFloat: keep }),
      fidelity: { samples: samples.inputs.length, source: samples.source, outputs: fidelity },
      latency,
      recommendation: recommend({
        mode: options.mode,
        ratio,
        outputBytes: output.length,
        outputs: fidelity,
        ...latency,
        keptFloat: keep,
        minCosine: options.minCosine ?? DEFAULT_MIN_COSINE,
      }),
    };
    progress('done', 1);
    return { bytes: output, report };
  } finally {
    reference.dispose();
  }
};

export type { CompressOptions, CompressResult };
export { compressModel };
