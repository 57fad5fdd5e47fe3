import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ServiceSettings } from './serviceProps.js';

/**
 * The model bucket: versioned (a bad publish can be rolled back), encrypted,
 * never public, TLS only, old versions expired, access logged to a second
 * bucket, and kept when the stack goes unless the user opts out.
 */
const createModelBucket = (scope: Construct, settings: ServiceSettings): s3.Bucket => {
  const removal = settings.retainModels ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  const accessLogs = new s3.Bucket(scope, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ expiration: Duration.days(90) }],
    removalPolicy: removal,
    autoDeleteObjects: !settings.retainModels,
  });
  Validations.of(accessLogs).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This is the access log bucket of the model bucket; logging it would recurse.',
  });
  return new s3.Bucket(scope, 'Models', {
    versioned: true,
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: 'models-bucket/',
    lifecycleRules: [
      { noncurrentVersionExpiration: Duration.days(settings.noncurrentVersionDays) },
      { abortIncompleteMultipartUploadAfter: Duration.days(7) },
    ],
    removalPolicy: removal,
    autoDeleteObjects: !settings.retainModels,
  });
};

export { createModelBucket };
