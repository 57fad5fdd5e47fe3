import type { Context } from 'aws-lambda';
import { ObjectStore } from '../../aws/objectStore.js';
import { createS3Client } from '../../aws/s3Client.js';
import { createPredictService } from '../../http/createPredictService.js';
import { s3UploadsHandle, withPowertools } from '../s3EventHandler.js';
import type { BatchResult } from '../s3Events.js';
import type { BatchConfig } from './batchConfig.js';
import { type BatchOperationsResponse, batchOperationsHandle, isBatchOperationsEvent } from './batchOperations.js';
import { type BatchOutcome, processInput } from './processInput.js';

/** The count metric each outcome adds to, from uploads and Batch Operations tasks alike. */
const METRIC_FOR = { ok: 'BatchOutputs', error: 'BatchErrors', skipped: 'BatchSkipped' } as const;

interface BatchInvocationResult extends BatchResult {
  readonly outcomes: BatchOutcome[];
}

/**
 * The batch function: S3 ObjectCreated under inputs/<model>/ (directly or
 * through SQS), and S3 Batch Operations jobs over objects already there.
 * Models come from the same repository, cache and routes as the predict
 * function's; both sources do the same work per object.
 */
const createBatchHandler = (config: BatchConfig) => {
  const service = createPredictService(config.server);
  const client = createS3Client();
  const stores = new Map<string, ObjectStore>();
  const storeFor = (bucket: string): ObjectStore => {
    const existing = stores.get(bucket);
    if (existing) return existing;
    const store = new ObjectStore(client, bucket);
    stores.set(bucket, store);
    return store;
  };
  const { logger, metrics, modelMetrics } = service;
  const work = (bucket: string, input: Parameters<typeof processInput>[0]) =>
    processInput(input, storeFor(bucket), service, config, logger);
  const fromUploads = s3UploadsHandle<BatchOutcome>({
    logger,
    metrics,
    work: (upload) => work(upload.bucket, upload),
    metricFor: METRIC_FOR,
  });
  const fromJob = batchOperationsHandle({ logger, metrics, metricFor: METRIC_FOR, work });
  return withPowertools(
    (event: unknown, _context: Context): Promise<BatchInvocationResult | BatchOperationsResponse> =>
      isBatchOperationsEvent(event) ? fromJob(event) : fromUploads(event),
    { logger, metrics, modelMetrics },
  );
};

export type { BatchInvocationResult };
export { createBatchHandler };
