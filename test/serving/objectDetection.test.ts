import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveManifest } from '../../src/manifest/resolveManifest.js';
import { withMetadata } from '../helpers/metadataModel.js';
import { addVersion } from '../helpers/repository.js';
import { call, startServer, type TestServer } from '../helpers/server.js';
import { fixedAnswerModel } from '../helpers/tinyModels.js';

// What TFLite_Detection_PostProcess answers, past NMS: 3 detections (the 4th slot is padding).
const BOXES = [
  [0.1, 0.2, 0.5, 0.6], // ymin, xmin, ymax, xmax: normalized to the input
  [0.0, 0.0, 1.2, 0.3], // past the bottom edge: clipped to the photo
  [0.4, 0.4, 0.6, 0.7],
  [0, 0, 0, 0],
];
const CLASSES = [2, 0, 1, 0];
const SCORES = [0.9, 0.75, 0.3, 0];
const COUNT = [3];

/**
 * A model with the four outputs of an SSD / EfficientDet-Lite export (boxes [1, 4, 4], classes [1, 4],
 * scores [1, 4], count [1]) named as the TFLite converter names TFLite_Detection_PostProcess's outputs.
 * Its answer is fixed, so where the boxes land is known.
 */
const detector = (): Uint8Array =>
  fixedAnswerModel(
    [1, 300, 300, 3],
    [
      { name: 'TFLite_Detection_PostProcess', values: BOXES.flat(), shape: [1, 4, 4] },
      { name: 'TFLite_Detection_PostProcess:1', values: CLASSES, shape: [1, 4] },
      { name: 'TFLite_Detection_PostProcess:2', values: SCORES, shape: [1, 4] },
      { name: 'TFLite_Detection_PostProcess:3', values: COUNT, shape: [1] },
    ],
  );

const LABELS = ['person', 'bicycle', 'cat'];

let server: TestServer;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'tfls-detect-'));
  addVersion(root, 'ssd', 1, detector(), { task: 'object-detection', labels: LABELS });
  // No model.json: the metadata of an ObjectDetector (tflite-support's writer) is enough.
  addVersion(
    root,
    'ssd-metadata',
    1,
    withMetadata(detector(), LABELS, { name: 'ObjectDetector', normalization: null }),
  );
  server = await startServer({ MODEL_REPOSITORY: root });
});
afterAll(() => server.close());

const predict = async (model: string) => {
  const { status, body } = await call(`${server.url}/v1/models/${model}:predict`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: new Uint8Array(readFileSync('assets/samples/chelsea.jpg')),
  });
  expect(body.error ?? status).toBe(200);
  return body.predictions[0].detections;
};

describe('object detection (TFLite_Detection_PostProcess outputs)', () => {
  it('labels, scores and boxes in original pixels; below the threshold left out; clipped to the photo', async () => {
    // chelsea.jpg is 320x213, stretched to 300x300: normalized coordinates map straight onto the photo.
    const detections = await predict('ssd');
    expect(detections).toEqual([
      { label: 'cat', index: 2, score: 0.9, box: { x: 64, y: 21.3, width: 128, height: 85.2 } },
      { label: 'person', index: 0, score: 0.75, box: { x: 0, y: 0, width: 96, height: 213 } },
    ]);
  });

  it('an ObjectDetector with metadata needs no model.json', async () => {
    const detections = await predict('ssd-metadata');
    expect(detections.map((d: { label: string }) => d.label)).toEqual(['cat', 'person']);
    const metadata = await call(`${server.url}/v2/models/ssd-metadata`);
    expect(metadata.body.parameters).toMatchObject({
      task: 'object-detection',
      settingsFrom: { task: 'metadata', labels: 'metadata', input: 'default' },
    });
  });

  it('a model without the four outputs is refused as an object detector, saying why', async () => {
    const tensor = (name: string, shape: number[]) => ({ name, dtype: 'float32' as const, shape, quantization: null });
    const io = { inputs: [tensor('image', [1, 300, 300, 3])], outputs: [tensor('scores', [1, 10])] };
    await expect(
      resolveManifest({ task: 'object-detection' }, io, () => Promise.reject(new Error('none'))),
    ).rejects.toThrow(/needs the four outputs of TFLite_Detection_PostProcess .* this model has 1/);
  });
});
