import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createS3Client } from '../../aws/s3Client.js';
import { createPredictService } from '../../http/createPredictService.js';
import { settleUploads } from '../handlerResult.js';
import { ObjectStore } from '../objectStore.js';
import { type BatchResult, s3Uploads } from '../s3Events.js';
import type { BatchConfig } from './batchConfig.js';
import { type BatchOutcome, processInput } from './processInput.js';

interface BatchInvocationResult extends BatchResult {
  readonly outcomes: BatchOutcome[];
}

/**
 * The batch function: S3 ObjectCreated under inputs/<model>/ (directly or
 * through SQS). Models come from the same repository, cache and routes as
 * the predict function's.
 */
const createBatchHandler = (config: BatchConfig) => {
  const service = createPredictService(config.server);
  const { logger, metrics } = service;
  const client = createS3Client();
  const stores = new Map<string, ObjectStore>();
  const storeFor = (bucket: string): ObjectStore => {
    const existing = stores.get(bucket);
    if (existing) return existing;
    const store = new ObjectStore(client, bucket);
    stores.set(bucket, store);
    return store;
  };
  const batch = async (event: unknown, _context: Context): Promise<BatchInvocationResult> => {
    const { uploads, unreadable } = s3Uploads(event);
    const { results, batch: failures } = await settleUploads(
      uploads,
      unreadable,
      async (upload) => {
        const outcome = await processInput(upload, storeFor(upload.bucket), service, config, logger);
        metrics.addMetric(
          outcome.status === 'ok' ? 'BatchOutputs' : outcome.status === 'error' ? 'BatchErrors' : 'BatchSkipped',
          'Count',
          1,
        );
        return outcome;
      },
      logger,
    );
    return { outcomes: results, ...failures };
  };
  return middy(batch).use(injectLambdaContext(logger)).use(logMetrics(metrics));
};

export type { BatchInvocationResult };
export { createBatchHandler };
