import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createS3Client } from '../../aws/s3Client.js';
import { settleUploads } from '../handlerResult.js';
import { ObjectStore } from '../objectStore.js';
import { type BatchResult, s3Uploads } from '../s3Events.js';
import type { IngestConfig } from './ingestConfig.js';
import { type IngestOutcome, ingestUpload } from './ingestUpload.js';

interface IngestResult extends BatchResult {
  readonly outcomes: IngestOutcome[];
}

/** The ingest function: S3 ObjectCreated under uploads/ (directly or through SQS). */
const createIngestHandler = (config: IngestConfig) => {
  const logger = new Logger({ serviceName: 'tflite-serverless' });
  const metrics = new Metrics({ namespace: 'tflite-serverless', serviceName: 'ingest' });
  const store = new ObjectStore(createS3Client(), config.bucket);
  const ingest = async (event: unknown, _context: Context): Promise<IngestResult> => {
    const { uploads, unreadable } = s3Uploads(event);
    // Versions are published to the repository's bucket: uploads elsewhere are a wiring mistake.
    const mine = uploads.filter((u) => u.bucket === config.bucket);
    if (mine.length < uploads.length)
      logger.warn('uploads from another bucket ignored', {
        bucket: config.bucket,
        ignored: uploads.length - mine.length,
      });
    const { results, batch } = await settleUploads(
      mine,
      unreadable,
      async (upload) => {
        const outcome = await ingestUpload(upload, store, config, logger);
        metrics.addMetric(
          outcome.status === 'published'
            ? 'ModelsPublished'
            : outcome.status === 'rejected'
              ? 'UploadsRejected'
              : 'UploadsSkipped',
          'Count',
          1,
        );
        return outcome;
      },
      logger,
    );
    return { outcomes: results, ...batch };
  };
  return middy(ingest).use(injectLambdaContext(logger)).use(logMetrics(metrics));
};

export type { IngestResult };
export { createIngestHandler };
