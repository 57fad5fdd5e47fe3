import { ObjectStore } from '../../aws/objectStore.js';
import { createS3Client } from '../../aws/s3Client.js';
import { createPredictService } from '../../http/createPredictService.js';
import { s3EventHandler } from '../s3EventHandler.js';
import type { BatchResult } from '../s3Events.js';
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
  const client = createS3Client();
  const stores = new Map<string, ObjectStore>();
  const storeFor = (bucket: string): ObjectStore => {
    const existing = stores.get(bucket);
    if (existing) return existing;
    const store = new ObjectStore(client, bucket);
    stores.set(bucket, store);
    return store;
  };
  return s3EventHandler<BatchOutcome>({
    logger: service.logger,
    metrics: service.metrics,
    modelMetrics: service.modelMetrics,
    work: (upload) => processInput(upload, storeFor(upload.bucket), service, config, service.logger),
    metricFor: { ok: 'BatchOutputs', error: 'BatchErrors', skipped: 'BatchSkipped' },
  });
};

export type { BatchInvocationResult };
export { createBatchHandler };
