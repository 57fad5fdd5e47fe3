import { randomUUID } from 'node:crypto';
import type { JobDescriptor } from '@aws-sdk/client-s3-control';
import { ObjectStore } from '../../aws/objectStore.js';
import { createS3Client } from '../../aws/s3Client.js';
import { InputError, NotFoundError } from '../../errors.js';
import { accountOfRole, type BackfillJob, backfillJobRequest, type ManifestField, reportPrefix } from './jobRequest.js';

/**
 * S3 Control addresses accounts by host (<account>.s3-control...). A
 * stand-in on a custom endpoint (AWS_ENDPOINT_URL_S3_CONTROL: a recorder,
 * LocalStack) has no such hosts, so there the account is taken back off the
 * host before the request is signed; the x-amz-account-id header still
 * carries it.
 */
const s3Control = async (env: NodeJS.ProcessEnv = process.env) => {
  const { S3ControlClient } = await import('@aws-sdk/client-s3-control');
  const client = new S3ControlClient({});
  if (env.AWS_ENDPOINT_URL_S3_CONTROL ?? env.AWS_ENDPOINT_URL)
    client.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { hostname?: string };
        if (typeof request.hostname === 'string') request.hostname = request.hostname.replace(/^\d{12}\./, '');
        return next(args);
      },
      { step: 'build', name: 'standInAccountHost' },
    );
  return client;
};

/** The caller's account, from STS, when nothing else names it. */
const callerAccount = async (): Promise<string> => {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({});
  try {
    const { Account } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Account) throw new InputError('STS did not say which account these credentials belong to; pass --account-id');
    return Account;
  } finally {
    sts.destroy();
  }
};

interface SubmitOptions extends Omit<BackfillJob, 'manifest' | 'clientRequestToken'> {
  readonly manifest?: { readonly bucket: string; readonly key: string; readonly fields?: readonly ManifestField[] };
  readonly clientRequestToken?: string;
}

interface Submitted {
  readonly jobId: string;
  readonly accountId: string;
  /** Where S3 Batch Operations writes the completion report (job-<id>/ under it). */
  readonly report: string;
}

/** Creates the S3 Batch Operations job for a backfill; the manifest's ETag is read here, as CreateJob requires it. */
const submitBackfill = async (options: SubmitOptions): Promise<Submitted> => {
  const accountId = accountOfRole(options.roleArn) ?? (await callerAccount());
  let manifest: BackfillJob['manifest'];
  if (options.manifest) {
    const s3 = createS3Client();
    try {
      const etag = await new ObjectStore(s3, options.manifest.bucket).etag(options.manifest.key);
      if (!etag) throw new NotFoundError(`no manifest at s3://${options.manifest.bucket}/${options.manifest.key}`);
      manifest = { ...options.manifest, etag };
    } finally {
      s3.destroy();
    }
  }
  const { manifest: _located, ...rest } = options;
  const request = backfillJobRequest(
    { ...rest, clientRequestToken: options.clientRequestToken ?? randomUUID(), ...(manifest && { manifest }) },
    accountId,
  );
  const { CreateJobCommand } = await import('@aws-sdk/client-s3-control');
  const client = await s3Control();
  try {
    const { JobId } = await client.send(new CreateJobCommand(request));
    if (!JobId) throw new InputError('S3 Control created no job id');
    return { jobId: JobId, accountId, report: `s3://${options.bucket}/${reportPrefix(options)}/job-${JobId}/` };
  } finally {
    client.destroy();
  }
};

interface JobStatus {
  readonly jobId: string;
  readonly status: string;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly elapsedSeconds: number;
  readonly reason?: string;
  readonly failureReasons: readonly string[];
  readonly report?: string;
}

const statusOf = (job: JobDescriptor, jobId: string): JobStatus => {
  const progress = job.ProgressSummary ?? {};
  const report = job.Report?.Enabled && job.Report.Bucket ? job.Report : undefined;
  return {
    jobId,
    status: job.Status ?? 'Unknown',
    total: progress.TotalNumberOfTasks ?? 0,
    succeeded: progress.NumberOfTasksSucceeded ?? 0,
    failed: progress.NumberOfTasksFailed ?? 0,
    elapsedSeconds: progress.Timers?.ElapsedTimeInActiveSeconds ?? 0,
    ...(job.StatusUpdateReason && { reason: job.StatusUpdateReason }),
    failureReasons: (job.FailureReasons ?? []).map((f) => [f.FailureCode, f.FailureReason].filter(Boolean).join(': ')),
    ...(report && {
      report: `s3://${report.Bucket!.replace(/^arn:aws[a-z-]*:s3:::/, '')}/${report.Prefix ? `${report.Prefix}/` : ''}job-${jobId}/`,
    }),
  };
};

/** A job's progress, from S3 Control DescribeJob. */
const backfillStatus = async (jobId: string, accountId?: string): Promise<JobStatus> => {
  const account = accountId ?? (await callerAccount());
  const { DescribeJobCommand } = await import('@aws-sdk/client-s3-control');
  const client = await s3Control();
  try {
    const { Job } = await client.send(new DescribeJobCommand({ AccountId: account, JobId: jobId }));
    if (!Job) throw new NotFoundError(`S3 Control knows no job ${jobId} in account ${account}`);
    return statusOf(Job, jobId);
  } finally {
    client.destroy();
  }
};

export type { JobStatus, SubmitOptions, Submitted };
export { backfillStatus, submitBackfill };
