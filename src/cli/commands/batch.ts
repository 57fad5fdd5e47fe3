import type { ManifestField } from '../../pipeline/backfill/jobRequest.js';
import { isModelName } from '../../repository/names.js';
import { parseS3Url } from '../../repository/s3Url.js';
import { type Command, integerFlag, type ParsedArgs, stringFlag, UsageError } from '../command.js';
import { json, table } from '../format.js';

const FIELDS: readonly ManifestField[] = ['Bucket', 'Key', 'VersionId'];

/** s3://bucket/prefix, keeping the prefix as typed (a trailing "/" matters to a key prefix). */
const s3Location = (url: string, what: string): { bucket: string; prefix: string } => {
  const { bucket } = parseS3Url(url, what);
  return { bucket, prefix: url.slice(`s3://${bucket}/`.length) };
};

/** A flag's value, else the environment's, else a usage error naming both. */
const required = (args: ParsedArgs, flag: string, env: string): string => {
  const value = stringFlag(args, flag) ?? process.env[env];
  if (!value) throw new UsageError(`missing --${flag} (or ${env}); the stack's outputs give it`);
  return value;
};

const manifestFields = (args: ParsedArgs): ManifestField[] | undefined => {
  const text = stringFlag(args, 'manifest-fields');
  if (text === undefined) return undefined;
  const fields = text.split(',').map((f) => f.trim());
  if (
    fields[0] !== 'Bucket' ||
    fields[1] !== 'Key' ||
    fields.length > 3 ||
    !fields.every((f) => FIELDS.includes(f as ManifestField))
  )
    throw new UsageError(`--manifest-fields must be Bucket,Key or Bucket,Key,VersionId, got ${JSON.stringify(text)}`);
  return fields as ManifestField[];
};

const submit = async (args: ParsedArgs, target: string | undefined, io: Parameters<Command['run']>[1]) => {
  if (!target) throw new UsageError('missing <s3://bucket/prefix>');
  const model = stringFlag(args, 'model');
  if (!model) throw new UsageError('missing --model NAME');
  if (!isModelName(model)) throw new UsageError(`--model ${JSON.stringify(model)} is not a model name`);
  const inputsPrefix = stringFlag(args, 'inputs-prefix') ?? 'inputs/';
  const outputsPrefix = stringFlag(args, 'outputs-prefix') ?? 'outputs/';
  for (const [flag, value] of [
    ['inputs-prefix', inputsPrefix],
    ['outputs-prefix', outputsPrefix],
  ] as const)
    if (!value.endsWith('/') || value.startsWith('/'))
      throw new UsageError(`--${flag} must be a key prefix ending with "/", got ${JSON.stringify(value)}`);
  const { bucket, prefix } = s3Location(target, 'the objects');
  const manifestUrl = stringFlag(args, 'manifest');
  const manifest = manifestUrl ? s3Location(manifestUrl, '--manifest') : undefined;
  if (manifest && !manifest.prefix) throw new UsageError('--manifest must name an object: s3://bucket/key');
  // The batch function may only read under the inputs prefix: a job over other keys would fail every task.
  const keyPrefix = `${prefix}/` === inputsPrefix ? inputsPrefix : prefix;
  if (!manifest && !keyPrefix.startsWith(inputsPrefix))
    throw new UsageError(
      `the batch function reads objects under ${inputsPrefix} only: give s3://${bucket}/${inputsPrefix}... (or --inputs-prefix as deployed)`,
    );
  const fields = manifestFields(args);
  const modelVersion = integerFlag(args, 'model-version', undefined, 1);
  const { submitBackfill } = await import('../../pipeline/backfill/backfillJobs.js');
  const submitted = await submitBackfill({
    bucket,
    prefix: keyPrefix,
    model,
    ...(modelVersion !== undefined && { modelVersion }),
    functionArn: required(args, 'function-arn', 'TFLS_BATCH_FUNCTION_ARN'),
    roleArn: required(args, 'role-arn', 'TFLS_BATCH_ROLE_ARN'),
    ...(manifest && { manifest: { bucket: manifest.bucket, key: manifest.prefix, ...(fields && { fields }) } }),
    outputsPrefix,
    priority: integerFlag(args, 'priority', 10, 0, 2147483647)!,
  });
  if (args.values.json) {
    io.stdout.write(json(submitted));
    return 0;
  }
  io.stdout.write(
    `created S3 Batch Operations job ${submitted.jobId}\n${table([
      ['model', modelVersion === undefined ? model : `${model} version ${modelVersion}`],
      [
        'objects',
        manifest ? `listed in s3://${manifest.bucket}/${manifest.prefix}` : `under s3://${bucket}/${keyPrefix}`,
      ],
      ['outputs', `s3://${bucket}/${outputsPrefix}${model}/`],
      ['report', submitted.report],
    ])}follow it: tfls batch status ${submitted.jobId} --account-id ${submitted.accountId}\n`,
  );
  return 0;
};

const status = async (args: ParsedArgs, jobId: string | undefined, io: Parameters<Command['run']>[1]) => {
  if (!jobId) throw new UsageError('missing <job-id>');
  const accountId = stringFlag(args, 'account-id');
  if (accountId !== undefined && !/^\d{12}$/.test(accountId))
    throw new UsageError(`--account-id must be 12 digits, got ${JSON.stringify(accountId)}`);
  const { backfillStatus } = await import('../../pipeline/backfill/backfillJobs.js');
  const job = await backfillStatus(jobId, accountId);
  if (args.values.json) {
    io.stdout.write(json(job));
    return 0;
  }
  const left = Math.max(0, job.total - job.succeeded - job.failed);
  io.stdout.write(
    `job ${job.jobId}: ${job.status}${job.reason ? ` (${job.reason})` : ''}\n${table([
      ['tasks', `${job.total} (${job.succeeded} succeeded, ${job.failed} failed, ${left} to go)`],
      ['elapsed', `${job.elapsedSeconds} s`],
      ...(job.report ? [['report', job.report]] : []),
      ...job.failureReasons.map((reason) => ['failure', reason]),
    ])}`,
  );
  return 0;
};

const batch: Command = {
  name: 'batch',
  summary: 'backfill objects already in S3 with S3 Batch Operations',
  help: `Usage: tfls batch submit <s3://bucket/prefix> --model NAME [options]
       tfls batch status <job-id> [--account-id ID] [--json]

