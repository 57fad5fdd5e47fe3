// The package's public API.

export type { BenchOptions, BenchResult } from './bench/benchmarkModel.js';
export { benchmarkModel } from './bench/benchmarkModel.js';
export type { DType, TypedArray } from './dtypes.js';
export { loadModel } from './engine/loadModel.js';
export { clearModelCache, getCachedModel } from './engine/modelCache.js';
export { resolveThreads } from './engine/threads.js';
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
} from './engine/types.js';
export * from './errors.js';
