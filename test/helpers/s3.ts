import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

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
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
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
