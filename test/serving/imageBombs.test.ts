import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageHeader, withoutPngText } from '../../src/image/imageHeader.js';
import { flatPng, pngHeaderBomb, pngTextBomb } from '../helpers/bombs.js';
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

  it('PNGs of deflated text chunks (385 KB zTXt, 1.5 MB iTXt, four 193 KB at once) are answered as the 64x64 images they are', async () => {
    // Their text would inflate to 0.4-1.5 GB; it is dropped before libvips reads the file (bench:bombs times it).
    const bombs = [
      [pngTextBomb(385_000, 'zTXt')],
      [pngTextBomb(1_500_000, 'iTXt')],
      Array.from({ length: 4 }, () => pngTextBomb(193_000, 'zTXt')),
    ];
    for (const group of bombs) {
      const answers = await Promise.all(group.map(async (bomb) => predict('face-detection', await bomb)));
      for (const { status, body } of answers) {
        expect(status).toBe(200);
        expect(body.predictions).toEqual([{ detections: [] }]);
      }
    }
  });

  it('images of one request share one time budget: with the invocation nearly over, they are a 422 at once', async () => {
    const answer = await server.service.serve({
      method: 'POST',
      path: '/v1/models/face-detection:predict',
      headers: { 'content-type': 'image/png' },
      body: await flatPng(256, 256),
      contentType: 'image/png',
      requestId: 'deadline',
      deadline: Date.now() + 1000,
    });
    expect(answer.statusCode).toBe(422);
    expect(JSON.parse(answer.body!).error).toMatch(
      /^the images took over 10 s to decode and resize \(IMAGE_TIMEOUT_SECONDS, for all images of a request together\)/,
    );
  });

  it('after the bombs the next ordinary request is served', async () => {
    expect((await predict('face-detection', await flatPng(256, 256))).status).toBe(200);
  });
});

describe('image headers, read before any decoder', () => {
  it('give the size libvips reads, for PNG, JPEG, GIF and WebP (lossy, lossless, extended)', async () => {
    const image = sharp({
      create: { width: 333, height: 77, channels: 4, background: { r: 9, g: 99, b: 199, alpha: 0.5 } },
    });
    const encoded = [
      await image.clone().png().toBuffer(),
      await image.clone().jpeg().toBuffer(),
      await image.clone().gif().toBuffer(),
      await image.clone().webp({ lossless: false }).removeAlpha().toBuffer(),
      await image.clone().webp({ lossless: true }).toBuffer(),
      await image.clone().webp({ lossless: false }).toBuffer(),
      ...['astronaut.png', 'rocket.jpg', 'apple.jpg'].map((name) => readFileSync(`test/fixtures/images/${name}`)),
    ];
    for (const bytes of encoded) {
      const { format, width, height } = await sharp(bytes).metadata();
      expect(readImageHeader(bytes)).toEqual({ format, width, height });
    }
    expect(readImageHeader(Buffer.from('not an image'))).toBeUndefined();
  });

  it("a PNG's text chunks are dropped and nothing else: the same pixels decode", async () => {
    const bomb = await pngTextBomb(100_000, 'iTXt');
    const stripped = withoutPngText(bomb);
    expect(stripped.length).toBeLessThan(2000);
    expect((await sharp(stripped).metadata()).comments).toBeUndefined();
    expect(await sharp(stripped).raw().toBuffer()).toEqual(
      await sharp(await flatPng(64, 64))
        .raw()
        .toBuffer(),
    );
    const plain = await flatPng(64, 64);
    expect(withoutPngText(plain)).toBe(plain);
  });
});
