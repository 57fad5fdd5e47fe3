import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivationFunctionType,
  BuiltinOperator,
  BuiltinOptions,
  FullyConnectedOptionsT,
  ReducerOptionsT,
  TensorType,
} from '../../src/tflite/generated/schema_generated.js';
import { addVersion } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';
import { fixedAnswerModel, floatBytes, graphModel, int32Bytes } from '../helpers/tinyModels.js';

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

  it('the layout is recognized from the output shape alone, with COCO names when model.json gives none', async () => {
    const { landmarks } = await predict('movenet-bare', 'assets/samples/astronaut.jpg');
    expect(landmarks).toHaveLength(17);
    expect(landmarks.map((point: { name: string }) => point.name)).toEqual(NAMES);
    // A square photo: no padding, x 0.2 of the width.
    expect(landmarks[0].x).toBeCloseTo(0.2 * 320, 0);
    const metadata = await call(`${server.url}/v2/models/movenet`);
    expect(metadata.body.parameters.landmarkNames).toEqual(NAMES);
  });
});

/**
 * MoveNet's interface as the TF Hub files have it: a uint8 image without
 * quantization parameters (the graph casts it), [1, 1, 17, 3] out. Each
 * keypoint's score is the mean red value of the input / 255, so the answer
 * says what the model was fed.
 */
const moveNetUint8 = (): Uint8Array => {
  const mean = new ReducerOptionsT();
  mean.keepDims = false;
  const fc = new FullyConnectedOptionsT();
  fc.fusedActivationFunction = ActivationFunctionType.NONE;
  // Rows of [y, x, score] per keypoint, over the three channel means: y and x come from the bias alone.
  const weights = NAMES.flatMap(() => [0, 0, 0, 0, 0, 0, 1 / 255, 0, 0]);
  const bias = NAMES.flatMap((_, k) => [0.1 + 0.04 * k, 0.2 + 0.03 * k, 0]);
  return graphModel(
    [
      { name: 'image', shape: [1, 192, 192, 3], type: TensorType.UINT8 },
      { name: 'pixels', shape: [1, 192, 192, 3] },
      { name: 'axes', shape: [2], type: TensorType.INT32, data: int32Bytes([1, 2]) },
      { name: 'means', shape: [1, 3] },
      { name: 'w', shape: [51, 3], data: floatBytes(weights) },
      { name: 'b', shape: [51], data: floatBytes(bias) },
      { name: 'flat', shape: [1, 51] },
      { name: 'target', shape: [4], type: TensorType.INT32, data: int32Bytes([1, 1, 17, 3]) },
      { name: 'output_0', shape: [1, 1, 17, 3] },
    ],
    [
      { op: BuiltinOperator.CAST, inputs: ['image'], output: 'pixels' },
      {
        op: BuiltinOperator.MEAN,
        inputs: ['pixels', 'axes'],
        output: 'means',
        options: { type: BuiltinOptions.ReducerOptions, value: mean },
      },
      {
        op: BuiltinOperator.FULLY_CONNECTED,
        inputs: ['means', 'w', 'b'],
        output: 'flat',
        options: { type: BuiltinOptions.FullyConnectedOptions, value: fc },
      },
      { op: BuiltinOperator.RESHAPE, inputs: ['flat', 'target'], output: 'output_0' },
    ],
  );
};

describe('MoveNet-style uint8 input without quantization parameters, no model.json', () => {
  it.each(['native', 'wasm'] as const)(
    '%s: gets the pixel bytes 0..255, and answers keypoints with COCO names',
    async (engine) => {
      const root = mkdtempSync(join(tmpdir(), 'tfls-movenet-uint8-'));
      addVersion(root, 'movenet', 1, moveNetUint8());
      const own = await startServer({ MODEL_REPOSITORY: root, TFLITE_ENGINE: engine });
      try {
        const { status, body } = await call(`${own.url}/v1/models/movenet:predict`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: new Uint8Array(readFileSync('test/fixtures/images/astronaut.png')),
        });
        expect(body.error ?? status).toBe(200);
        const { landmarks } = body.predictions[0];
        expect(landmarks.map((point: { name: string }) => point.name)).toEqual(NAMES);
        // astronaut.png is square: no letterbox padding, and resizing keeps the mean red value.
        const { channels } = await sharp('test/fixtures/images/astronaut.png').stats();
        const red = channels[0]!.mean / 255;
        for (const point of landmarks) expect(point.score).toBeCloseTo(red, 2);
        const metadata = await call(`${own.url}/v2/models/movenet`);
        expect(metadata.body.parameters).toMatchObject({
          task: 'landmarks',
          settingsFrom: { task: 'tensor', input: 'tensor' },
          input: { range: [0, 255] },
        });
      } finally {
        await own.close();
      }
    },
  );
});