submit creates an S3 Batch Operations job that invokes the batch function
on every object under the prefix (or listed in --manifest), as uploads to
inputs/ are: answers go to outputs/<model>/..., bad inputs get .error.json
files, and the job's completion report goes to outputs/<model>/_reports/.
AWS runs and retries the job; status shows its progress. Credentials and
region come from the usual AWS chain (AWS_PROFILE, AWS_REGION, ...).

Options (submit):
  --model NAME          the model that answers (required)
  --model-version N     a fixed model version (default: the latest at each task)
  --function-arn ARN    the batch function (or TFLS_BATCH_FUNCTION_ARN; stack output BatchFunctionArn)
  --role-arn ARN        the role S3 Batch Operations assumes (or TFLS_BATCH_ROLE_ARN;
                        stack output BatchOperationsRoleArn)
  --manifest S3URL      a manifest instead of listing the prefix: a CSV of bucket,key
                        (URL-encoded keys) or an S3 Inventory manifest.json
  --manifest-fields F   the CSV's columns: Bucket,Key (default) or Bucket,Key,VersionId
  --inputs-prefix P     the stack's inputs prefix (default inputs/); the function reads only there
  --outputs-prefix P    the stack's outputs prefix (default outputs/)
  --priority N          the job's priority (default 10)
  --json                print {jobId, accountId, report}

Options (status):
  --account-id ID       the job's account (default: the caller's, from STS)
  --json                print {jobId, status, total, succeeded, failed, elapsedSeconds,
                        reason, failureReasons, report}
`,
  options: {
    model: { type: 'string' },
    'model-version': { type: 'string' },
    'function-arn': { type: 'string' },
    'role-arn': { type: 'string' },
    manifest: { type: 'string' },
    'manifest-fields': { type: 'string' },
    'inputs-prefix': { type: 'string' },
    'outputs-prefix': { type: 'string' },
    priority: { type: 'string' },
    'account-id': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const [action, target, extra] = args.positionals;
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
    if (action === 'submit') return submit(args, target, io);
    if (action === 'status') return status(args, target, io);
    throw new UsageError(
      action === undefined ? 'missing <submit|status>' : `unknown action ${JSON.stringify(action)}: submit or status`,
    );
  },
};

export { batch };
