import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediapipe } from '../helpers/models.js';
import { addVersion, makeRepository } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  const root = makeRepository();
  addVersion(root, 'pose', 1, mediapipe.poseLandmarkFull, { task: 'landmarks', landmarks: { dims: 5 } });
  addVersion(root, 'pose-logits', 1, mediapipe.poseLandmarkFull, {
    task: 'landmarks',
    landmarks: { dims: 5, activation: 'none' },
  });
  addVersion(root, 'pose-misread', 1, mediapipe.poseLandmarkFull, { task: 'landmarks', activation: 'sigmoid' });
  server = await startServer({ MODEL_REPOSITORY: root });
});
afterAll(() => server.close());

const PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png'].map((name) =>
  readFileSync(`test/fixtures/images/${name}`),
);

const multipart = (images: readonly Buffer[]): { body: Buffer; type: string } => {
  const boundary = 'tfls-boundary-7d1c';
  const parts = images.map((image, i) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${i}.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      image,
      Buffer.from('\r\n'),
    ]),
  );
  return {
    body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
};

const predictImages = async (model: string, images: readonly Buffer[]) => {
  const { body, type } = multipart(images);
  return call(`${server.url}/v1/models/${model}:predict`, { method: 'POST', body, headers: { 'content-type': type } });
};

const predictTensors = (model: string, instances: unknown[]) =>
  call(`${server.url}/v1/models/${model}:predict`, {
    method: 'POST',
    body: JSON.stringify({ instances }),
    headers: { 'content-type': 'application/json' },
  });

/** Equal up to float noise between a batched run and single runs. */
const close = (a: unknown, b: unknown): boolean => {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => close(v, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
};

describe('batches of 2 and 3 answer each item as batch 1 does, for every task', () => {
  it.each(['face-detection', 'hands', 'selfie', 'colours', 'pose'])('%s, images', async (model) => {
    const singles = [];
    for (const photo of PHOTOS) {
      const { status, body } = await predictImages(model, [photo]);
      expect(status).toBe(200);
      singles.push(body.predictions[0]);
    }
    for (const batch of [2, 3]) {
      const { status, body } = await predictImages(model, PHOTOS.slice(0, batch));
      expect(status).toBe(200);
      expect(body.predictions).toHaveLength(batch);
      for (let i = 0; i < batch; i++) expect(close(body.predictions[i], singles[i])).toBe(true);
    }
  });

  it.each([
    ['linear', (seed: number) => [seed, -2 * seed]],
    // A detector whose graph fixes the batch at 1 (RESHAPE to [1,896,16]): never fewer predictions than instances.
    [
      'face-detection',
      (seed: number) =>
        Array.from({ length: 128 }, (_, y) =>
          Array.from({ length: 128 }, (_, x) => [((x * seed) % 7) / 7, ((y + seed) % 5) / 5, 0.5]),
        ),
    ],
  ] as const)('%s, tensor instances', async (model, make) => {
    const instances: unknown[] = [1, 2, 3].map((seed) => make(seed));
    const singles = [];
    for (const instance of instances) singles.push((await predictTensors(model, [instance])).body.predictions[0]);
    for (const batch of [2, 3]) {
      const { status, body } = await predictTensors(model, instances.slice(0, batch));
      expect(status).toBe(200);
      expect(body.predictions).toHaveLength(batch);
      for (let i = 0; i < batch; i++) expect(close(body.predictions[i], singles[i])).toBe(true);
    }
  });
});

describe('pose landmarks as MediaPipe gives them', () => {
  it('visibility and presence are probabilities by default, logits with landmarks.activation "none"', async () => {
    const [probabilities, logits] = await Promise.all(
      ['pose', 'pose-logits'].map(async (model) => (await predictImages(model, [PHOTOS[0]!])).body.predictions[0]),
    );
    // 33 body landmarks and MediaPipe's 6 auxiliary ones.
    expect(probabilities.landmarks).toHaveLength(39);
    for (const [i, point] of probabilities.landmarks.entries()) {
      expect(point.visibility).toBeGreaterThanOrEqual(0);
      expect(point.visibility).toBeLessThanOrEqual(1);
      expect(point.presence).toBeGreaterThanOrEqual(0);
      expect(point.presence).toBeLessThanOrEqual(1);
      const raw = logits.landmarks[i];
      expect(point.visibility).toBeCloseTo(1 / (1 + Math.exp(-raw.visibility)), 3);
    }
    expect(logits.landmarks.some((p: { visibility: number }) => p.visibility > 1 || p.visibility < 0)).toBe(true);
  });

  it('a top-level activation on a landmarks model, where it would do nothing, is refused with where it belongs', async () => {
    const { status, body } = await predictImages('pose-misread', [PHOTOS[0]!]);
    expect(status).toBe(503);
    expect(body.error).toMatch(
      /activation applies to classification and segmentation scores, not to task landmarks; for visibility and presence use landmarks.activation/,
    );
  });
});
