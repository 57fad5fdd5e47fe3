import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BuiltinOperator,
  BuiltinOptions,
  ReducerOptionsT,
  TensorType,
} from '../../src/tflite/generated/schema_generated.js';
import { mediapipe } from './models.js';
import { fullyConnectedModel, singleOpModel } from './tinyModels.js';

const int32Bytes = (values: readonly number[]): Uint8Array => new Uint8Array(Int32Array.from(values).buffer);

/** Mean of each colour channel over an 8x8 image: a real (if humble) three-class image classifier. */
const colourModel = (): Uint8Array => {
  const options = new ReducerOptionsT();
  options.keepDims = false;
  return singleOpModel(
    BuiltinOperator.MEAN,
    [
      { name: 'image', shape: [1, 8, 8, 3] },
      { name: 'axes', shape: [2], type: TensorType.INT32, data: int32Bytes([1, 2]) },
      { name: 'scores', shape: [1, 3] },
    ],
    { type: BuiltinOptions.ReducerOptions, value: options },
  );
};

const addVersion = (
  root: string,
  name: string,
  version: number,
  model: string | Uint8Array,
  manifest?: unknown,
  extra: Record<string, string> = {},
): string => {
  const directory = join(root, name, String(version));
  mkdirSync(directory, { recursive: true });
  if (typeof model === 'string') cpSync(model, join(directory, 'model.tflite'));
  else writeFileSync(join(directory, 'model.tflite'), model);
  if (manifest !== undefined) writeFileSync(join(directory, 'model.json'), JSON.stringify(manifest));
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(directory, file), text);
  return directory;
};

/**
 * A model repository on disk with one model per task: the project's default
 * face detector, MediaPipe's hand landmarks and selfie segmentation (a WASM
 * fallback), a colour classifier with labels, a tensor model, and a model
 * whose file is corrupt.
 */
const makeRepository = (): string => {
  const root = mkdtempSync(join(tmpdir(), 'tfls-repo-'));
  addVersion(root, 'face-detection', 1, 'models/face-detection/1/model.tflite', { task: 'face-detection' });
  addVersion(root, 'hands', 1, mediapipe.handLandmarkFull, { task: 'landmarks' });
  addVersion(root, 'selfie', 1, mediapipe.selfieSegmentation, { task: 'segmentation' });
  addVersion(
    root,
    'colours',
    1,
    colourModel(),
    { task: 'classification', labels: 'labels.txt', topK: 3, input: { resize: 'stretch', range: [0, 1] } },
    { 'labels.txt': 'red\ngreen\nblue\n' },
  );
  addVersion(
    root,
    'linear',
    1,
    fullyConnectedModel(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [0.5, 0, -0.5],
    ),
  );
  addVersion(root, 'broken', 1, new TextEncoder().encode('TFL3 is not enough to make a model'));
  return root;
};

export { addVersion, colourModel, makeRepository };
