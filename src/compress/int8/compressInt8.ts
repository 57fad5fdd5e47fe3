import type { TypedArray } from '../../dtypes.js';
import { loadModel } from '../../engine/loadModel.js';
import type { Model } from '../../engine/types.js';
import { readModel, type TfliteFile } from '../../tflite/readModel.js';
import { writeModel } from '../../tflite/writeModel.js';
import { expandFloat16 } from '../expandFloat16.js';
import type { Fidelity, FidelityProbe } from '../fidelity.js';
import type { Floor } from '../floor.js';
import { holdFloor } from '../guard.js';
import { dequantizeWeights } from '../precision.js';
import { updateMinRuntimeVersion } from '../runtimeVersion.js';
import { toFloat16 } from '../toFloat16.js';
import type { AutoKeepFloatReport, GuardReport, LayerReport } from '../types.js';
import { type CalibrationMethod, calibrate, type Range } from './calibrate.js';
import { fuseActivations } from './fuseActivations.js';
import { layerStats } from './layerStats.js';
import { type Int8Result, type IoType, quantizeInt8 } from './quantizeInt8.js';

interface Int8Options {
  readonly method: CalibrationMethod;
  readonly io: IoType;
  /** Tensor names, op output names or op types (CONV_2D) to keep in float. */
  readonly keepFloat: readonly string[];
  /** Keep in float the layers whose rmse/scale exceeds this, then measure again. */
  readonly autoKeepFloat?: number;
  /** The report's fidelity set: every attempt is measured on it. */
  readonly probe: FidelityProbe;
  /** The fidelity guard: keep the most damaging layers in float16 until the floor holds. */
  readonly floor?: Floor;
  readonly progress: (step: string, fraction: number) => void;
}

interface Int8Attempt {
  readonly bytes: Uint8Array;
  readonly result: Int8Result;
  readonly fidelity: Fidelity;
  readonly layers: LayerReport[];
}

interface Int8Outcome extends Int8Attempt {
  readonly keptFloat: string[];
  readonly autoKeepFloat?: AutoKeepFloatReport;
  readonly guard?: GuardReport;
}

/** The mixed-precision search ranks layers on this many inputs; the result is measured on all. */
const SEARCH_SAMPLES = 16;

/**
 * The float model the quantizer starts from: float32 weights (a
 * dynamic-range model's dequantized), activations fused into their producers.
 */
const floatBaseline = (input: Uint8Array): TfliteFile => {
  const file = readModel(input);
  expandFloat16(file.model);
  dequantizeWeights(file);
  fuseActivations(file.model);
  return file;
};

const worstLayer = (layers: readonly LayerReport[]): LayerReport | null => layers[0] ?? null;

/**
 * Full-integer int8: calibrate activation ranges on the samples with the
 * float model, quantize, measure outputs and every layer against float, and
 * with autoKeepFloat keep the worst layers in float and measure again.
 */
const compressInt8 = async (
  input: Uint8Array,
  reference: Model,
  samples: readonly TypedArray[][],
  options: Int8Options,
): Promise<Int8Outcome> => {
  const baseline = floatBaseline(input);
  options.progress('calibrating', 0.1);
  const ranges: Map<string, Range> = await calibrate(baseline, samples, options.method, 99.99, (f) =>
    options.progress('calibrating', 0.1 + 0.3 * f),
  );
  const build = (keep: ReadonlySet<string>): { bytes: Uint8Array; result: Int8Result } => {
    const file = floatBaseline(input);
    const quantized = quantizeInt8(file.model, ranges, { io: options.io, keepFloat: keep });
    // Layers kept float keep their weights in float16, which XNNPACK unpacks at load: half the size cost.
    const halved = toFloat16(file.model);
    const result = { ...quantized, tensors: [...quantized.tensors, ...halved.tensors] };
    updateMinRuntimeVersion(file.model);
    return { bytes: writeModel(file), result };
  };
  const attempt = async (keep: ReadonlySet<string>, at: number): Promise<Int8Attempt> => {
    options.progress('quantizing', at);
    const { bytes, result } = build(keep);
    const model = await loadModel(bytes, { threads: 1 });
    try {
      options.progress('measuring fidelity', at + 0.05);
      const fidelity = await options.probe.measure(model);
      options.progress('comparing layers', at + 0.1);
      const layers = await layerStats(baseline, bytes, result.quantizedOutputs, samples);
      return { bytes, result, fidelity, layers: layers.sort((a, b) => b.rmseOverScale - a.rmseOverScale) };
    } finally {
      model.dispose();
    }
  };
  const requested = new Set(options.keepFloat);
  let outcome = await attempt(requested, 0.45);
  let keptFloat = [...requested];
  let auto: AutoKeepFloatReport | undefined;
  if (options.autoKeepFloat !== undefined) {
    const threshold = options.autoKeepFloat;
    const sensitive = outcome.layers.filter((l) => l.rmseOverScale > threshold).map((l) => l.name);
    const before = outcome;
    if (sensitive.length > 0) {
      const keep = new Set([...requested, ...sensitive]);
      outcome = await attempt(keep, 0.7);
      keptFloat = [...keep];
    }
    auto = {
      threshold,
      kept: sensitive,
      before: {
        outputBytes: before.bytes.length,
        worstLayer: worstLayer(before.layers),
        outputs: before.fidelity.outputs,
      },
      after: {
        outputBytes: outcome.bytes.length,
        worstLayer: worstLayer(outcome.layers),
        outputs: outcome.fidelity.outputs,
      },
      sizeCostPercent: Number((((outcome.bytes.length - before.bytes.length) / before.bytes.length) * 100).toFixed(2)),
    };
  }
  let guard: GuardReport | undefined;
  if (options.floor !== undefined) {
    // Candidates: the quantized layers that err at all; data movement (PAD, pooling) is exact.
    const kept0 = new Set(keptFloat);
    const held = await holdFloor({
      floor: options.floor,
      outputNames: reference.outputs.map((o) => o.name),
      before: outcome.fidelity,
      rawBytes: outcome.bytes.length,
      candidates: outcome.layers.filter((l) => l.rmseOverScale > 0 && !kept0.has(l.name)).map((l) => l.name),
      build: (keep) => build(new Set([...kept0, ...keep])).bytes,
      searchProbe: options.probe.take(SEARCH_SAMPLES),
      probe: options.probe,
      progress: (f) => options.progress('guarding fidelity', 0.75 + 0.1 * f),
    });
    if (held.kept.length > 0) {
      keptFloat = [...keptFloat, ...held.kept];
      const guarded = await attempt(new Set(keptFloat), 0.85);
      const byGuard = new Set(held.kept);
      outcome = {
        ...guarded,
        result: {
          ...guarded.result,
          floatOps: guarded.result.floatOps.map((op) =>
            byGuard.has(op.output) ? { ...op, reason: 'kept float by the fidelity guard' } : op,
          ),
        },
      };
    }
    guard = held.report;
  }
  return { ...outcome, keptFloat, ...(auto && { autoKeepFloat: auto }), ...(guard && { guard }) };
};

export type { Int8Options, Int8Outcome };
export { compressInt8 };
