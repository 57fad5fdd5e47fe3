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
}

const MB = 1024 * 1024;

/**
 * MODEL_REPOSITORY (s3://bucket/prefix, required), UPLOAD_PREFIX (default
 * uploads/, same bucket), CALIBRATION_PREFIX (default calibration/), MAX_UPLOAD_MB (default 200), MAX_CALIBRATION_SAMPLES
 * (default 200), TFLITE_NUM_THREADS.
 */
const loadIngestConfig = (env: NodeJS.ProcessEnv = process.env): IngestConfig => {
  const repository = getStringFromEnv({ key: 'MODEL_REPOSITORY', defaultValue: '', env });
  if (!repository.startsWith('s3://'))
    throw new ConfigError(
      `environment variable MODEL_REPOSITORY must be s3://bucket/prefix for ingest, got ${JSON.stringify(repository)}`,
    );
  const { bucket, prefix } = parseS3Url(repository);
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
  };
};

export type { IngestConfig };
export { loadIngestConfig };
