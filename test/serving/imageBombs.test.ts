import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatPng, pngHeaderBomb } from '../helpers/bombs.js';
import { mediapipe } from '../helpers/models.js';
import { addVersion } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'tfls-bombs-'));
  addVersion(root, 'face-detection', 1, 'models/face-detection/1/model.tflite', { task: 'face-detection' });
  // 224x224 with the README's "crop": the resize that once covered the input with a 224x5,600,000 strip.
  addVersion(root, 'hands-crop', 1, mediapipe.handLandmarkFull, { task: 'landmarks', input: { resize: 'crop' } });
  addVersion(root, 'hands-wide', 1, mediapipe.handLandmarkFull, {
    task: 'landmarks',
    input: { resize: 'letterbox' },
    maxAspectRatio: 200,
  });
  server = await startServer({ MODEL_REPOSITORY: root });
});
afterAll(() => server.close());

const predict = (model: string, body: Buffer) =>
  call(`${server.url}/v1/models/${model}:predict`, { method: 'POST', body, headers: { 'content-type': 'image/png' } });

describe('images that cost more than their bytes', () => {
  it('a 40x1,000,000 strip (under the pixel limit) is refused by its aspect ratio before decoding, for crop and letterbox', async () => {
    const strip = pngHeaderBomb(40, 1_000_000);
    for (const model of ['hands-crop', 'face-detection']) {
      const { status, body } = await predict(model, strip);
      expect(status).toBe(422);
      expect(body.error).toMatch(/40x1000000 pixels, an aspect ratio of 25000:1, over the limit of 32:1/);
    }
    expect((await predict('face-detection', pngHeaderBomb(3, 13_000_000))).status).toBe(422);
    // A model may allow more.
    expect((await predict('hands-wide', pngHeaderBomb(40, 1_000_000))).body.error).toMatch(/over the limit of 200:1/);
  });

  it('a header that claims 20,000 x 20,000 pixels is a 413 from the header alone', async () => {
    const { status, body } = await predict('face-detection', pngHeaderBomb(20_000, 20_000));
    expect(status).toBe(413);
    expect(body.error).toMatch(/20000x20000 pixels, over the limit of 40000000/);
  });

  it('after the bombs the next ordinary request is served', async () => {
    expect((await predict('face-detection', await flatPng(256, 256))).status).toBe(200);
  });
});
