import type { DType, TypedArray } from '../dtypes.js';
import type { MetadataSummary } from '../tflite/metadata.js';

type EngineName = 'native' | 'wasm' | 'ort';
type EngineChoice = 'auto' | EngineName;
type DelegateName = 'xnnpack' | 'none';

interface Quantization {
  /** One scale per channel along `quantizedDimension`, or one for the tensor. */
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly quantizedDimension: number;
}

interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Null for float tensors. */
  readonly quantization: Quantization | null;
}

interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

/** An input: a typed array of the input's dtype, optionally with its shape (to change the batch size). */
type InputValue = TypedArray | { readonly data: TypedArray; readonly shape?: readonly number[] };

/** Inputs in model order, or by input name. */
type Inputs = readonly InputValue[] | Readonly<Record<string, InputValue>>;

interface LoadOptions {
  /**
   * `auto` (default): the engine a fixed rule picks from what the model is (src/engine/chooseEngine.ts).
   * `ort`: the model translated to ONNX on ONNX Runtime, served only if it answers like TFLite.
   */
  readonly engine?: EngineChoice;
  /** Interpreter threads; default: TFLITE_NUM_THREADS, Lambda's vCPU share, or the CPUs available. */
  readonly threads?: number;
  /** Apply the XNNPACK delegate on the native engine (default true). */
  readonly xnnpack?: boolean;
  /** Refuse models whose non-constant tensors would take more (default 1 GiB). */
  readonly maxTensorBytes?: number;
  /** Native interpreters to run concurrent runAsync calls on, created as load requires them (default 1). */
  readonly interpreters?: number;
}

/**
 * `consume` receives the outputs as views into buffers the model reuses run
 * after run, and must be done with them when it returns (or when its promise
 * settles): the next run waits until then. Nothing is allocated per run,
 * which is what a server that serializes outputs at once wants.
 */
interface RunOptions<T> {
  readonly consume: (outputs: Tensor[]) => T | Promise<T>;
}

interface Model {
  readonly engine: EngineName;
  readonly delegate: DelegateName;
  /**
   * Why the delegate is `none`; or, when it is `xnnpack` but refused some
   * nodes, which ones it left to TFLite's built-in kernels and why.
   */
  readonly delegateReason?: string;
  /** Why `auto` chose WASM. */
  readonly fallbackReason?: string;
  /** Which of `auto`'s rules chose this engine, and what it found; set by loadModel. */
  engineReason?: string;
  /** What the file's TFLite Metadata says (name, normalization, labels); set by loadModel. */
  metadata?: MetadataSummary | null;
  readonly threads: number;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Nodes in the graph, and how many the delegate took when the engine tells (LiteRT.js does not). */
  readonly nodes: number;
  readonly delegatedNodes?: number;
  /** Interpreters that may run at once (a pool's size; 1 for one interpreter). */
  readonly interpreters: number;
  readonly disposed: boolean;
  /** Runs on the calling thread. */
  run(inputs: Inputs): Tensor[];
  run<T>(inputs: Inputs, options: { readonly consume: (outputs: Tensor[]) => T }): T;
  /** Runs off the event loop; runs on one model are queued. */
  runAsync(inputs: Inputs): Promise<Tensor[]>;
  runAsync<T>(inputs: Inputs, options: RunOptions<T>): Promise<T>;
  /** Sets the first dimension of every input. */
  resizeBatch(batch: number): void;
  /** Frees the interpreter; idempotent. A run in flight finishes first. */
  dispose(): void;
}

export type {
  DelegateName,
  EngineChoice,
  EngineName,
  Inputs,
  InputValue,
  LoadOptions,
  Model,
  Quantization,
  RunOptions,
  Tensor,
  TensorInfo,
};
