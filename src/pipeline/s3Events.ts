import type { S3Event, S3EventRecord, SQSEvent } from 'aws-lambda';

/** One object-created notification, its key decoded. */
interface S3Upload {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly versionId?: string;
  /** Orders events for one key; equal for redeliveries of the same event. */
  readonly sequencer: string;
  /** The SQS message that carried it, when the notification went through a queue. */
  readonly messageId?: string;
}

/** S3 URL-encodes keys in notifications, spaces as "+"; undefined for a key that is not valid encoding. */
const decodeKey = (key: string): string | undefined => {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
};

const fromRecord = (record: S3EventRecord, key: string, messageId?: string): S3Upload => ({
  bucket: record.s3.bucket.name,
  key,
  size: record.s3.object.size ?? 0,
  etag: (record.s3.object.eTag ?? '').replace(/"/g, ''),
  ...(record.s3.object.versionId && { versionId: record.s3.object.versionId }),
  sequencer: record.s3.object.sequencer ?? '',
  ...(messageId !== undefined && { messageId }),
});

const isSqs = (event: unknown): event is SQSEvent =>
  Array.isArray((event as SQSEvent).Records) && (event as SQSEvent).Records[0]?.eventSource === 'aws:sqs';

/**
 * The object-created records of an S3 notification, delivered directly or
 * through SQS (one S3 event per message body). S3's test event and other
 * event types yield nothing. A message whose body is not an S3 event is
 * reported through `unreadable`, so that SQS can dead-letter it; so is one
 * with a key that is not valid percent-encoding, which (delivered directly)
 * is only reported in `malformed`: one bad record must not fail the others.
 */
const s3Uploads = (event: unknown): { uploads: S3Upload[]; unreadable: string[]; malformed: string[] } => {
  const uploads: S3Upload[] = [];
  const unreadable: string[] = [];
  const malformed: string[] = [];
  const take = (s3: Partial<S3Event>, messageId?: string): void => {
    for (const record of s3.Records ?? []) {
      if (record.eventSource !== 'aws:s3' || !record.eventName?.startsWith('ObjectCreated:')) continue;
      const key = decodeKey(String(record.s3?.object?.key ?? ''));
      if (key === undefined) {
        malformed.push(String(record.s3.object.key).slice(0, 1024));
        if (messageId !== undefined) unreadable.push(messageId);
      } else uploads.push(fromRecord(record, key, messageId));
    }
  };
  if (isSqs(event)) {
    for (const message of event.Records) {
      try {
        take(JSON.parse(message.body) as Partial<S3Event>, message.messageId);
      } catch {
        unreadable.push(message.messageId);
      }
    }
  } else if (event && typeof event === 'object') take(event as Partial<S3Event>);
  return { uploads, unreadable, malformed };
};

/** What the handlers return: SQS's partial batch response when a queue delivered the event. */
interface BatchResult {
  readonly batchItemFailures: { itemIdentifier: string }[];
}

export type { BatchResult, S3Upload };
export { decodeKey, s3Uploads };
