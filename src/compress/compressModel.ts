import { deflateRawSync } from 'node:zlib';
import { loadModel } from '../engine/loadModel.js';
import type { Model } from '../engine/types.js';
import { ConfigError } from '../errors.js';
import { evaluateModels } from '../eval/evaluateModels.js';
import { resolveManifest } from '../manifest/resolveManifest.js';
import type { ImageInputSpec, ModelManifest } from '../manifest/types.js';
import { readModel, type TfliteFile } from '../tflite/readModel.js';
import { writeModel } from '../tflite/writeModel.js';
import { dynamicRange, newQuantizeCache, type QuantizeCache } from './dynamicRange.js';
import { expandFloat16 } from './expandFloat16.js';
import { type Fidelity, type FidelityProbe, fidelityProbe } from './fidelity.js';
import { assess, describeFloor, type Floor, floorFor } from './floor.js';
import { holdFloor } from './guard.js';
import type { CalibrationMethod } from './int8/calibrate.js';
import { compressInt8 } from './int8/compressInt8.js';
import type { IoType } from './int8/quantizeInt8.js';
import { measureLatency } from './latency.js';
import { customOps, untouched } from './leftAlone.js';
import { modelPrecision } from './precision.js';
import { type PruningReport, pruneModel } from './prune.js';
import { recommend, verdictLine } from './recommendation.js';
import { updateMinRuntimeVersion } from './runtimeVersion.js';
import { type SampleSet, sampleInputs } from './samples.js';
import { float32Bytes, formatBytes, tensorBytesByType } from './sizes.js';
import { toFloat16 } from './toFloat16.js';
import type { CompressMode, CompressReport, GuardReport, TaskFloor, TransformResult } from './types.js';
import { nothingToRewrite, unchangedReport } from './unchanged.js';

const MODES: readonly CompressMode[] = ['float32', 'float16', 'dynamic', 'int8'];

interface CompressOptions {
  readonly mode: CompressMode;
  /** Directory (or list file) of photos to compare outputs on; default: the bundled samples. */
  readonly samples?: string;
  readonly sampleCount?: number;
  /**
   * The model.json the model is served with (undefined: what the metadata
   * and tensors say): it decides the task whose answers are compared, and how
   * photos become inputs.
   */
  readonly manifest?: unknown;
  /** Reads a file the model.json names (its labels). */
  readonly readFile?: (name: string) => Promise<string>;
  /** How images become the model's input, over the manifest's. */
  readonly imageSpec?: ImageInputSpec;
  /**
   * dynamic and int8: the fidelity guard's cosine floor, on the outputs the
   * served task reads (every output when it is raw tensors), beside the
   * task's own floor. The layers whose quantization hurts most stay in
   * float16 until both hold (mixed precision; costs one trial model per
   * quantized layer, and only when the floor is missed). Default 0.99.
   */
  readonly minCosine?: number;
  /** false: no guard, the raw result of the mode (default true). */
  readonly guard?: boolean;
  /**
   * Where the task is known, the guard's floor in its terms (defaults:
   * src/compress/taskFidelity.ts); a number sets the served task's own.
   */
  readonly taskFloor?: TaskFloor | number;
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

/** int8 without --samples measures fidelity on at most this many of its calibration inputs. */
const MAX_FIDELITY_SAMPLES = 32;

/** The first `count` samples of a set, saying so in its source. */
const firstSamples = (set: SampleSet, count: number): SampleSet =>
  set.inputs.length <= count
    ? set
    : {
        inputs: set.inputs.slice(0, count),
        transforms: set.transforms.slice(0, count),
        source: `the first ${count} of ${set.source}`,
      };

/** The pruning search ranks layers on this many inputs. */
const PRUNE_SEARCH_SAMPLES = 8;

/** The output cosine dynamic and int8 hold by default. */
const DEFAULT_GUARD_FLOOR = 0.99;

/** The fidelity floor these options hold (pruning holds it in every mode), or undefined when the guard is off. */
const fidelityFloor = (options: CompressOptions): number | undefined =>
  options.guard === false ? undefined : (options.minCosine ?? DEFAULT_GUARD_FLOOR);

/** Timed runs of each model for the latency figures, by default. */
const DEFAULT_LATENCY_RUNS = 50;

/** The guard's floor for these options, or undefined when the mode has none or it is off. */
const guardFloor = (options: CompressOptions, manifest: ModelManifest, reference: Model): Floor | undefined => {
  const cosine = options.mode === 'dynamic' || options.mode === 'int8' ? fidelityFloor(options) : undefined;
  return cosine === undefined ? undefined : floorFor(manifest, reference.outputs, cosine, options.taskFloor);
};

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
  } else {
    result = dynamicRange(file.model, keep, cache);
    // What stays float (biases, weights too small for int8, the layers kept) is stored as float16.
    const halved = toFloat16(file.model);
    result = { tensors: [...result.tensors, ...halved.tensors], skipped: [...result.skipped, ...halved.skipped] };
  }
  updateMinRuntimeVersion(file.model);
  return { file, result };
};

