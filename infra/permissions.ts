import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { BucketPrefixes } from './serviceProps.js';

/** Key patterns each function may touch: what its code does, no more. */
interface BucketAccess {
  readonly get: readonly string[];
  /**
   * Keys read by version id: the bucket is versioned, so S3 notifications
   * carry one and the pipeline reads exactly the uploaded version, which
   * takes s3:GetObjectVersion besides s3:GetObject.
   */
  readonly getVersion: readonly string[];
  readonly put: readonly string[];
  readonly delete: readonly string[];
  /** ListBucket prefixes; it also makes a missing key a 404 rather than a 403. */
  readonly list: readonly string[];
}

type FunctionName = 'predict' | 'ingest' | 'batch';

/** Each function's access, from the one prefix layout that also sets its environment and notifications. */
const accessFor = (p: BucketPrefixes): Readonly<Record<FunctionName, BucketAccess>> => ({
  predict: { get: [`${p.models}*`], getVersion: [], put: [], delete: [], list: [p.models] },
  ingest: {
    get: [`${p.uploads}*`, `${p.models}*`, `${p.calibration}*`],
    getVersion: [`${p.uploads}*`],
    put: [`${p.models}*`, `${p.uploads}*.error.json`],
    // Its error files once a good upload follows; a version claim it lost to a redelivery, and a
    // rejected upload's claim and marker (models/<name>/.uploads/<id>.json), which it gives back.
    delete: [`${p.uploads}*.error.json`, `${p.models}*/.claim`, `${p.models}*/.uploads/*`],
    list: [p.models, p.calibration, p.uploads],
  },
  batch: {
    // Outputs are only written; of them it reads and deletes just its error files (a corrected input's).
    get: [`${p.inputs}*`, `${p.models}*`, `${p.outputs}*.error.json`],
    getVersion: [`${p.inputs}*`],
    put: [`${p.outputs}*`],
    delete: [`${p.outputs}*.error.json`],
    list: [p.models, p.inputs, p.outputs],
  },
});

const statements = (bucket: s3.IBucket, access: BucketAccess): iam.PolicyStatement[] => {
  const objects = (patterns: readonly string[]) => patterns.map((p) => bucket.arnForObjects(p));
  const list = new iam.PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': access.list.flatMap((p) => [p, `${p}*`]) } },
  });
  return [
    ...(
      [
        ['s3:GetObject', access.get],
        ['s3:GetObjectVersion', access.getVersion],
        ['s3:PutObject', access.put],
        ['s3:DeleteObject', access.delete],
      ] as const
    )
      .filter(([, patterns]) => patterns.length > 0)
      .map(([action, patterns]) => new iam.PolicyStatement({ actions: [action], resources: objects(patterns) })),
    list,
  ];
};

/**
 * Grants each function its keys, and acknowledges, per key pattern, the
 * cdk-nag findings that prefix wildcards raise (a prefix is the unit of
 * access here).
 */
const grantBucketAccess = (
  bucket: s3.Bucket,
  prefixes: BucketPrefixes,
  functions: Readonly<Record<FunctionName, lambda.IFunction>>,
): void => {
  const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  const accessByFunction = accessFor(prefixes);
  for (const [name, fn] of Object.entries(functions) as [FunctionName, lambda.IFunction][]) {
    const access = accessByFunction[name];
    for (const statement of statements(bucket, access)) fn.addToRolePolicy(statement);
    const patterns = new Set([...access.get, ...access.put, ...access.delete]);
    for (const pattern of patterns) {
      Validations.of(fn).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${pattern}]`,
        reason: `${name} works on the keys under this prefix of the model bucket, and only there.`,
      });
    }
  }
};

export { grantBucketAccess };
