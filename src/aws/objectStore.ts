import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PayloadTooLargeError } from '../errors.js';

const statusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

const isMissing = (error: unknown): boolean =>
  ['NoSuchKey', 'NotFound'].includes((error as { name?: string }).name ?? '') || statusOf(error) === 404;

/** 412 PreconditionFailed, or 409 ConditionalRequestConflict when S3 saw two conditional writes at once. */
const isConditionFailed = (error: unknown): boolean =>
  statusOf(error) === 412 ||
  statusOf(error) === 409 ||
  ['PreconditionFailed', 'ConditionalRequestConflict'].includes((error as { name?: string }).name ?? '');

/** The object operations the pipeline needs, on one bucket. */
class ObjectStore {
  public constructor(
    private readonly client: S3Client,
    public readonly bucket: string,
  ) {}

  /**
   * The object's bytes, or undefined when it does not exist (or no longer
   * matches `ifMatch`). Past `maxBytes` it throws PayloadTooLargeError
   * before reading the body.
   */
  public async get(
    key: string,
    options: { versionId?: string; ifMatch?: string; maxBytes?: number } = {},
  ): Promise<{ bytes: Uint8Array; etag: string; contentType?: string } | undefined> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(options.versionId && { VersionId: options.versionId }),
          // An entity tag is quoted on the wire; S3 notifications give it bare.
          ...(options.ifMatch && {
            IfMatch: options.ifMatch.startsWith('"') ? options.ifMatch : `"${options.ifMatch}"`,
          }),
        }),
      );
      if (options.maxBytes !== undefined && (response.ContentLength ?? 0) > options.maxBytes) {
        (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw new PayloadTooLargeError(
          `${key} is ${response.ContentLength} bytes, over the limit of ${options.maxBytes}`,
        );
      }
      const bytes = await response.Body!.transformToByteArray();
      return {
        bytes,
        etag: (response.ETag ?? '').replace(/"/g, ''),
        ...(response.ContentType && { contentType: response.ContentType }),
      };
    } catch (error) {
      if (isMissing(error) || (options.ifMatch && statusOf(error) === 412)) return undefined;
      throw error;
    }
  }

  /** The object as UTF-8 text, or undefined when it does not exist. */
  public async getText(key: string): Promise<string | undefined> {
    const object = await this.get(key);
    return object && new TextDecoder().decode(object.bytes);
  }

  public async getJson<T>(key: string): Promise<T | undefined> {
    const text = await this.getText(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /** The object's ETag (unquoted), or undefined when it does not exist. */
  public async etag(key: string): Promise<string | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return (head.ETag ?? '').replace(/"/g, '');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  public async exists(key: string): Promise<boolean> {
    return (await this.etag(key)) !== undefined;
  }

  /**
   * Writes the object. With `ifAbsent`, only when no object has the key (S3
   * conditional write, If-None-Match: *): returns false when one does.
   */
  public async put(
    key: string,
    body: Uint8Array | string,
    options: { contentType?: string; ifAbsent?: boolean } = {},
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ...(options.contentType && { ContentType: options.contentType }),
          ...(options.ifAbsent && { IfNoneMatch: '*' }),
        }),
      );
      return true;
    } catch (error) {
      if (options.ifAbsent && isConditionFailed(error)) return false;
      throw error;
    }
  }

  public putJson(key: string, value: unknown, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    return this.put(key, `${JSON.stringify(value, null, 2)}\n`, { contentType: 'application/json', ...options });
  }

  public async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Keys under a prefix; with a delimiter, the common prefixes one level down instead. */
  public async list(prefix: string, options: { delimiter?: string; limit?: number } = {}): Promise<string[]> {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ContinuationToken: token,
          ...(options.delimiter && { Delimiter: options.delimiter }),
        }),
      );
      if (options.delimiter) for (const p of page.CommonPrefixes ?? []) p.Prefix && found.push(p.Prefix);
      else for (const item of page.Contents ?? []) item.Key && found.push(item.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && (options.limit === undefined || found.length < options.limit));
    return options.limit === undefined ? found : found.slice(0, options.limit);
  }
}

export { ObjectStore };
