import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVersion } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';
import { fixedAnswerModel } from '../helpers/tinyModels.js';

// COCO's 17 keypoints, in MoveNet's order.
const NAMES = [
  'nose',
  'left_eye',
  'right_eye',
  'left_ear',
  'right_ear',
  'left_shoulder',
  'right_shoulder',
  'left_elbow',
  'right_elbow',
  'left_wrist',
  'right_wrist',
  'left_hip',
  'right_hip',
  'left_knee',
  'right_knee',
  'left_ankle',
  'right_ankle',
];
/** Keypoint k at y 0.1 + 0.04k, x 0.2 + 0.03k (normalized to the input), score 0.5 + 0.02k. */
const KEYPOINTS = NAMES.flatMap((_, k) => [0.1 + 0.04 * k, 0.2 + 0.03 * k, 0.5 + 0.02 * k]);

/**
 * A model with MoveNet single-pose's interface: a [1, 192, 192, 3] image in, [1, 1, 17, 3] (y, x, score)
 * out, with a fixed answer, so where the keypoints land in the photo is known.
 */
const moveNetShaped = (): Uint8Array =>
  fixedAnswerModel([1, 192, 192, 3], [{ name: 'output_0', values: KEYPOINTS, shape: [1, 1, 17, 3] }]);

let server: TestServer;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'tfls-keypoints-'));
  addVersion(root, 'movenet', 1, moveNetShaped(), { task: 'landmarks', landmarks: { names: NAMES } });
  addVersion(root, 'movenet-bare', 1, moveNetShaped(), { task: 'landmarks' });
  server = await startServer({ MODEL_REPOSITORY: root });
});
afterAll(() => server.close());

const predict = async (model: string, photo: string) => {
  const { status, body } = await call(`${server.url}/v1/models/${model}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: new Uint8Array(readFileSync(photo)),
  });
  expect(body.error ?? status).toBe(200);
  return body.predictions[0];
};

describe('single-pose keypoints ([1, 1, 17, 3]: y, x, score)', () => {
  it('land in original pixels through the letterbox, with their names and scores', async () => {
    // chelsea.jpg is 320x213; letterboxed into 192x192 at scale 0.6: 192x127.8, padded 32.1 above and below.
    const { landmarks } = await predict('movenet', 'assets/samples/chelsea.jpg');
    expect(landmarks).toHaveLength(17);
    const scale = 192 / 320;
    const padTop = (192 - 213 * scale) / 2;
    for (const [k, point] of landmarks.entries()) {
      expect(point.name).toBe(NAMES[k]);
      expect(point.x).toBeCloseTo(((0.2 + 0.03 * k) * 192) / scale, 0);
      expect(point.y).toBeCloseTo(((0.1 + 0.04 * k) * 192 - padTop) / scale, 0);
      expect(point.score).toBeCloseTo(0.5 + 0.02 * k, 3);
      expect(point.z).toBeUndefined();
    }
    // The nose by hand: x 0.2 * 192 / 0.6 = 64, y (0.1 * 192 - 32.1) / 0.6 = -21.5 (above the photo: the pad).
    expect(landmarks[0]).toMatchObject({ x: 64, y: expect.closeTo(-21.5, 0) });
  });

  it('the layout is recognized from the output shape alone; names only when model.json gives them', async () => {
    const { landmarks } = await predict('movenet-bare', 'assets/samples/astronaut.jpg');
    expect(landmarks).toHaveLength(17);
    expect(landmarks[0].name).toBeUndefined();
    // A square photo: no padding, x 0.2 of the width.
    expect(landmarks[0].x).toBeCloseTo(0.2 * 320, 0);
    const metadata = await call(`${server.url}/v2/models/movenet`);
    expect(metadata.body.parameters.landmarkNames).toEqual(NAMES);
  });
});
