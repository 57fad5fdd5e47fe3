import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveInterpreters, resolveThreads } from '../engine/threads.js';
import { ConfigError } from '../errors.js';
import { getListFromEnv, getNumberFromEnv, getStringFromEnv } from './env.js';

/** The predict service's settings, read once from the environment. */
interface ServerConfig {
  /** A local directory, or s3://bucket/prefix. */
  readonly modelRepository: string;
  /** Budget for loaded models (sum of model.tflite sizes), MODEL_CACHE_MB. */
  readonly cacheBytes: number;
  readonly preloadModels: readonly string[];
  readonly refreshMs: number;
  /** Where S3 models are cached, by ETag. */
  readonly cacheDir: string;
  readonly maxBodyBytes: number;
  readonly maxImagesPerRequest: number;
  /** How long one image may take to decode and resize, below the function's and API Gateway's timeouts. */
  readonly imageTimeoutSeconds: number;
  /** A run that has not answered after this (INFERENCE_TIMEOUT_SECONDS) marks its model version failed. */
  readonly inferenceTimeoutSeconds: number;
  readonly engine: 'auto' | 'native' | 'wasm';
  /** Interpreter threads (TFLITE_NUM_THREADS, else Lambda's vCPUs or the CPUs). */
  readonly threads: number;
  /** Interpreters per loaded model (TFLITE_INTERPRETERS, else the CPUs over the threads). */
  readonly interpreters: number;
}

const MB = 1024 * 1024;

/**
 * MODEL_REPOSITORY (default ./models), MODEL_CACHE_MB (default: half the
 * Lambda function's memory, else 1024), PRELOAD_MODELS (comma list),
 * MODEL_REFRESH_SECONDS (default 60), MODEL_CACHE_DIR (default
 * $TMPDIR/tfls-models), MAX_BODY_BYTES (default 6 MB, Lambda's limit),
 * MAX_IMAGES_PER_REQUEST (default 16), IMAGE_TIMEOUT_SECONDS (default 10), INFERENCE_TIMEOUT_SECONDS
 * (default 15: a run past it marks its model version failed until a new one), TFLITE_ENGINE (auto|native|wasm),
 * TFLITE_NUM_THREADS (default: the vCPUs AWS_LAMBDA_FUNCTION_MEMORY_SIZE buys,
 * else the CPUs available), TFLITE_INTERPRETERS (default: those CPUs over the
 * threads, at least 1).
 */
const loadServerConfig = (env: NodeJS.ProcessEnv = process.env): ServerConfig => {
  const repository = getStringFromEnv({ key: 'MODEL_REPOSITORY', defaultValue: 'models', env });
  const lambdaMemoryMb = getNumberFromEnv({
    key: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
    defaultValue: 0,
    min: 128,
    integer: true,
    env,
  });
  const engine = getStringFromEnv({ key: 'TFLITE_ENGINE', defaultValue: 'auto', env });
  if (engine !== 'auto' && engine !== 'native' && engine !== 'wasm') {
    throw new ConfigError(
      `environment variable TFLITE_ENGINE must be auto, native or wasm, got ${JSON.stringify(engine)}`,
    );
  }
  // A URL scheme other than s3:// would otherwise be taken for a relative folder named "https:".
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repository) && !repository.startsWith('s3://'))
    throw new ConfigError(
      `environment variable MODEL_REPOSITORY must be a directory or s3://bucket/prefix, got ${JSON.stringify(repository)}`,
    );
  const threads = resolveThreads(undefined, env);
  return {
    modelRepository: repository.startsWith('s3://') ? repository : resolve(repository),
    cacheBytes:
      getNumberFromEnv({
        key: 'MODEL_CACHE_MB',
        defaultValue: lambdaMemoryMb > 0 ? lambdaMemoryMb / 2 : 1024,
        min: 1,
        env,
      }) * MB,
    preloadModels: getListFromEnv({ key: 'PRELOAD_MODELS', defaultValue: [], env }),
    refreshMs: getNumberFromEnv({ key: 'MODEL_REFRESH_SECONDS', defaultValue: 60, min: 0, env }) * 1000,
    cacheDir: getStringFromEnv({ key: 'MODEL_CACHE_DIR', defaultValue: join(tmpdir(), 'tfls-models'), env }),
    maxBodyBytes: getNumberFromEnv({ key: 'MAX_BODY_BYTES', defaultValue: 6 * MB, min: 1024, integer: true, env }),
    maxImagesPerRequest: getNumberFromEnv({
      key: 'MAX_IMAGES_PER_REQUEST',
      defaultValue: 16,
      min: 1,
      max: 256,
      integer: true,
      env,
    }),
    imageTimeoutSeconds: getNumberFromEnv({
      key: 'IMAGE_TIMEOUT_SECONDS',
      defaultValue: 10,
      min: 1,
      max: 900,
      integer: true,
      env,
    }),
    inferenceTimeoutSeconds: getNumberFromEnv({
      key: 'INFERENCE_TIMEOUT_SECONDS',
      defaultValue: 15,
      min: 0.1,
      max: 900,
      env,
    }),
    engine,
    threads,
    interpreters: resolveInterpreters(threads, env),
  };
};

export type { ServerConfig };
export { loadServerConfig };
