import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** Key patterns each function may touch: what its code does, no more. */
interface BucketAccess {
  readonly get: readonly string[];
  readonly put: readonly string[];
  readonly delete: readonly string[];
  /** ListBucket prefixes; it also makes a missing key a 404 rather than a 403. */
  readonly list: readonly string[];
}

const ACCESS: Readonly<Record<'predict' | 'ingest' | 'batch', BucketAccess>> = {
  predict: { get: ['models/*'], put: [], delete: [], list: ['models/'] },
  ingest: {
    get: ['uploads/*', 'models/*', 'calibration/*'],
    put: ['models/*', 'uploads/*.error.json'],
    // Its error files once a good upload follows, and a version claim it lost to a redelivery.
    delete: ['uploads/*.error.json', 'models/*/.claim'],
    list: ['models/', 'calibration/', 'uploads/'],
  },
  batch: {
    get: ['inputs/*', 'models/*', 'outputs/*'],
    put: ['outputs/*'],
    delete: ['outputs/*'],
    list: ['models/', 'outputs/'],
  },
};

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
  functions: Readonly<Record<'predict' | 'ingest' | 'batch', lambda.IFunction>>,
): void => {
  const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  for (const [name, fn] of Object.entries(functions) as [keyof typeof ACCESS, lambda.IFunction][]) {
    const access = ACCESS[name];
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
