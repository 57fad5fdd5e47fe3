import type { CreateJobCommandInput } from '@aws-sdk/client-s3-control';
import { BATCH_JOB_ARGUMENTS } from '../batch/jobArguments.js';

/** What a backfill job needs: where the objects are, which model answers, and the deployed pieces. */
interface BackfillJob {
  readonly bucket: string;
  /** Key prefix of the objects, for the manifest generator; ignored with `manifest`. */
  readonly prefix: string;
  readonly model: string;
  readonly modelVersion?: number;
  /** The batch function (its ARN, optionally with a version or alias). */
  readonly functionArn: string;
  /** The role S3 Batch Operations assumes (the stack's BatchOperationsRoleArn output). */
  readonly roleArn: string;
  /** A manifest already in S3: a CSV of bucket,key[,version] or an S3 Inventory manifest.json. */
  readonly manifest?: {
    readonly bucket: string;
    readonly key: string;
    readonly etag: string;
    readonly fields?: readonly ManifestField[];
  };
  /** Where outputs go (OUTPUT_PREFIX); the completion report goes under <outputs><model>/_reports. */
  readonly outputsPrefix: string;
  readonly priority: number;
  /** Makes a repeated submission (a retried call) create one job, not two. */
  readonly clientRequestToken: string;
}

type ManifestField = 'Bucket' | 'Key' | 'VersionId';

/** The account that owns a role: arn:aws:iam::<account>:role/<name>. */
const accountOfRole = (roleArn: string): string | undefined =>
  /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(roleArn)?.[1];

const reportPrefix = (job: Pick<BackfillJob, 'outputsPrefix' | 'model'>): string =>
  `${job.outputsPrefix}${job.model}/_reports`;

/**
 * The S3 Control CreateJob request for a backfill: every object under the
 * prefix (or in the manifest) to the batch function through LambdaInvoke
 * schema 2.0, the model named in the job's arguments, a completion report
 * of all tasks beside the outputs.
 */
const backfillJobRequest = (job: BackfillJob, accountId: string): CreateJobCommandInput => {
  const bucketArn = `arn:aws:s3:::${job.bucket}`;
  const manifestSource: Pick<CreateJobCommandInput, 'Manifest' | 'ManifestGenerator'> = job.manifest
    ? {
        Manifest: job.manifest.key.endsWith('manifest.json')
          ? {
              Spec: { Format: 'S3InventoryReport_CSV_20161130' },
              Location: {
                ObjectArn: `arn:aws:s3:::${job.manifest.bucket}/${job.manifest.key}`,
                ETag: job.manifest.etag,
              },
            }
          : {
              Spec: {
                Format: 'S3BatchOperations_CSV_20180820',
                Fields: [...(job.manifest.fields ?? ['Bucket', 'Key'])],
              },
              Location: {
                ObjectArn: `arn:aws:s3:::${job.manifest.bucket}/${job.manifest.key}`,
                ETag: job.manifest.etag,
              },
            },
      }
    : {
        ManifestGenerator: {
          S3JobManifestGenerator: {
            ExpectedBucketOwner: accountId,
            SourceBucket: bucketArn,
            EnableManifestOutput: false,
            Filter: {
              KeyNameConstraint: { MatchAnyPrefix: [job.prefix] },
              // Folder placeholders are not inputs.
              ObjectSizeGreaterThanBytes: 0,
            },
          },
        },
      };
  return {
    AccountId: accountId,
    ConfirmationRequired: false,
    Operation: {
      LambdaInvoke: {
        FunctionArn: job.functionArn,
        InvocationSchemaVersion: '2.0',
        UserArguments: {
          [BATCH_JOB_ARGUMENTS.model]: job.model,
          ...(job.modelVersion !== undefined && { [BATCH_JOB_ARGUMENTS.modelVersion]: String(job.modelVersion) }),
        },
      },
    },
    ...manifestSource,
    Report: {
      Bucket: bucketArn,
      Format: 'Report_CSV_20180820',
      Enabled: true,
      Prefix: reportPrefix(job),
      ReportScope: 'AllTasks',
      ExpectedBucketOwner: accountId,
    },
    ClientRequestToken: job.clientRequestToken,
    Description:
      `tflite-serverless backfill: ${job.model} on s3://${job.bucket}/${job.manifest ? job.manifest.key : job.prefix}`.slice(
        0,
        256,
      ),
    Priority: job.priority,
    RoleArn: job.roleArn,
  };
};

export type { BackfillJob, ManifestField };
export { accountOfRole, backfillJobRequest, reportPrefix };
