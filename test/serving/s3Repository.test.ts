import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3, startS3 } from '../helpers/s3.js';
import { itSentOnlyGrantedRequests } from '../helpers/s3Grants.js';
import { call, startServer, type TestServer } from '../helpers/server.js';
import { fullyConnectedModel } from '../helpers/tinyModels.js';

const BUCKET = 'model-bucket';
let s3: LocalS3;
let server: TestServer;
let cacheDir: string;

/** y = x for two values: a model whose outputs are easy to check. */
const IDENTITY = fullyConnectedModel(
  [
    [1, 0],
    [0, 1],
  ],
  [0, 0],
);

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  await s3.put(BUCKET, 'models/face-detection/1/model.tflite', readFileSync('models/face-detection/1/model.tflite'));
  await s3.put(BUCKET, 'models/face-detection/1/model.json', JSON.stringify({ task: 'face-detection' }));
  await s3.put(BUCKET, 'models/linear/1/model.tflite', IDENTITY);
  // Keys that are not versions are ignored.
  await s3.put(BUCKET, 'models/linear/notes.txt', 'not a version');
  await s3.put(BUCKET, 'models/linear/latest/model.tflite', 'not a version either');
  cacheDir = mkdtempSync(join(tmpdir(), 'tfls-cache-'));
  server = await startServer({
    MODEL_REPOSITORY: `s3://${BUCKET}/models`,
    MODEL_CACHE_DIR: cacheDir,
    MODEL_REFRESH_SECONDS: '0.3',
  });
});
afterAll(async () => {
  await server.close();
  await s3.close();
});

const infer = () =>
  call(`${server.url}/v2/models/linear/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] }),
  });

describe('the S3 model repository (s3rver on loopback)', () => {
  it('serves an image model from s3://bucket/prefix, with its model.json', async () => {
    const response = await call(`${server.url}/v1/models/face-detection:predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: readFileSync('test/fixtures/images/astronaut.png'),
    });
    expect(response.status).toBe(200);
    expect(response.body.predictions[0].detections).toHaveLength(1);
  });

  it('caches model files under the cache directory, keyed by ETag', async () => {
    const etag = (await s3.put(BUCKET, 'models/linear/1/model.tflite', IDENTITY)).replace(/"/g, '');
    expect((await infer()).body.outputs[0].data).toEqual([1, 2]);
    expect(existsSync(join(cacheDir, 'linear', '1', etag, 'model.tflite'))).toBe(true);
    expect(readFileSync(join(cacheDir, 'linear', '1', etag, 'complete'), 'utf8')).toBe(etag);
  });

  it('lists only numeric versions, and answers 404 for models the bucket lacks', async () => {
    expect(
      (await call(`${server.url}/v1/models/linear`)).body.model_version_status.map(
        (s: { version: string }) => s.version,
      ),
    ).toEqual(['1']);
    expect((await call(`${server.url}/v2/models/ghost`)).status).toBe(404);
  });

  it('notices a new version uploaded to the bucket and swaps it in', async () => {
    expect((await infer()).body.model_version).toBe('1');
    await s3.put(
      BUCKET,
      'models/linear/2/model.tflite',
      fullyConnectedModel(
        [
          [10, 0],
          [0, 10],
        ],
        [0, 0],
      ),
    );
    let latest = await infer();
    for (let i = 0; i < 50 && latest.body.model_version !== '2'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      latest = await infer();
    }
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ model_version: '2', outputs: [{ data: [10, 20] }] });
    // The old version is still there when asked for by number.
    const v1 = await call(`${server.url}/v2/models/linear/versions/1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] }),
    });
    expect(v1.body).toMatchObject({ model_version: '1', outputs: [{ data: [1, 2] }] });
  });
});

itSentOnlyGrantedRequests('predict', 10);
