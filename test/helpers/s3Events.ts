import type { S3Event, SQSEvent } from 'aws-lambda';

let sequence = 0x0062d5f1a0b3c4d5e6n;

/** S3 encodes keys in notifications like a URL query: spaces as "+", other specials percent-encoded. */
const encodeKey = (key: string): string =>
  key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');

interface ObjectFacts {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly versionId?: string;
  /** Distinct per PUT; a redelivery repeats it. Fresh when omitted. */
  readonly sequencer?: string;
}

/**
 * An S3 ObjectCreated:Put notification as AWS documents it
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
 * one record per object.
 */
const s3Event = (bucket: string, objects: readonly ObjectFacts[]): S3Event => ({
  Records: objects.map((object) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: new Date().toISOString(),
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
    requestParameters: { sourceIPAddress: '203.0.113.10' },
    responseElements: {
      'x-amz-request-id': 'C3D13FE58DE4C810',
      'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'tfls-notification',
      bucket: { name: bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${bucket}` },
      object: {
        key: encodeKey(object.key),
        size: object.size,
        eTag: object.etag.replace(/"/g, ''),
        ...(object.versionId && { versionId: object.versionId }),
        sequencer: object.sequencer ?? (sequence++).toString(16).toUpperCase().padStart(18, '0'),
      },
    },
  })),
});

/** The same notifications delivered through SQS, one S3 event per message. */
const sqsEvent = (events: readonly (S3Event | string)[]): SQSEvent => ({
  Records: events.map((event, i) => ({
    messageId: `message-${i}`,
    receiptHandle: `handle-${i}`,
    body: typeof event === 'string' ? event : JSON.stringify(event),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:tfls-batch',
    awsRegion: 'us-east-1',
  })),
});

interface BatchTask {
  readonly key: string;
  readonly versionId?: string;
}

/**
 * An S3 Batch Operations LambdaInvoke payload as AWS documents it
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html):
 * schema 2.0 names the bucket and carries the job's user arguments, 1.0
 * gives the bucket's ARN. Keys arrive URL-encoded.
 */
const batchOperationsEvent = (
  bucket: string,
  tasks: readonly BatchTask[],
  options: { schema?: '1.0' | '2.0'; userArguments?: Record<string, string> } = {},
) => {
  const schema = options.schema ?? '2.0';
  return {
    invocationSchemaVersion: schema,
    invocationId: 'YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo',
    job: {
      id: 'f3cc4f60-61f6-4a2b-8a21-d07600c373ce',
      ...(schema === '2.0' && { userArguments: options.userArguments ?? {} }),
    },
    tasks: tasks.map((task, i) => ({
      taskId: `dGFza2lkZ29lc2hlcmUK${i}`,
      s3Key: task.key.split('/').map(encodeURIComponent).join('/'),
      s3VersionId: task.versionId ?? null,
      ...(schema === '2.0' ? { s3Bucket: bucket } : { s3BucketArn: `arn:aws:s3:::${bucket}` }),
    })),
  };
};

export type { ObjectFacts };
export { batchOperationsEvent, s3Event, sqsEvent };
