import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { oneLine } from '../errors.js';
import type { ModelMetrics } from '../serving/modelMetrics.js';
import { type BatchResult, type S3Upload, s3Uploads } from './s3Events.js';

/**
 * Runs `work` for every upload of an event, one at a time, and settles the
 * invocation as its source expects. Problems with the input itself are the
 * work's to record (error files); what is left are failures worth a retry
 * (S3 unavailable, throttling). Through SQS they become batchItemFailures,
 * so that only those messages come back; invoked by S3 directly, the
 * invocation fails once all records were tried, and Lambda's async retry
 * repeats the event, whose finished records are no-ops the second time.
 */
const settleUploads = async <T>(
  uploads: readonly S3Upload[],
  unreadable: readonly string[],
  work: (upload: S3Upload) => Promise<T>,
  logger: Logger,
): Promise<{ results: T[]; batch: BatchResult }> => {
  const results: T[] = [];
  const failedMessages = new Set(unreadable);
  const failures: string[] = [];
  for (const upload of uploads) {
    try {
      results.push(await work(upload));
    } catch (error) {
      logger.error('record failed; it will be retried', { key: upload.key, error: error as Error });
      failures.push(`${upload.key}: ${oneLine((error as Error).message)}`);
      if (upload.messageId !== undefined) failedMessages.add(upload.messageId);
    }
  }
  const viaSqs = uploads.some((u) => u.messageId !== undefined) || unreadable.length > 0;
  if (failures.length > 0 && !viaSqs)
    throw new Error(`${failures.length} of ${uploads.length} records failed: ${failures.join('; ')}`);
  return { results, batch: { batchItemFailures: [...failedMessages].map((itemIdentifier) => ({ itemIdentifier })) } };
};

interface S3HandlerOptions<T extends { readonly status: string }> {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Uploads this function takes; the others are logged and left alone. */
  readonly accepts?: (upload: S3Upload) => boolean;
  readonly work: (upload: S3Upload) => Promise<T>;
  /** The count metric each outcome status adds to. */
  readonly metricFor: Readonly<Record<T['status'], string>>;
  /** Per-model prediction metrics the work records, published with the invocation's own. */
  readonly modelMetrics?: ModelMetrics;
}

/**
 * Handles S3 ObjectCreated notifications, direct or through SQS: each
 * accepted upload through `work`, its outcome counted, failures settled as
 * the source expects.
 */
const s3UploadsHandle = <T extends { readonly status: string }>(options: S3HandlerOptions<T>) => {
  const { logger, metrics } = options;
  return async (event: unknown): Promise<BatchResult & { outcomes: T[] }> => {
    const { uploads, unreadable, malformed } = s3Uploads(event);
    if (malformed.length > 0)
      logger.error('records whose keys are not valid percent-encoding were left alone', { keys: malformed });
    const accepted = options.accepts ? uploads.filter(options.accepts) : uploads;
    if (accepted.length < uploads.length)
      logger.warn('uploads this function does not take were ignored', { ignored: uploads.length - accepted.length });
    const { results, batch } = await settleUploads(
      accepted,
      unreadable,
      async (upload) => {
        const outcome = await options.work(upload);
        metrics.addMetric(options.metricFor[outcome.status as T['status']], 'Count', 1);
        return outcome;
      },
      logger,
    );
    return { outcomes: results, ...batch };
  };
};

/** Powertools logging and metrics (and the per-model metrics, when given) around a handler. */
const withPowertools = <E, R>(
  handle: (event: E, context: Context) => Promise<R>,
  options: Pick<S3HandlerOptions<{ status: string }>, 'logger' | 'metrics' | 'modelMetrics'>,
) => {
  const handler = middy(handle).use(injectLambdaContext(options.logger)).use(logMetrics(options.metrics));
  return options.modelMetrics ? handler.use(options.modelMetrics.middleware()) : handler;
};

/** A Lambda handler for S3 ObjectCreated notifications, with Powertools around it. */
const s3EventHandler = <T extends { readonly status: string }>(options: S3HandlerOptions<T>) => {
  const handle = s3UploadsHandle(options);
  return withPowertools((event: unknown, _context: Context) => handle(event), options);
};

export { s3EventHandler, s3UploadsHandle, withPowertools };
