import type { Logger } from '@aws-lambda-powertools/logger';
import { oneLine } from '../errors.js';
import type { BatchResult, S3Upload } from './s3Events.js';

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

export { settleUploads };
