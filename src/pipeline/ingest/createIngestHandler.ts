import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ObjectStore } from '../../aws/objectStore.js';
import { createS3Client } from '../../aws/s3Client.js';
import { metricsLogger } from '../../serving/metricsLogger.js';
import { s3EventHandler } from '../s3EventHandler.js';
import type { BatchResult } from '../s3Events.js';
import type { IngestConfig } from './ingestConfig.js';
import { type IngestIsolation, type IngestOutcome, ingestUpload } from './ingestUpload.js';

interface IngestResult extends BatchResult {
  readonly outcomes: IngestOutcome[];
}

/** The ingest function: S3 ObjectCreated under uploads/ (directly or through SQS). */
const createIngestHandler = (config: IngestConfig, isolation: IngestIsolation) => {
  const logger = new Logger({ serviceName: 'tflite-serverless' });
  const store = new ObjectStore(createS3Client(), config.bucket);
  return s3EventHandler<IngestOutcome>({
    logger,
    metrics: new Metrics({ namespace: 'tflite-serverless', serviceName: 'ingest', logger: metricsLogger(logger) }),
    // Versions are published to the repository's bucket: uploads elsewhere are a wiring mistake.
    accepts: (upload) => upload.bucket === config.bucket,
    work: (upload) => ingestUpload(upload, store, config, logger, isolation),
    metricFor: {
      published: 'ModelsPublished',
      duplicate: 'UploadsSkipped',
      rejected: 'UploadsRejected',
      skipped: 'UploadsSkipped',
    },
  });
};

export type { IngestResult };
export { createIngestHandler };
