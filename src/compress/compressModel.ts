import { deflateRawSync } from 'node:zlib';
import { benchmarkModel } from '../bench/benchmarkModel.js';
import { loadModel } from '../engine/loadModel.js';
import type { Model } from '../engine/types.js';
import { ConfigError } from '../errors.js';
import { evaluateModels } from '../eval/evaluateModels.js';
import type { ImageInputSpec } from '../manifest/types.js';
import { TensorType } from '../tflite/generated/schema_generated.js';
import { builtinCode, CUSTOM } from '../tflite/opcodes.js';
import { readModel, type TfliteFile } from '../tflite/readModel.js';
import { writeModel } from '../tflite/writeModel.js';
import { dynamicRange, newQuantizeCache, type QuantizeCache } from './dynamicRange.js';
import { expandFloat16 } from './expandFloat16.js';
import { measureFileFidelity } from './fidelity.js';
import { constantData, nameOf } from './graph.js';
import type { CalibrationMethod } from './int8/calibrate.js';
import { compressInt8 } from './int8/compressInt8.js';
import type { IoType } from './int8/quantizeInt8.js';
import { guardReport, searchMixedPrecision, worst } from './mixedPrecision.js';
import { type PruningReport, pruneModel } from './prune.js';
import { recommend } from './recommendation.js';
import { updateMinRuntimeVersion } from './runtimeVersion.js';
import { type SampleSet, sampleInputs } from './samples.js';
import { float32Bytes, formatBytes, tensorBytesByType } from './sizes.js';
import { toFloat16 } from './toFloat16.js';
import type { CompressMode, CompressReport, OutputFidelity, TensorSkipped, TransformResult } from './types.js';

const MODES: readonly CompressMode[] = ['float32', 'float16', 'dynamic', 'int8'];

interface CompressOptions {
  readonly mode: CompressMode;
  /** Directory (or list file) of photos to compare outputs on; default: the bundled samples. */
  readonly samples?: string;
  readonly sampleCount?: number;
  /** How images become the model's input (from model.json or TFLite metadata). */
  readonly imageSpec?: ImageInputSpec;
  /**
   * dynamic and int8: the fidelity guard's floor. The layers whose
   * quantization hurts most stay in float16 until every output reaches this
   * cosine (mixed precision; costs one trial model per quantized layer, and
   * only when the floor is missed). Default 0.99.
   */
  readonly minCosine?: number;
  /** false: no guard, the raw result of the mode (default true). */
  readonly guard?: boolean;
  /**
   * Magnitude pruning first: this share (0..1) of the CONV_2D and
   * FULLY_CONNECTED weights set to zero, spread over layers by measured
   * sensitivity to keep the guard's floor (uniform with guard false).
   */
  readonly prune?: number;
  /** int8: the photos or KServe v2 request files (directory or list file) to calibrate on. */
  readonly calibration?: string;
  /** int8: how activation ranges are taken. */
  readonly calibrationMethod?: CalibrationMethod;
  /** int8: the type of the model's inputs and outputs. */
  readonly io?: IoType;
  /** int8: tensor names, op output names or op types to keep in float. */
  readonly keepFloat?: readonly string[];
  /** int8: keep in float the layers whose rmse/scale exceeds this. */
  readonly autoKeepFloat?: number;
  /** Timed runs per model for the latency figures. */
  readonly latencyRuns?: number;
  /** A labeled set (tfls eval's layouts) to measure the input and the output on, with the model.json they are served with. */
  readonly evaluation?: {
    readonly data: string;
    readonly manifest: unknown;
    readonly readFile: (name: string) => Promise<string>;
  };
  readonly onProgress?: (step: string, fraction: number) => void;
}

interface CompressResult {
  readonly bytes: Uint8Array;
  readonly report: CompressReport;
}

/** Calibration inputs used at most, unless sampleCount says otherwise. */
const DEFAULT_CALIBRATION_SAMPLES = 100;

/** The cosine below which the recommendation calls an output drifted, for modes without a guard. */
const DEFAULT_MIN_COSINE = 0.995;

/** The pruning search ranks layers on this many inputs. */
const PRUNE_SEARCH_SAMPLES = 8;

/** The output cosine dynamic and int8 hold by default. */
const DEFAULT_GUARD_FLOOR = 0.99;

/** The fidelity floor these options hold (pruning holds it in every mode), or undefined when the guard is off. */
const fidelityFloor = (options: CompressOptions): number | undefined =>
  options.guard === false ? undefined : (options.minCosine ?? DEFAULT_GUARD_FLOOR);

