import { S3Client } from '@aws-sdk/client-s3';

/**
 * One S3 client per process. An S3 stand-in on a custom endpoint
 * (AWS_ENDPOINT_URL_S3, e.g. s3rver or MinIO) needs path-style addressing;
 * real S3 gets virtual-hosted style.
 */
const createS3Client = (env: NodeJS.ProcessEnv = process.env): S3Client =>
  new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) });

export { createS3Client };