interface Outcome {
  readonly output: Uint8Array;
  readonly result: TransformResult;
  readonly fidelity: Fidelity;
  readonly probe: FidelityProbe;
  readonly keep: string[];
  readonly extra: Partial<CompressReport>;
}

type Progress = (step: string, fraction: number) => void;

/** What the model is served as, and so what its photos go through and what its answers are. */
interface Served {
  readonly manifest: ModelManifest;
  readonly spec: ImageInputSpec;
}

const sampleSet = (reference: Model, served: Served, dir: string | undefined, count: number | undefined) =>
  sampleInputs(reference.inputs, {
    ...(dir !== undefined && { dir }),
    ...(count !== undefined && { count }),
    spec: served.spec,
  });

/** float32, float16 and dynamic: rewrite constants; for dynamic, hold the guard's floor when asked. */
const floatOutcome = async (
  input: Uint8Array,
  reference: Model,
  options: CompressOptions,
  served: Served,
  progress: Progress,
): Promise<Outcome> => {
  const samples = await sampleSet(reference, served, options.samples, options.sampleCount);
  const probe = await fidelityProbe(reference, samples, served.manifest);
  progress('transforming', 0.05);
  const first = transform(input, options.mode, new Set());
  let result = first.result;
  let output = writeModel(first.file);
  progress('measuring fidelity', 0.1);
  let fidelity = await probe.measureFile(output);
  let keep: string[] = [];
  const floor = guardFloor(options, served.manifest, reference);
  let guard: GuardReport | undefined;
  if (options.mode === 'dynamic' && floor) {
    const quantized = result.tensors.filter((t) => t.to.startsWith('int8')).map((t) => t.name);
    // Every trial rewrites the same weights: expand float16 once and quantize each weight once.
    const expanded = readModel(input);
    expandFloat16(expanded.model);
    const base = writeModel(expanded);
    const cache = newQuantizeCache();
    const held = await holdFloor({
      floor,
      outputNames: reference.outputs.map((o) => o.name),
      before: fidelity,
      rawBytes: output.length,
      candidates: quantized,
      build: (kept) => writeModel(transform(base, 'dynamic', kept, cache).file),
      searchProbe: probe,
      probe,
      progress: (fraction) => progress('searching mixed precision', 0.1 + 0.7 * fraction),
    });
    if (held.bytes && held.fidelity) {
      keep = held.kept;
      ({ result } = transform(base, 'dynamic', new Set(keep), cache));
      output = held.bytes;
      fidelity = held.fidelity;
    }
    guard = held.report;
  }
  return {
    output,
    result,
    fidelity,
    probe,
    keep,
    extra: { ...(keep.length > 0 && { keptFloat: keep }), ...(guard && { guard }) },
  };
};

