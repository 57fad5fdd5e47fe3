/**
 * The S3 Batch Operations job arguments (LambdaInvoke UserArguments, schema
 * 2.0) that `tfls batch submit` sets and the batch function reads.
 */
const BATCH_JOB_ARGUMENTS = { model: 'model', modelVersion: 'modelVersion' } as const;

export { BATCH_JOB_ARGUMENTS };
