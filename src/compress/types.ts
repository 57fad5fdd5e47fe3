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

/**
 * What the served task answers, compressed against original, on the
 * fidelity photos, through the serving pipeline's own post-processing.
 */
type TaskFidelity =
  | {
      readonly kind: 'classification';
      readonly photos: number;
      /** Share of photos whose top class is the original's. */
      readonly top1Agreement: number;
      /** Mean share of the original's top 5 classes still in the top 5. */
      readonly top5Overlap: number;
    }
  | {
      readonly kind: 'detection';
      readonly photos: number;
      /** The original's detections (above the served threshold). */
      readonly detections: number;
      /** Found again at IoU 0.5 or better (same label where there are labels). */
      readonly matched: number;
      readonly missed: number;
      /** Detections the original does not make. */
      readonly extra: number;
      readonly meanIoU: number;
      readonly minIoU: number;
    }
  | {
      readonly kind: 'landmarks';
      readonly photos: number;
      /** Points the original marks visible (visibility, presence or score >= 0.5 where the model gives them). */
      readonly points: number;
      /** The model input's larger side, in pixels: errors are in its pixels. */
      readonly inputSize: number;
      readonly maxErrorPx: number;
      readonly meanErrorPx: number;
      /** As a percentage of inputSize. */
      readonly maxErrorPercent: number;
      readonly meanErrorPercent: number;
    }
  | {
      readonly kind: 'segmentation';
      readonly photos: number;
      /** Pixels of the output's map. */
      readonly pixels: number;
      /** Share that keep their class (a probability mask: their side of 0.5). */
      readonly pixelAgreement: number;
    };

/** The fidelity guard's floor in the task's terms (defaults in src/compress/taskFidelity.ts). */
interface TaskFloor {
  /** landmarks: the largest move of a visible point, as a share of the input's larger side (default 0.01). */
  readonly landmarkError?: number;
  /** classification: share of photos that keep their top class (default 1). */
  readonly top1Agreement?: number;
  /** detection: the smallest IoU of a detection found again, none missed or added (default 0.8). */
  readonly boxIoU?: number;
  /** segmentation: share of pixels that keep their class (default 0.98). */
  readonly pixelAgreement?: number;
}

/** What the file given already is, read from its tensors. */
interface ModelPrecision {
  readonly kind: 'float32' | 'float16' | 'dynamic-range' | 'full-integer';
  /** In words, to follow "already": "full-integer uint8 (weights and activations quantized)". */
  readonly description: string;
}

/** Before and after timed in one process, interleaved round by round, and what the difference means. */
interface LatencyReport {
  readonly engine: string;
  readonly delegate: string;
  /** The engine the output ran on, when it differs. */
  readonly afterEngine?: string;
  readonly beforeP50Ms: number;
  readonly afterP50Ms: number;
  /** Runs of each model, and the rounds they were interleaved in. */
  readonly runs?: number;
  readonly rounds?: number;
  /** Each model's 10th and 90th percentile run. */
  readonly beforeRangeMs?: readonly [number, number];
  readonly afterRangeMs?: readonly [number, number];
  /** after / before: the median of the rounds' ratios, and the range the middle 80% of them fell in. */
  readonly ratio?: number;
  readonly ratioRange?: readonly [number, number];
  /** 'slower' or 'faster' only when the ratio's range clears the noise band. */
  readonly verdict?: 'slower' | 'faster' | 'no measurable change' | 'unchanged file';
  /** The timings and the verdict in a sentence. */
  readonly summary?: string;
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
    /** The served task (model.json, metadata or tensors decide it), when it is not raw tensors. */
    readonly taskName?: string;
    /** What the task answers, compared, on the photos among the samples. */
    readonly task?: TaskFidelity;
    /** The floor the answers are held to (the guard's, or for modes without one cosine 0.995 and the task's), and whether they hold it: "match" is said only then. */
    readonly floor?: { readonly statement: string; readonly met: boolean };
  };
  readonly latency: LatencyReport;
  /** What the input already is (float32, float16, dynamic-range or full-integer). */
  readonly inputPrecision?: ModelPrecision;
  /** Set when the mode had nothing to rewrite: why, and what tfls compress can still do. The output is the input, byte for byte. */
  readonly unchanged?: { readonly reason: string; readonly instead: string };
  /** One line: the size, whether the answers hold, the speed. */
  readonly verdict?: string;
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
  /** The outputs the cosine floor covers: all, or those the served task reads. */
  readonly outputs?: readonly string[];
  /** Where the task is known, the floor in its terms, and the answers before and after the guard acted. */
  readonly task?: {
    readonly floor: Required<TaskFloor>;
    /** The floor in words: "every visible landmark within 1% of the input size (2.56 px of 256)". */
    readonly statement: string;
    readonly before: TaskFidelity;
    readonly after: TaskFidelity;
    /** When the floor is out of reach: the answers with every candidate layer in float16. */
    readonly reachable?: TaskFidelity;
  };
  /** What the kept layers cost: the guarded file's bytes over the mode's raw output's, and that size. */
  readonly keptBytes?: number;
  readonly rawBytes?: number;
  /**
   * Where the bytes go against the damage, worst first: each candidate
   * layer's severity quantized alone (the rest float16; at most 1 holds the
   * floor), and what keeping it alone in float16 adds to the raw file.
   */
  readonly damage?: readonly { readonly name: string; readonly extraBytes: number; readonly severity: number }[];
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
  LatencyReport,
  LayerReport,
  ModelPrecision,
  OutputFidelity,
  TaskFidelity,
  TaskFloor,
  TensorChange,
  TensorSkipped,
  TransformResult,
};
