import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compressModel } from '../../src/compress/compressModel.js';
import { loadModel } from '../../src/engine/loadModel.js';
import { BuiltinOperator, TensorType } from '../../src/tflite/generated/schema_generated.js';
import { kserveRequest } from '../helpers/kserveRequest.js';
import { floatBytes, graphModel, int32Bytes } from '../helpers/tinyModels.js';

/**
 * MAXIMUM, MINIMUM and PADV2 in int8 compare or copy raw int8 values: their
 * inputs (and PADV2's padding value) must share one scale with the output,
 * or the int8 model answers something else than the float one. x in [-2, 2]
 * is clamped to [lo, hi] per channel, padded with 0.25, then doubled (ADD,
 * so that the padding is not the float tail).
 */
const SHAPE = [1, 8, 8, 3];
const model = graphModel(
  [
    { name: 'x', shape: SHAPE },
    { name: 'lo', shape: [3], data: floatBytes([-0.5, 0.1, -1.5]) },
    { name: 'clamped_low', shape: SHAPE },
    { name: 'hi', shape: [3], data: floatBytes([0.8, 1.7, 0.3]) },
    { name: 'clamped', shape: SHAPE },
    { name: 'paddings', shape: [4, 2], type: TensorType.INT32, data: int32Bytes([0, 0, 1, 1, 1, 1, 0, 0]) },
    { name: 'pad_value', shape: [1], data: floatBytes([0.25]) },
    { name: 'padded', shape: [1, 10, 10, 3] },
    { name: 'y', shape: [1, 10, 10, 3] },
  ],
  [
    { op: BuiltinOperator.MAXIMUM, inputs: ['x', 'lo'], output: 'clamped_low' },
    { op: BuiltinOperator.MINIMUM, inputs: ['clamped_low', 'hi'], output: 'clamped' },
    { op: BuiltinOperator.PADV2, inputs: ['clamped', 'paddings', 'pad_value'], output: 'padded' },
    { op: BuiltinOperator.ADD, inputs: ['padded', 'padded'], output: 'y' },
  ],
);

const random = (seed: number): Float32Array => {
  let state = seed * 2654435761;
  return Float32Array.from({ length: 8 * 8 * 3 }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return (state / 2 ** 32) * 4 - 2;
  });
};

describe('int8 ops that do not rescale', () => {
  it('MAXIMUM, MINIMUM and PADV2 keep the float model’s answers within a few quantization steps', async () => {
    const float = await loadModel(model, { engine: 'native', threads: 1 });
    const calibration = mkdtempSync(join(tmpdir(), 'tfls-int8-rules-'));
    for (let i = 0; i < 16; i++)
      writeFileSync(join(calibration, `${i}.json`), JSON.stringify(kserveRequest(float.inputs, [random(i + 1)])));
    const { bytes, report } = await compressModel(model, { mode: 'int8', calibration, latencyRuns: 3 });
    expect(report.floatOps?.map((o) => o.op)).not.toEqual(expect.arrayContaining(['MAXIMUM', 'MINIMUM', 'PADV2']));
    const int8 = await loadModel(bytes, { engine: 'native', threads: 1 });
    try {
      // y spans [-3, 3.4]: one int8 step of it is 0.025.
      const step = 6.4 / 255;
      for (let seed = 100; seed < 108; seed++) {
        const x = random(seed);
        const expected = float.run([x])[0]!.data as Float32Array;
        const actual = int8.run([x])[0]!.data as Float32Array;
        let worst = 0;
        for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i]! - actual[i]!));
        expect(worst).toBeLessThan(3 * step);
        // The border is the padding value, doubled.
        expect(actual[0]).toBeCloseTo(0.5, 1);
      }
    } finally {
      float.dispose();
      int8.dispose();
    }
  });
});
