import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepository } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

const photo = (name: string): Buffer => readFileSync(`test/fixtures/images/${name}`);
// Where the astronaut's face is in astronaut.png (512x512), from inspecting the photo.
const ASTRONAUT_FACE = { x: 170, y: 75, width: 105, height: 105 };

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MODEL_REPOSITORY: makeRepository() });
});
afterAll(() => server.close());

const predict = (model: string, body: Buffer | string, type: string) =>
  call(`${server.url}/v1/models/${model}:predict`, { method: 'POST', body, headers: { 'content-type': type } });

const overlap = (a: typeof ASTRONAUT_FACE, b: typeof ASTRONAUT_FACE): number => {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w <= 0 || h <= 0 ? 0 : (w * h) / (a.width * a.height + b.width * b.height - w * h);
};

describe('face detection on photos', () => {
  it('finds the face in astronaut.png, in original-image pixels, with six keypoints', async () => {
    const { status, body, headers } = await predict('face-detection', photo('astronaut.png'), 'image/png');
    expect(status).toBe(200);
    expect(headers.get('x-model-version')).toBe('1');
    expect(headers.get('server-timing')).toMatch(
      /decode;dur=[\d.]+, preprocess;dur=[\d.]+, infer;dur=[\d.]+, postprocess;dur=[\d.]+/,
    );
    const [prediction] = body.predictions;
    expect(prediction.detections).toHaveLength(1);
    const [face] = prediction.detections;
    expect(face.score).toBeGreaterThan(0.8);
    expect(overlap(face.box, ASTRONAUT_FACE)).toBeGreaterThan(0.6);
    expect(face.keypoints).toHaveLength(6);
    for (const point of face.keypoints) {
      expect(point.x).toBeGreaterThan(face.box.x);
      expect(point.x).toBeLessThan(face.box.x + face.box.width);
    }
  });

  it('finds no face in coffee.png', async () => {
    const { status, body } = await predict('face-detection', photo('coffee.png'), 'image/png');
    expect(status).toBe(200);
    expect(body).toEqual({ predictions: [{ detections: [] }] });
  });

  it('expands a grayscale photo (camera.png) and finds its face', async () => {
    const { body } = await predict('face-detection', photo('camera.png'), 'image/png');
    expect(body.predictions[0].detections.length).toBeGreaterThanOrEqual(1);
  });

  it('drops the alpha channel of an RGBA photo (horse.png)', async () => {
    const { status, body } = await predict('face-detection', photo('horse.png'), 'image/png');
    expect(status).toBe(200);
    expect(body.predictions[0].detections).toEqual([]);
  });

  it('applies EXIF orientation: a JPEG stored sideways is seen upright', async () => {
    // Pixels rotated a quarter turn left, tagged "rotate right to display" (orientation 6).
    const sideways = await sharp(photo('astronaut.png'))
      .rotate(-90)
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const { body } = await predict('face-detection', sideways, 'image/jpeg');
    const [face] = body.predictions[0].detections;
    expect(overlap(face.box, ASTRONAUT_FACE)).toBeGreaterThan(0.6);
  });

  it('letterboxes a wide photo and maps boxes back through the padding', async () => {
    // Her head (256x256 from 100,40) on a black strip twice as wide: 512x256.
    const wide = await sharp(photo('astronaut.png'))
      .extract({ left: 100, top: 40, width: 256, height: 256 })
      .extend({ left: 128, right: 128, background: '#000' })
      .png()
      .toBuffer();
    const { body } = await predict('face-detection', wide, 'image/png');
    const [face] = body.predictions[0].detections;
    expect(
      overlap(face.box, { ...ASTRONAUT_FACE, x: ASTRONAUT_FACE.x - 100 + 128, y: ASTRONAUT_FACE.y - 40 }),
    ).toBeGreaterThan(0.6);
  });

  it('takes multipart/form-data with several images, one prediction each, in order', async () => {
    const form = new FormData();
    form.append('image', new Blob([photo('coffee.png')], { type: 'image/png' }), 'coffee.png');
    form.append('image', new Blob([photo('astronaut.png')], { type: 'image/png' }), 'astronaut.png');
    const { status, body } = await call(`${server.url}/v1/models/face-detection:predict`, {
      method: 'POST',
      body: form,
    });
    expect(status).toBe(200);
    expect(body.predictions.map((p: { detections: unknown[] }) => p.detections.length)).toEqual([0, 1]);
  });

  it('takes TF Serving b64 instances, bare or under the input name', async () => {
    const b64 = photo('astronaut.png').toString('base64');
    for (const instances of [[{ b64 }], [{ input: { b64 } }]]) {
      const { status, body } = await predict('face-detection', JSON.stringify({ instances }), 'application/json');
      expect(status).toBe(200);
      expect(body.predictions[0].detections).toHaveLength(1);
    }
  });
});

describe('other tasks on photos', () => {
  it('landmarks: 21 hand points in original-image pixels, and the model’s scalar scores', async () => {
    const { status, body } = await predict('hands', photo('rocket.jpg'), 'image/jpeg');
    expect(status).toBe(200);
    const [prediction] = body.predictions;
    expect(prediction.landmarks).toHaveLength(21);
    for (const point of prediction.landmarks) {
      expect(Number.isFinite(point.x) && Number.isFinite(point.y) && Number.isFinite(point.z)).toBe(true);
    }
    expect(Object.keys(prediction.scores).sort()).toEqual(['Identity_1', 'Identity_2']);
  });

  it('segmentation (WASM fallback): the person mask of astronaut.png covers her, not the background', async () => {
    const { status, body } = await predict('selfie', photo('astronaut.png'), 'image/png');
    expect(status).toBe(200);
    const { mask, width, height, classes } = body.predictions[0];
    expect([width, height, classes]).toEqual([512, 512, 1]);
    const png = sharp(Buffer.from(mask, 'base64'));
    expect(await png.metadata()).toMatchObject({ format: 'png', width: 512, height: 512, channels: 1 });
    const { data } = await png.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const mean = (x0: number, y0: number, size: number) => {
      let sum = 0;
      for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) sum += data[y * 512 + x]!;
      return sum / (size * size);
    };
    expect(mean(200, 100, 60)).toBeGreaterThan(128); // her face
    expect(mean(0, 0, 40)).toBeLessThan(64); // the top-left background
  });

  it('classification: labels from labels.txt, top-k by score', async () => {
    const red = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 230, g: 20, b: 60 } } })
      .png()
      .toBuffer();
    const { body } = await predict('colours', red, 'image/png');
    const { classes } = body.predictions[0];
    expect(classes.map((c: { label: string }) => c.label)).toEqual(['red', 'blue', 'green']);
    expect(classes[0].score).toBeCloseTo(230 / 255, 2);
  });
});