/** The guard's floor for these options, or undefined when the mode has none or it is off. */
const guardFloor = (options: CompressOptions): number | undefined =>
  options.mode === 'dynamic' || options.mode === 'int8' ? fidelityFloor(options) : undefined;

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
  cache?: QuantizeCache,
): { file: TfliteFile; result: TransformResult } => {
  const file = readModel(bytes);
  let result: TransformResult;
  if (mode === 'float32') result = expandFloat16(file.model);
  else if (mode === 'float16') {
    expandFloat16(file.model);
    result = toFloat16(file.model);
  } else result = dynamicRange(file.model, keep, cache);
  updateMinRuntimeVersion(file.model);
  return { file, result };
};

const p50 = async (bytes: Uint8Array, engine: Model['engine'], runs: number): Promise<number> =>
  (await benchmarkModel(bytes, { engine, threads: 1, runs, warmup: Math.min(10, runs) })).p50Ms;

interface Outcome {
  readonly output: Uint8Array;
  readonly result: TransformResult;
  readonly fidelity: OutputFidelity[];
  readonly samples: SampleSet;
  readonly keep: string[];
  readonly extra: Partial<CompressReport>;
}

type Progress = (step: string, fraction: number) => void;

const sampleSet = (reference: Model, options: CompressOptions, dir: string | undefined, count: number | undefined) =>
  sampleInputs(reference.inputs, {
    ...(dir !== undefined && { dir }),
    ...(count !== undefined && { count }),
    ...(options.imageSpec !== undefined && { spec: options.imageSpec }),
  });

/** float32, float16 and dynamic: rewrite constants; for dynamic, search mixed precision when asked. */
const floatOutcome = async (
  input: Uint8Array,
  reference: Model,
  options: CompressOptions,
  progress: Progress,
): Promise<Outcome> => {
  const samples = await sampleSet(reference, options, options.samples, options.sampleCount);
  progress('transforming', 0.05);
  const first = transform(input, options.mode, new Set());
  let result = first.result;
  let output = writeModel(first.file);
  progress('measuring fidelity', 0.1);
  let fidelity = await measureFileFidelity(reference, output, samples.inputs);
  let keep: string[] = [];
  let unreachable: number | undefined;
  const minCosine = guardFloor(options);
  const worstBefore = worst(fidelity);
  if (options.mode === 'dynamic' && minCosine !== undefined && worstBefore < minCosine) {
    const quantized = result.tensors.filter((t) => t.to.startsWith('int8')).map((t) => t.name);
    // Every trial rewrites the same weights: expand float16 once and quantize each weight once.
    const expanded = readModel(input);
    expandFloat16(expanded.model);
    const base = writeModel(expanded);
    const cache = newQuantizeCache();
    const search = await searchMixedPrecision(
      quantized,
      (kept) => writeModel(transform(base, 'dynamic', kept, cache).file),
      reference,
      samples.inputs,
      minCosine,
      (fraction) => progress('searching mixed precision', 0.1 + 0.7 * fraction),
    );
    if (search.trial) {
      keep = search.keep;
      ({ result } = transform(base, 'dynamic', new Set(keep), cache));
      output = search.trial.bytes;
      fidelity = search.trial.fidelity;
    } else unreachable = search.reachable;
  }
  const guard =
    minCosine === undefined ? undefined : guardReport(minCosine, keep, worstBefore, worst(fidelity), unreachable);
  return {
    output,
    result,
    fidelity,
    samples,
    keep,
    extra: { ...(keep.length > 0 && { keptFloat: keep }), ...(guard && { guard }) },
  };
};

