import type { EvalResult } from '../eval/evaluateModels.js';
import type { PruningReport } from './prune.js';

type CompressMode = 'float32' | 'float16' | 'dynamic' | 'int8';

/** One rewritten constant. */
interface TensorChange {
  readonly name: string;
  /** The operator(s) reading it. */
  readonly consumer: string;
  readonly from: string;
  readonly to: string;
  readonly elements: number;
  readonly maxAbsError: number;
  readonly rmse: number;
}

/** A constant left as it was, and why. */
interface TensorSkipped {
  readonly name: string;
  readonly reason: string;
}

interface OutputFidelity {
  readonly name: string;
  readonly cosine: number;
  readonly maxAbsError: number;
  readonly rmse: number;
}

/** The compress report (`--report`, `--json`): a fixed contract. */
interface CompressReport {
  readonly mode: CompressMode;
  readonly inputBytes: number;
  readonly outputBytes: number;
  /** The model with every float constant in float32. */
  readonly float32Bytes: number;
  /** float32Bytes / outputBytes. */
  readonly ratio: number;
  /** inputBytes / outputBytes. */
  readonly ratioToInput: number;
  /** Bytes of constant data by tensor type (float32, float16, int8...) in the input and the output. */
  readonly constantBytes: {
    readonly before: Readonly<Record<string, number>>;
    readonly after: Readonly<Record<string, number>>;
  };
  readonly tensors: readonly TensorChange[];
  readonly skipped: readonly TensorSkipped[];
  readonly customOps: readonly string[];
  /** Weights kept in float (float16) because quantizing them cost too much fidelity. */
  readonly keptFloat?: readonly string[];
  readonly fidelity: {
    readonly samples: number;
    readonly source: string;
    readonly outputs: readonly OutputFidelity[];
  };
  readonly latency: {
    readonly engine: string;
    readonly delegate: string;
    readonly beforeP50Ms: number;
    readonly afterP50Ms: number;
  };
  readonly recommendation: string;
  /** int8: the inputs the activation ranges came from. */
  readonly calibration?: { readonly samples: number; readonly method: string; readonly source: string };
  /** int8: the integer type of the model's inputs and outputs (float32: QUANTIZE/DEQUANTIZE at the edges). */
  readonly io?: string;
  /** int8: every quantized tensor against float, worst first (the quantization debugger's metrics). */
  readonly layers?: readonly LayerReport[];
  /** int8: operators that stayed float, wrapped in DEQUANTIZE/QUANTIZE, and why. */
  readonly floatOps?: readonly { readonly op: string; readonly output: string; readonly reason: string }[];
  /** int8: how many nodes the XNNPACK delegate took, as the native engine reports it. */
  readonly delegatedToXnnpack?: { readonly nodes: number; readonly delegated: number } | null;
  /** int8 with --auto-keep-float: fidelity and size before and after keeping the sensitive layers in float. */
  readonly autoKeepFloat?: AutoKeepFloatReport;
  /** dynamic and int8: the output-cosine floor held by default (off with --no-guard), and what holding it took. */
  readonly guard?: GuardReport;
  /** With --prune: per-layer sparsity, the zipped sizes, and what it buys. */
  readonly pruning?: PruningReport;
  /** With --eval DIR: the labeled set's measures for the input and the output (tfls eval's fields). */
  readonly eval?: {
    readonly data: string;
    readonly kind: string;
    readonly items: number;
    readonly before: EvalResult;
    readonly after: EvalResult;
  };
}

/** The fidelity guard: the layers kept in float16 so that every output's cosine reaches the floor. */
interface GuardReport {
  readonly floor: number;
  /** Layers kept in float16 by the guard (beyond any the user asked for); empty when the floor held already. */
  readonly kept: readonly string[];
  /** The worst output cosine before and after the guard acted. */
  readonly worstBefore: number;
  readonly worstAfter: number;
  readonly met: boolean;
  /** When no choice of float16 layers reaches the floor: the worst cosine with all of them float (none are kept). */
  readonly reachable?: number;
}

/** One quantized tensor against float: the metrics of TensorFlow's QuantizationDebugger. */
interface LayerReport {
  readonly name: string;
  readonly op: string;
  readonly numElements: number;
  readonly stddev: number;
  readonly meanError: number;
  readonly maxAbsError: number;
  readonly meanSquaredError: number;
  readonly scale: number;
  /** About 0.289 (1/sqrt(12)) when only rounding separates int8 from float. */
  readonly rmseOverScale: number;
}

interface AutoKeepFloatSide {
  readonly outputBytes: number;
  readonly worstLayer: LayerReport | null;
  readonly outputs: readonly OutputFidelity[];
}

interface AutoKeepFloatReport {
  readonly threshold: number;
  readonly kept: readonly string[];
  readonly before: AutoKeepFloatSide;
  readonly after: AutoKeepFloatSide;
  readonly sizeCostPercent: number;
}

/** What a transform did to a model. */
interface TransformResult {
  readonly tensors: TensorChange[];
  readonly skipped: TensorSkipped[];
}

export type {
  AutoKeepFloatReport,
  CompressMode,
  CompressReport,
  GuardReport,
  LayerReport,
  OutputFidelity,
  TensorChange,
  TensorSkipped,
  TransformResult,
};
