import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { recordS3Endpoint } from './s3Grants.js';

/**
 * s3rver 3.7 predates S3's conditional writes (August 2024) and ignores
 * `If-None-Match: *` on PUT. This middleware, first in its chain, gives them
 * the documented semantics: 412 PreconditionFailed when the key exists, and
 * writes to one key serialized, so that of two racing conditional PUTs
 * exactly one succeeds, as on S3.
 */
const addConditionalWrites = (server: S3rver): void => {
  const koa = server as unknown as {
    middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
    store: { existsObject(bucket: string, key: string): Promise<boolean> };
  };
  const locks = new Map<string, Promise<void>>();
  koa.middleware.unshift(async (ctx, next) => {
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (ctx.method !== 'PUT' || !match || ctx.get('if-none-match') !== '*' || ctx.querystring.includes('uploadId')) {
      await next();
      return;
    }
    const [, bucket, encodedKey] = match as unknown as [string, string, string];
    const lockKey = `${bucket}/${encodedKey}`;
    const previous = locks.get(lockKey) ?? Promise.resolve();
    let release = (): void => undefined;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => current);
    locks.set(lockKey, chained);
    await previous;
    try {
      if (await koa.store.existsObject(bucket, decodeURIComponent(encodedKey))) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
          '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
          '<Condition>If-None-Match</Condition></Error>';
        return;
      }
      await next();
    } finally {
      release();
      if (locks.get(lockKey) === chained) locks.delete(lockKey);
    }
  });
};

interface KoaContext {
  method: string;
  path: string;
  querystring: string;
  status: number;
  type: string;
  body: unknown;
  get(header: string): string;
}

interface LocalS3 {
  readonly endpoint: string;
  readonly client: S3Client;
  put(bucket: string, key: string, body: Uint8Array | string): Promise<string>;
  close(): Promise<void>;
}

/**
 * s3rver on loopback, speaking the S3 protocol to the AWS SDK v3, which finds
 * it through AWS_ENDPOINT_URL_S3 (set here, with s3rver's fixed credentials).
 */
const startS3 = async (buckets: readonly string[]): Promise<LocalS3> => {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: mkdtempSync(join(tmpdir(), 'tfls-s3rver-')),
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  addConditionalWrites(server);
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  // What the code under test sends here is checked against its IAM role (s3Grants).
  recordS3Endpoint(endpoint);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
  });
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    endpoint,
    client,
    put: async (bucket, key, body) =>
      (await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).ETag ?? '',
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
};

export type { LocalS3 };
export { startS3 };
