import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CompressOptions, compressModel } from '../../src/compress/compressModel.js';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import { ModelLoadError } from '../../src/errors.js';
import { imageInputSpec } from '../../src/manifest/resolveManifest.js';
import { compareOutputs } from '../../src/onnx/gate.js';
import { mediapipe } from '../helpers/models.js';

// The smallest model: BlazeFace short range (230 KB), every mode and --io.
const face = new Uint8Array(readFileSync(mediapipe.faceDetection));
const compress = async (options: Partial<CompressOptions> & Pick<CompressOptions, 'mode'>): Promise<Uint8Array> =>
  (
    await compressModel(face, {
      imageSpec: imageInputSpec({ task: 'face-detection' }),
      latencyRuns: 1,
      ...(options.mode === 'int8' && { calibration: 'test/fixtures/images' }),
      ...options,
    })
  ).bytes;

/** Served on ort, and answering like TFLite on inputs the gate did not see. */
const served = async (bytes: Uint8Array): Promise<void> => {
  const ort = await loadModel(bytes, { engine: 'ort', threads: 1 });
  const native = await loadModel(bytes, { engine: 'native', threads: 1 });
  try {
    expect(ort.inputs).toEqual(native.inputs);
    expect(ort.outputs).toEqual(native.outputs);
    const inputs = syntheticInputs(native.inputs, 4);
    const verdict = compareOutputs(native.outputs, await ort.runAsync(inputs), native.run(inputs), 'native');
    expect(verdict.pass, verdict.summary).toBe(true);
  } finally {
    ort.dispose();
    native.dispose();
  }
};

/**
 * Refused by the gate, with its numbers; yet on the first synthetic input
 * the translation answers within the gate's limits: what fails is the
 * amplification, over residual blocks, of a few values that ONNX Runtime
 * rounds differently from TFLite (its int8 ADD rescales in float, XNNPACK's
 * in 21-bit fixed point; hybrid layers requantize their inputs at run time).
 */
const refused = async (bytes: Uint8Array, numbers: RegExp): Promise<void> => {
  const load = loadModel(bytes, { engine: 'ort', threads: 1 });
  await expect(load).rejects.toBeInstanceOf(ModelLoadError);
  await expect(load).rejects.toThrow(numbers);
};

const refusedButClose = async (bytes: Uint8Array, numbers: RegExp): Promise<void> => {
  await refused(bytes, numbers);
  const native = await loadModel(bytes, { engine: 'native', threads: 1 });
  try {
    const { OrtModel } = await import('../../src/engine/ort/OrtModel.js');
    const { translateModel } = await import('../../src/onnx/translateModel.js');
    const { readModel } = await import('../../src/tflite/readModel.js');
    const translated = translateModel(readModel(bytes));
    const ort = await OrtModel.create(
      { onnx: translated.onnx, ...translated.report },
      native.inputs,
      native.outputs,
      1,
    );
    const inputs = syntheticInputs(native.inputs, 1);
    const verdict = compareOutputs(native.outputs, await ort.runAsync(inputs), native.run(inputs), 'native');
    ort.dispose();
    expect(verdict.pass, verdict.summary).toBe(true);
  } finally {
    native.dispose();
  }
};

describe('ort on tfls compress outputs (face detection)', () => {
  it.each(['float32', 'float16'] as const)('--mode %s: served', async (mode) => {
    await served(await compress({ mode }));
  });

  it('--mode int8 (--io float32): refused, though the first input answers alike', async () => {
    await refusedButClose(await compress({ mode: 'int8' }), /classificators: cosine 0\.99\d+, max error .* \(FAILS\)/);
  });

  it('--mode int8 --io int8: refused, with the gate numbers', async () => {
    await refused(
      await compress({ mode: 'int8', io: 'int8' }),
      /classificators: \d+\.\d+% within 1 step \(max \d+\), argmax same \(FAILS\)/,
    );
  });

  // With the guard on, --io uint8 writes a QUANTIZE nothing reads (compress's own bug), so unguarded here:
  // without the float16 layers the guard keeps, the drift is larger from the first input on.
  it('--mode int8 --io uint8: refused', async () => {
    await refused(await compress({ mode: 'int8', io: 'uint8', guard: false }), /within 1 step .* \(FAILS\)/);
  });

  // Dynamic mode stores int8 weights read through DEQUANTIZE at load: the graph computes in float,
  // and the translation answers as TFLite does (the hybrid kernels it once wrote were refused here).
  it('--mode dynamic: served', async () => {
    await served(await compress({ mode: 'dynamic' }));
  });
});