/** int8: calibrate on --calibration, quantize, measure every layer; fidelity on --samples DIR or the calibration set. */
const int8Outcome = async (
  input: Uint8Array,
  reference: Model,
  options: CompressOptions,
  served: Served,
  progress: Progress,
): Promise<Outcome> => {
  if (options.calibration === undefined)
    throw new ConfigError('int8 needs calibration inputs: --calibration <dir of photos or KServe v2 .json requests>');
  const calibration = await sampleSet(
    reference,
    served,
    options.calibration,
    options.sampleCount ?? DEFAULT_CALIBRATION_SAMPLES,
  );
  const method = options.calibrationMethod ?? 'minmax';
  // Fidelity on --samples when given (the guard holds its floor there too), else on the first calibration
  // inputs: the probe keeps the original's outputs for each (a segmentation map is megabytes).
  const samples =
    options.samples === undefined
      ? firstSamples(calibration, MAX_FIDELITY_SAMPLES)
      : await sampleSet(reference, served, options.samples, undefined);
  const probe = await fidelityProbe(reference, samples, served.manifest);
  const floor = guardFloor(options, served.manifest, reference);
  const outcome = await compressInt8(input, reference, calibration.inputs, {
    probe,
    ...(floor && { floor }),
    method,
    io: options.io ?? 'float32',
    keepFloat: options.keepFloat ?? [],
    ...(options.autoKeepFloat !== undefined && { autoKeepFloat: options.autoKeepFloat }),
    progress,
  });
  return {
    output: outcome.bytes,
    result: outcome.result,
    fidelity: outcome.fidelity,
    probe,
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

/** The labeled set's measures for the input and the output, through the serving pipeline (tfls eval's). */
const evaluateBoth = async (
  input: Uint8Array,
  output: Uint8Array,
  evaluation: NonNullable<CompressOptions['evaluation']>,
): Promise<NonNullable<CompressReport['eval']>> => {
  const { data, manifest, readFile } = evaluation;
  const evaluated = await evaluateModels(
    [
      { name: 'before', bytes: input, manifest, readFile },
      { name: 'after', bytes: output, manifest, readFile },
    ],
    data,
    { threads: 1 },
  );
  const [before, after] = evaluated.models;
  return { data, kind: evaluated.kind, items: evaluated.items, before: before!, after: after! };
};

/**
 * Compresses a .tflite model and proves what it did: per-tensor rounding
 * errors, per-output fidelity against the original and what the served
 * task answers on the same photos, and latency before and after measured
 * interleaved. A mode with nothing to rewrite returns the input as it is.
 */
const compressModel = async (input: Uint8Array, options: CompressOptions): Promise<CompressResult> => {
  if (!MODES.includes(options.mode))
    throw new ConfigError(`--mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(options.mode)}`);
  const progress = options.onProgress ?? (() => undefined);
  const original = readModel(input);
  progress('loading', 0);
  const reference = await loadModel(input, { threads: 1 });
  try {
    const manifest = await resolveManifest(
      options.manifest,
      reference,
      options.readFile ?? ((name) => Promise.reject(new Error(`no file ${name} beside the model`))),
    );
    const served: Served = { manifest, spec: options.imageSpec ?? manifest.input };
    const precision = modelPrecision(original);
    // Pruning rewrites weights whatever the mode would.
    const reason = options.prune === undefined ? nothingToRewrite(input, options.mode, precision) : undefined;
    if (reason !== undefined) {
      const unchanged = await unchangedReport(input, original, reference, options.mode, precision, reason);
      const report =
        manifest.task === 'raw'
          ? unchanged
          : { ...unchanged, fidelity: { ...unchanged.fidelity, taskName: manifest.task } };
      const evaluation = options.evaluation && (await evaluateBoth(input, input, options.evaluation));
      progress('done', 1);
      return { bytes: input, report: evaluation ? { ...report, eval: evaluation } : report };
    }
    let source = input;
    let pruning: PruningReport | undefined;
    if (options.prune !== undefined) {
      if (!(options.prune > 0 && options.prune < 1))
        throw new ConfigError(`prune is the share of weights to zero, in (0, 1): got ${options.prune}`);
      const fidelitySamples = await sampleSet(reference, served, options.samples, options.sampleCount);
      const probe = await fidelityProbe(reference, fidelitySamples, manifest);
      const pruned = await pruneModel(
        input,
        probe.take(PRUNE_SEARCH_SAMPLES),
        options.prune,
        fidelityFloor(options),
        (f) => progress('pruning', 0.02 + 0.3 * f),
      );
      source = pruned.bytes;
      pruning = pruned.report;
    }
    const { output, result, fidelity, probe, keep, extra } =
      options.mode === 'int8'
        ? await int8Outcome(source, reference, options, served, progress)
        : await floatOutcome(source, reference, options, served, progress);
    progress('measuring latency', 0.9);
    const latency = await measureLatency(input, output, options.latencyRuns ?? DEFAULT_LATENCY_RUNS);
    // int8: how much of the graph XNNPACK's integer kernels took (none to report from the WASM engine).
    const compressed = await loadModel(output, { threads: 1 });
    const delegatedToXnnpack =
      compressed.delegatedNodes === undefined
        ? null
        : { nodes: compressed.nodes, delegated: compressed.delegatedNodes };
    compressed.dispose();
    const baseline = float32Bytes(original);
    const ratio = Number((baseline / output.length).toFixed(3));
    // int8 starts from float weights (a dynamic-range model's dequantized): none stays as it was.
    const skipped = [
      ...result.skipped,
      ...untouched(original).filter(
        (s) =>
          !result.skipped.some((r) => r.name === s.name) && (options.mode !== 'int8' || !/^already/.test(s.reason)),
      ),
    ];
    const floor =
      guardFloor(options, manifest, reference) ??
      floorFor(manifest, reference.outputs, options.minCosine ?? DEFAULT_MIN_COSINE, options.taskFloor);
    const facts = {
      mode: options.mode,
      ratio,
      outputBytes: output.length,
      fidelity,
      ...(manifest.task !== 'raw' && { task: manifest.task }),
      floor,
      floorStatement: describeFloor(
        floor,
        fidelity,
        reference.outputs.map((o) => o.name),
      ),
      latency,
      keptFloat: keep,
      ...(extra.guard && { guard: extra.guard }),
    };
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
      fidelity: {
        samples: probe.inputs.length,
        source: probe.source,
        outputs: fidelity.outputs,
        ...(manifest.task !== 'raw' && { taskName: manifest.task }),
        ...(fidelity.task && { task: fidelity.task }),
        floor: { statement: facts.floorStatement, met: assess(fidelity, floor).met },
      },
      latency,
      inputPrecision: precision,
      verdict: verdictLine(facts),
      recommendation: recommend(facts),
    };
    if (pruning) {
      const zipped = {
        input: deflateRawSync(input, { level: 9 }).length,
        output: deflateRawSync(output, { level: 9 }).length,
      };
      const speed = latency.verdict === 'faster' ? 'and it runs faster' : 'but not speed';
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
      report = { ...report, eval: await evaluateBoth(input, output, options.evaluation) };
    }
    progress('done', 1);
    return { bytes: output, report };
  } finally {
    reference.dispose();
  }
};

export type { CompressOptions, CompressResult };
export { compressModel };
