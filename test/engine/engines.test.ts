import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import { ModelLoadError } from '../../src/errors.js';
import { readModel } from '../../src/tflite/readModel.js';
import { writeModel } from '../../src/tflite/writeModel.js';
import { maxRelativeError } from '../helpers/compare.js';
import { trackedLoads } from '../helpers/engines.js';
import { mediapipe } from '../helpers/models.js';

const { load, disposeAll } = trackedLoads();
afterAll(disposeAll);

describe('native and WASM engines', () => {
  it.each([
    ['face_detection_short_range', mediapipe.faceDetection],
    ['hand_landmark_full', mediapipe.handLandmarkFull],
    ['pose_landmark_full', mediapipe.poseLandmarkFull],
  ])('agree on %s within 1e-3', async (_name, path) => {
    // Prepare
    const native = await load(path, { engine: 'native', threads: 1 });
    const wasm = await load(path, { engine: 'wasm' });
    const inputs = syntheticInputs(native.inputs, 7);

    // Act
    const fromNative = native.run(inputs);
    const fromWasm = wasm.run(inputs);

    // Assess
    expect(native.engine).toBe('native');
    expect(native.delegate).toBe('xnnpack');
    expect(native.delegatedNodes).toBeGreaterThan(0);
    expect(wasm.engine).toBe('wasm');
    expect(fromWasm.map((t) => t.shape)).toEqual(fromNative.map((t) => t.shape));
    fromNative.forEach((tensor, i) => {
      expect(maxRelativeError(tensor.data, fromWasm[i]!.data)).toBeLessThan(1e-3);
    });
  });

  it('describes inputs and outputs with names, dtypes, shapes and quantization', async () => {
    const model = await load(mediapipe.faceDetection, { engine: 'native', threads: 1 });
    expect(model.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: [1, 128, 128, 3], quantization: null }]);
    expect(model.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['regressors', [1, 896, 16]],
      ['classificators', [1, 896, 1]],
    ]);
    expect(model.threads).toBe(1);
  });

  it('falls back to WASM under auto when the native runtime lacks a custom op, and says why', async () => {
    const model = await load(mediapipe.selfieSegmentation);
    expect(model.engine).toBe('wasm');
    expect(model.fallbackReason).toMatch(/Convolution2DTransposeBias/);
    const [mask] = model.run(syntheticInputs(model.inputs));
    expect(mask!.shape).toEqual([1, 256, 256, 1]);
    const values = mask!.data as Float32Array;
    expect(values.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('refuses the same model on the native engine alone, with a typed error', async () => {
    await expect(loadModel(mediapipe.selfieSegmentation, { engine: 'native' })).rejects.toBeInstanceOf(ModelLoadError);
  });

  it('refuses a custom op no engine has on WASM too, instead of running it with garbage out', async () => {
    const file = readModel(new Uint8Array(readFileSync(mediapipe.selfieSegmentation)));
    for (const code of file.model.operatorCodes) if (code.customCode) code.customCode = 'NoSuchOp';
    const bytes = writeModel(file);
    await expect(loadModel(bytes, { engine: 'wasm' })).rejects.toThrow(/could not prepare the model.*NoSuchOp/);
    await expect(loadModel(bytes)).rejects.toBeInstanceOf(ModelLoadError);
    // The runtime is still good for the next model.
    const model = await load(mediapipe.faceDetection, { engine: 'wasm' });
    expect(model.run(syntheticInputs(model.inputs))[0]!.data.length).toBeGreaterThan(0);
  });

  it('runs without the XNNPACK delegate when asked, and reports why', async () => {
    const model = await load(mediapipe.faceDetection, { engine: 'native', threads: 1, xnnpack: false });
    expect(model.delegate).toBe('none');
    expect(model.delegateReason).toBe('disabled by option');
    const withDelegate = await load(mediapipe.faceDetection, { engine: 'native', threads: 1 });
    const inputs = syntheticInputs(model.inputs, 3);
    expect(maxRelativeError(model.run(inputs)[0]!.data, withDelegate.run(inputs)[0]!.data)).toBeLessThan(1e-3);
  });
});
