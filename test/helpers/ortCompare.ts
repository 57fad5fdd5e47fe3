import { expect } from 'vitest';
import type { TypedArray } from '../../src/dtypes.js';
import { loadModel } from '../../src/engine/loadModel.js';
import { seededRandom, syntheticInputs } from '../../src/engine/syntheticInputs.js';
import type { Model, TensorInfo } from '../../src/engine/types.js';
import { maxRelativeError } from './compare.js';

/** Inputs across negative and positive values (the gate's synthetic inputs are all in [0, 1)). */
const signedInputs = (infos: readonly TensorInfo[], seed: number): TypedArray[] => {
  const random = seededRandom(seed);
  return syntheticInputs(infos, seed).map((array, i) => {
    if (infos[i]!.dtype !== 'float32') return array;
    const floats = array as Float32Array;
    for (let k = 0; k < floats.length; k++) floats[k] = random() * 4 - 2;
    return floats;
  });
};

/**
 * Loads the file on the ort engine (which has passed the gate) and on the
 * native one, runs both on three seeded inputs in [-2, 2) and checks every
 * output: floats within `tolerance` of the output's range (maxRelativeError),
 * integers within `steps` of each other.
 */
const answersLikeNative = async (
  bytes: Uint8Array,
  { tolerance = 1e-4, steps = 0 }: { tolerance?: number; steps?: number } = {},
): Promise<Model> => {
  const ort = await loadModel(bytes, { engine: 'ort', threads: 1 });
  const native = await loadModel(bytes, { engine: 'native', threads: 1 });
  try {
    expect(ort.engine).toBe('ort');
    for (const seed of [1, 2, 3]) {
      const inputs = signedInputs(native.inputs, seed);
      const [expected, actual] = [native.run(inputs), await ort.runAsync(inputs)];
      expected.forEach((tensor, i) => {
        const got = actual[i]!;
        expect(got.shape).toEqual(tensor.shape);
        expect(got.dtype).toBe(tensor.dtype);
        if (tensor.dtype === 'float32') expect(maxRelativeError(got.data, tensor.data)).toBeLessThanOrEqual(tolerance);
        else {
          let worst = 0;
          for (let k = 0; k < tensor.data.length; k++)
            worst = Math.max(worst, Math.abs(Number(got.data[k]) - Number(tensor.data[k])));
          expect(worst).toBeLessThanOrEqual(steps);
        }
      });
    }
    return ort;
  } finally {
    native.dispose();
  }
};

export { answersLikeNative, signedInputs };