/** int8: calibrate on --calibration, quantize, measure every layer; fidelity on --samples DIR or the calibration set. */
const int8Outcome = async (
  input: Uint8Array,
  reference: Model,
  options: CompressOptions,
  progress: Progress,
): Promise<Outcome> => {
  if (options.calibration === undefined)
    throw new ConfigError('int8 needs calibration inputs: --calibration <dir of photos or KServe v2 .json requests>');
  const calibration = await sampleSet(
    reference,
    options,
    options.calibration,
    options.sampleCount ?? DEFAULT_CALIBRATION_SAMPLES,
  );
  const method = options.calibrationMethod ?? 'minmax';
  // Fidelity on --samples when given (the guard holds its floor there too), else on the calibration inputs.
  const samples =
    options.samples === undefined ? calibration : await sampleSet(reference, options, options.samples, undefined);
  const outcome = await compressInt8(input, reference, calibration.inputs, {
    ...(samples !== calibration && { guardSamples: samples.inputs }),
    method,
    io: options.io ?? 'float32',
    keepFloat: options.keepFloat ?? [],
    ...(options.autoKeepFloat !== undefined && { autoKeepFloat: options.autoKeepFloat }),
    ...(guardFloor(options) !== undefined && { minCosine: guardFloor(options)! }),
    progress,
  });
  let fidelity = outcome.fidelity;
  if (samples !== calibration) fidelity = await measureFileFidelity(reference, outcome.bytes, samples.inputs);
  return {
    output: outcome.bytes,
    result: outcome.result,
    fidelity,
    samples,
    keep: outcome.keptFloat,
    extra: {
      calibration: { samples: calibration.inputs.length, method, source: calibration.source },
      io: options.io ?? 'float32',
      layers: outcome.layers,
      keptFloat: outcome.keptFloat,
      floatOps: outcome.result.floatOps,
      ...(outcome.autoKeepFloat && { autoKeepFloat: outcome.autoKeepFloat }),
      ...(outcome.guard && { guard: outcome.guard }),
    },
  };
};

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
    let source = input;
    let pruning: PruningReport | undefined;
    if (options.prune !== undefined) {
      if (!(options.prune > 0 && options.prune < 1))
        throw new ConfigError(`prune is the share of weights to zero, in (0, 1): got ${options.prune}`);
      const fidelitySamples = await sampleSet(reference, options, options.samples, options.sampleCount);
      const pruned = await pruneModel(
        input,
        reference,
        fidelitySamples.inputs.slice(0, PRUNE_SEARCH_SAMPLES),
        options.prune,
        fidelityFloor(options),
        (f) => progress('pruning', 0.02 + 0.3 * f),
      );
      source = pruned.bytes;
      pruning = pruned.report;
    }
    const { output, result, fidelity, samples, keep, extra } =
      options.mode === 'int8'
        ? await int8Outcome(source, reference, options, progress)
        : await floatOutcome(source, reference, options, progress);
    progress('measuring latency', 0.9);
    const runs = options.latencyRuns ?? 30;
    const engine = reference.engine;
    const compressed = await loadModel(output, { threads: 1 });
    const latency = {
      engine,
      delegate: compressed.delegate,
      beforeP50Ms: await p50(input, engine, runs),
      afterP50Ms: await p50(output, compressed.engine, runs),
    };
    // int8: how much of the graph XNNPACK's integer kernels took (none to report from the WASM engine).
    const delegatedToXnnpack =
      compressed.delegatedNodes === undefined
        ? null
        : { nodes: compressed.nodes, delegated: compressed.delegatedNodes };
    compressed.dispose();
    const baseline = float32Bytes(original);
    const ratio = Number((baseline / output.length).toFixed(3));
    const skipped = [
      ...result.skipped,
      ...untouched(original).filter((s) => !result.skipped.some((r) => r.name === s.name)),
    ];
    let report: CompressReport = {
      mode: options.mode,
      inputBytes: input.length,
      outputBytes: output.length,
      float32Bytes: baseline,
      ratio,
      ratioToInput: Number((input.length / output.length).toFixed(3)),
      constantBytes: { before: tensorBytesByType(original), after: tensorBytesByType(readModel(output)) },
      tensors: result.tensors,
      skipped,
      customOps: customOps(original),
      ...extra,
      ...(options.mode === 'int8' && { delegatedToXnnpack }),
      fidelity: { samples: samples.inputs.length, source: samples.source, outputs: fidelity },
      latency,
      recommendation: recommend({
        mode: options.mode,
        ratio,
        outputBytes: output.length,
        outputs: fidelity,
        ...latency,
        keptFloat: keep,
        minCosine: guardFloor(options) ?? options.minCosine ?? DEFAULT_MIN_COSINE,
        ...(extra.guard && { guard: extra.guard }),
      }),
    };
    if (pruning) {
      const zipped = {
        input: deflateRawSync(input, { level: 9 }).length,
        output: deflateRawSync(output, { level: 9 }).length,
      };
      const speed = latency.afterP50Ms < latency.beforeP50Ms * 0.9 ? 'and it runs faster' : 'but not speed';
      report = {
        ...report,
        pruning: {
          ...pruning,
          zippedBytes: zipped,
          note: `${(pruning.achieved * 100).toFixed(1)}% of the CONV_2D and FULLY_CONNECTED weights are zero${pruning.achieved < pruning.requested ? ` (${(pruning.requested * 100).toFixed(0)}% asked; more would break the floor cosine ${pruning.floor})` : ''}. They are stored dense: the file is as large, but its zip (what Lambda deploys) is ${formatBytes(zipped.output)}. TFLite's sparse tensors would be densified at load, and this runtime's XNNPACK has no sparse kernels on, so pruning buys size in the zip, ${speed}.`,
        },
      };
    }
    if (options.evaluation) {
      progress('evaluating', 0.95);
      const { data, manifest, readFile } = options.evaluation;
      const evaluated = await evaluateModels(
        [
          { name: 'before', bytes: input, manifest, readFile },
          { name: 'after', bytes: output, manifest, readFile },
        ],
        data,
        { threads: 1 },
      );
      const [before, after] = evaluated.models;
      report = {
        ...report,
        eval: { data, kind: evaluated.kind, items: evaluated.items, before: before!, after: after! },
      };
    }
    progress('done', 1);
    return { bytes: output, report };
  } finally {
    reference.dispose();
  }
};

export type { CompressOptions, CompressResult };
export { compressModel };
