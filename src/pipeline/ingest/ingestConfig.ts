import { getNumberFromEnv, getStringFromEnv, keyPrefix } from '../../config/env.js';
import { resolveThreads } from '../../engine/threads.js';
import { ConfigError } from '../../errors.js';
import { parseS3Url } from '../../repository/s3Url.js';

/** The ingest function's settings, read once from the environment. */
interface IngestConfig {
  /** Where versions are published: MODEL_REPOSITORY, s3://bucket/prefix. */
  readonly bucket: string;
  readonly modelsPrefix: string;
  /** Where uploads arrive (and error files go): UPLOAD_PREFIX, default uploads/. */
  readonly uploadsPrefix: string;
  /** Where a policy's calibration samples may be (CALIBRATION_PREFIX, default calibration/): what the function may read. */
  readonly calibrationPrefix: string;
  readonly maxUploadBytes: number;
  readonly maxCalibrationSamples: number;
  readonly threads: number;
  /** An upload's checks and compression stop after this (INGEST_CHECK_TIMEOUT_SECONDS). */
  readonly checkTimeoutSeconds: number;
  /** ... or past this much resident memory (INGEST_CHECK_MEMORY_MB). */
  readonly checkMemoryBytes: number;
}

const MB = 1024 * 1024;

/**
 * MODEL_REPOSITORY (s3://bucket/prefix, required), UPLOAD_PREFIX (default
 * uploads/, same bucket), CALIBRATION_PREFIX (default calibration/), MAX_UPLOAD_MB (default 200), MAX_CALIBRATION_SAMPLES
 * (default 200), TFLITE_NUM_THREADS, INGEST_CHECK_TIMEOUT_SECONDS (default 600: the
 * checks, and compression, which may take minutes), INGEST_CHECK_MEMORY_MB (default: 3/4 of
 * the function's memory, else 2048): the limits of the process the checks run in.
 */
const loadIngestConfig = (env: NodeJS.ProcessEnv = process.env): IngestConfig => {
  const repository = getStringFromEnv({ key: 'MODEL_REPOSITORY', defaultValue: '', env });
  if (!repository.startsWith('s3://'))
    throw new ConfigError(
      `environment variable MODEL_REPOSITORY must be s3://bucket/prefix for ingest, got ${JSON.stringify(repository)}`,
    );
  const { bucket, prefix } = parseS3Url(repository);
  const lambdaMemoryMb = getNumberFromEnv({ key: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', defaultValue: 0, min: 128, env });
  return {
    bucket,
    modelsPrefix: prefix ? `${prefix}/` : '',
    uploadsPrefix: keyPrefix(getStringFromEnv({ key: 'UPLOAD_PREFIX', defaultValue: 'uploads/', env })),
    calibrationPrefix: keyPrefix(getStringFromEnv({ key: 'CALIBRATION_PREFIX', defaultValue: 'calibration/', env })),
    maxUploadBytes: getNumberFromEnv({ key: 'MAX_UPLOAD_MB', defaultValue: 200, min: 0.001, env }) * MB,
    maxCalibrationSamples: getNumberFromEnv({
      key: 'MAX_CALIBRATION_SAMPLES',
      defaultValue: 200,
      min: 1,
      integer: true,
      env,
    }),
    threads: resolveThreads(undefined, env),
    checkTimeoutSeconds: getNumberFromEnv({
      key: 'INGEST_CHECK_TIMEOUT_SECONDS',
      defaultValue: 600,
      min: 1,
      max: 900,
      env,
    }),
    checkMemoryBytes:
      getNumberFromEnv({
        key: 'INGEST_CHECK_MEMORY_MB',
        defaultValue: lambdaMemoryMb > 0 ? Math.floor((lambdaMemoryMb * 3) / 4) : 2048,
        min: 64,
        env,
      }) * MB,
  };
};

export type { IngestConfig };
export { loadIngestConfig };
