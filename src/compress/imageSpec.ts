import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { imageInputSpec } from '../manifest/resolveManifest.js';
import type { ImageInputSpec } from '../manifest/types.js';
import { readMetadata } from '../tflite/metadata.js';
import type { TfliteFile } from '../tflite/readModel.js';

/**
 * How photos become this model's input for fidelity checks and calibration:
 * the model.json beside the file (the repository layout), else the TFLite
 * metadata's normalization, else pixels scaled to [0, 1].
 */
const imageSpecFor = async (modelPath: string | undefined, file: TfliteFile): Promise<ImageInputSpec | undefined> => {
  if (modelPath !== undefined) {
    const text = await readFile(join(dirname(modelPath), 'model.json'), 'utf8').catch(() => undefined);
    if (text !== undefined) return imageInputSpec(JSON.parse(text));
  }
  const normalization = readMetadata(file)?.normalization;
  if (normalization)
    return {
      resize: 'stretch',
      range: [0, 1],
      mean: normalization.mean,
      std: normalization.std,
      channels: 'rgb',
      color: 'rgb',
      tensor: 0,
    };
  return undefined;
};

export { imageSpecFor };
