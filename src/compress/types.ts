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
}

/** What a transform did to a model. */
interface TransformResult {
  readonly tensors: TensorChange[];
  readonly skipped: TensorSkipped[];
}

export type { CompressMode, CompressReport, OutputFidelity, TensorChange, TensorSkipped, TransformResult };
