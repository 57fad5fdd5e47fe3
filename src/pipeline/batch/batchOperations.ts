import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3BatchResultResult, S3BatchResultResultCode } from 'aws-lambda';
import { oneLine, toError } from '../../errors.js';
import { decodeKey } from '../s3Events.js';
import { BATCH_JOB_ARGUMENTS as ARGUMENTS } from './jobArguments.js';
import type { BatchInput, BatchOutcome } from './processInput.js';
import { RetryableBatchError } from './processInput.js';

/**
 * An S3 Batch Operations LambdaInvoke payload. Schema 2.0 names the bucket
 * and carries the job's user arguments; 1.0 gives the bucket's ARN.
 */
interface BatchOperationsEvent {
  readonly invocationSchemaVersion: string;
  readonly invocationId: string;
  readonly job: { readonly id: string; readonly userArguments?: Readonly<Record<string, string>> };
  readonly tasks: readonly BatchOperationsTask[];
}

interface BatchOperationsTask {
  readonly taskId: string;
  readonly s3Key: string;
  readonly s3VersionId?: string | null;
  readonly s3Bucket?: string;
  readonly s3BucketArn?: string;
}

interface BatchOperationsResponse {
  readonly invocationSchemaVersion: string;
  readonly treatMissingKeysAs: S3BatchResultResultCode;
  readonly invocationId: string;
  readonly results: S3BatchResultResult[];
}

/** Batch Operations keeps result strings in its completion report; long ones only bloat it. */
const MAX_RESULT = 1000;

const isBatchOperationsEvent = (event: unknown): event is BatchOperationsEvent => {
  const candidate = event as Partial<BatchOperationsEvent> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.invocationSchemaVersion === 'string' &&
    Array.isArray(candidate.tasks)
  );
};

/** S3 status codes and SDK error names worth another try; anything else is the object's or the job's own fault. */
const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

const isRetryable = (error: unknown): boolean => {
  if (error instanceof RetryableBatchError) return true;
  const e = error as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    e.$retryable !== undefined ||
    status >= 500 ||
    status === 429 ||
    RETRYABLE_NAMES.has(e.name ?? '') ||
    RETRYABLE_CODES.has(e.code ?? '')
  );
};

/** The task's bucket name: named in schema 2.0, an ARN (arn:aws:s3:::name) in 1.0. */
const bucketOf = (task: BatchOperationsTask): string | undefined =>
  task.s3Bucket ?? task.s3BucketArn?.split(':::')[1] ?? task.s3BucketArn?.split(':').pop();

const result = (taskId: string, resultCode: S3BatchResultResultCode, text: string): S3BatchResultResult => ({
  taskId,
  resultCode,
  resultString: text.length > MAX_RESULT ? `${text.slice(0, MAX_RESULT - 1)}…` : text,
});

interface BatchOperationsOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The count metric each outcome status adds to, as for uploads. */
  readonly metricFor: Readonly<Record<BatchOutcome['status'], string>>;
  readonly work: (bucket: string, input: BatchInput) => Promise<BatchOutcome>;
}

/**
 * Answers an S3 Batch Operations invocation task by task with the same work
 * as an upload's: Succeeded with the output's key (the completion report
 * lists it), PermanentFailure for what another try cannot fix (a bad image,
 * an unknown model, a key outside the inputs prefix, a vanished object),
 * TemporaryFailure for what it can (throttling, S3 unavailable, a model
 * that cannot load yet); Batch Operations redrives those.
 */
const batchOperationsHandle = (options: BatchOperationsOptions) => {
  const { logger, metrics } = options;
  const count = (status: BatchOutcome['status']) => metrics.addMetric(options.metricFor[status], 'Count', 1);
  const runTask = async (task: BatchOperationsTask, job: BatchOperationsEvent['job']): Promise<S3BatchResultResult> => {
    const key = decodeKey(String(task.s3Key ?? ''));
    const bucket = bucketOf(task);
    if (key === undefined || key === '' || !bucket)
      return result(task.taskId, 'PermanentFailure', `the task names no readable bucket and key: ${task.s3Key}`);
    const args = job.userArguments ?? {};
    const modelVersion = args[ARGUMENTS.modelVersion];
    if (modelVersion !== undefined && !/^[1-9]\d*$/.test(modelVersion))
      return result(
        task.taskId,
        'PermanentFailure',
        `job argument modelVersion must be a version number: ${modelVersion}`,
      );
    try {
      const outcome = await options.work(bucket, {
        key,
        ...(task.s3VersionId && { versionId: task.s3VersionId }),
        ...(args[ARGUMENTS.model] && { model: args[ARGUMENTS.model] }),
        ...(modelVersion && { modelVersion: Number(modelVersion) }),
      });
      switch (outcome.status) {
        case 'ok':
          count('ok');
          return result(task.taskId, 'Succeeded', outcome.output);
        case 'error':
          count('error');
          return result(task.taskId, 'PermanentFailure', `${oneLine(outcome.error)} (see ${outcome.output})`);
        case 'skipped':
          count('skipped');
          return result(task.taskId, 'PermanentFailure', `skipped: ${outcome.reason}`);
      }
    } catch (error) {
      const message = oneLine(toError(error).message);
      if (isRetryable(error)) {
        logger.warn('task failed; Batch Operations will retry it', { key, error: error as Error });
        return result(task.taskId, 'TemporaryFailure', message);
      }
      logger.error('task failed', { key, error: error as Error });
      count('error');
      return result(task.taskId, 'PermanentFailure', message);
    }
  };
  return async (event: BatchOperationsEvent): Promise<BatchOperationsResponse> => {
    const results: S3BatchResultResult[] = [];
    for (const task of event.tasks) results.push(await runTask(task, event.job));
    return {
      invocationSchemaVersion: event.invocationSchemaVersion,
      treatMissingKeysAs: 'PermanentFailure',
      invocationId: event.invocationId,
      results,
    };
  };
};

export type { BatchOperationsEvent, BatchOperationsResponse };
export { batchOperationsHandle, isBatchOperationsEvent };
