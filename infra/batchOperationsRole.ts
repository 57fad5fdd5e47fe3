import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { BucketPrefixes } from './serviceProps.js';

/** Where S3 Batch Operations writes a backfill's completion report: `tfls batch submit` puts it under outputs/<model>/_reports. */
const reportKeys = (prefixes: BucketPrefixes): string => `${prefixes.outputs}*/_reports/*`;

/**
 * The role S3 Batch Operations assumes for a backfill (`tfls batch submit`):
 * list the bucket for the manifest generator, read manifests, write
 * completion reports, invoke the batch function. It reads no inputs itself:
 * the batch function does, with its own role.
 */
class BatchOperationsRole extends Construct {
  public readonly role: iam.Role;

  public constructor(
    scope: Construct,
    id: string,
    props: { bucket: s3.IBucket; prefixes: BucketPrefixes; batch: lambda.IFunction },
  ) {
    super(scope, id);
    const { bucket, prefixes, batch } = props;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('batchoperations.s3.amazonaws.com'),
      description: 'tflite-serverless: S3 Batch Operations backfills through the batch function',
    });
    // The manifest generator lists the source bucket; S3 does not document that it lists by the
    // job's prefix filter, so an s3:prefix condition could fail jobs. Listing reveals key names only.
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [bucket.arnForObjects(`${prefixes.manifests}*`)],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(reportKeys(prefixes))] }),
    );
    // A job may name the function, or one of its versions or aliases.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [batch.functionArn, `${batch.functionArn}:*`],
      }),
    );
    const stack = Stack.of(this);
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    const batchId = stack.getLogicalId(batch.node.defaultChild as lambda.CfnFunction);
    const acknowledge = (resource: string, reason: string) =>
      Validations.of(this.role).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`, reason });
    acknowledge(`<${bucketId}.Arn>/${prefixes.manifests}*`, 'Backfill manifests are read under their own prefix only.');
    acknowledge(
      `<${bucketId}.Arn>/${reportKeys(prefixes)}`,
      'Completion reports are written under outputs/<model>/_reports/ only, for whichever model a job names.',
    );
    acknowledge(`<${batchId}.Arn>:*`, 'A job may invoke the batch function by any of its versions or aliases.');
  }
}

export { BatchOperationsRole };
