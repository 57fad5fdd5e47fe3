import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/engine/loadModel.js';
import { syntheticInputs } from '../../src/engine/syntheticInputs.js';
import { ModelFormatError, TflsError } from '../../src/errors.js';
import { BuiltinOperator } from '../../src/tflite/generated/schema_generated.js';
import { bufferBytes } from '../../src/tflite/modelBuffers.js';
import { readModel } from '../../src/tflite/readModel.js';
import { mediapipe } from '../helpers/models.js';
import { mutations } from '../helpers/mutate.js';
import { floatBytes, singleOpModel } from '../helpers/tinyModels.js';

const original = new Uint8Array(readFileSync(mediapipe.faceDetection));

// A [1, 16384, 16384, 1] float input plus a constant: 2 GiB of tensors declared, a few hundred bytes on disk.
const giant = () =>
  singleOpModel(BuiltinOperator.ADD, [
    { name: 'a', shape: [1, 16384, 16384, 1] },
    { name: 'b', shape: [1], data: floatBytes([1]) },
    { name: 'y', shape: [1, 16384, 16384, 1] },
  ]);

describe('models that declare more memory than they may have', () => {
  it.each(['auto', 'native', 'wasm'] as const)(
    'a model declaring 2 GiB of tensors is refused before any engine allocates (%s), as a format error',
    async (engine) => {
      const error = await loadModel(giant(), { engine }).catch((e: unknown) => e);
      // The declared sizes' own message, from the check that runs before either engine sees the file
      // (bench:bombs prints the RSS it leaves); not the native engine's after-allocation one.
      expect(error).toBeInstanceOf(ModelFormatError);
      expect((error as Error).message).toBe("the model's tensors would take 2048 MB, at or over the limit of 1024 MB");
    },
  );

  it('the budget is inclusive: a model exactly at the limit is refused, one byte under loads', async () => {
    const small = singleOpModel(BuiltinOperator.ADD, [
      { name: 'a', shape: [1, 4] },
      { name: 'b', shape: [1], data: floatBytes([1]) },
      { name: 'y', shape: [1, 4] },
    ]);
    await expect(loadModel(small, { engine: 'auto', maxTensorBytes: 32 })).rejects.toThrow(/at or over the limit/);
    const model = await loadModel(small, { engine: 'native', maxTensorBytes: 33 });
    model.dispose();
  });
});

describe('damaged model files', () => {
  it.each([0, 7, 16, 100, 4096, original.length / 2, original.length - 1])(
    'a file truncated to %i bytes is a ModelFormatError',
    async (length) => {
      await expect(loadModel(original.subarray(0, length), { engine: 'native' })).rejects.toBeInstanceOf(
        ModelFormatError,
      );
    },
  );

  it('random bytes, with or without the TFL3 identifier, are ModelFormatErrors', async () => {
    for (let seed = 0; seed < 50; seed++) {
      const bytes = new Uint8Array(1000 + seed * 97).map((_, i) => (i * 2654435761 + seed * 40503) >>> 24);
      if (seed % 2 === 0) bytes.set([0x54, 0x46, 0x4c, 0x33], 4);
      await expect(loadModel(bytes, { engine: 'native' })).rejects.toBeInstanceOf(ModelFormatError);
    }
  });

  it('a file of another kind says it is not a TFLite model', async () => {
    await expect(loadModel(new TextEncoder().encode('{"not": "a model", "padding": "........"}'))).rejects.toThrow(
      /^not a TFLite model: file identifier is ".*", expected "TFL3"$/,
    );
  });

  it('1,000 byte-mutated models each end in a typed error or a working model, never a crash', async () => {
    // Prepare: aim most mutations at the flatbuffer structure, not the weights.
    const { model } = readModel(original);
    const ranges = model.buffers
      .map((buffer) => bufferBytes(buffer))
      .filter((data) => data.length > 0)
      .map(
        (data) => [data.byteOffset - original.byteOffset, data.byteOffset - original.byteOffset + data.length] as const,
      );
    const outcomes = new Map<string, number>();
    const count = (key: string): void => void outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

    // Act
    for (const bytes of mutations(original, 1000, 2026, ranges)) {
      try {
        const loaded = await loadModel(bytes, { engine: 'native', threads: 1 });
        try {
          loaded.run(syntheticInputs(loaded.inputs));
          count('ran');
        } catch (error) {
          expect(error).toBeInstanceOf(TflsError);
          count(`run: ${(error as Error).name}`);
        } finally {
          loaded.dispose();
        }
      } catch (error) {
        expect(error).toBeInstanceOf(TflsError);
        count((error as Error).name);
      }
    }

    // Assess: the process is alive, and both refusals and survivors occurred.
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(1000);
    expect(outcomes.get('ModelFormatError')).toBeGreaterThan(100);
    expect(outcomes.get('ran')).toBeGreaterThan(10);
  });
});
