import type { TypedArray } from '../../dtypes.js';
import { loadModel } from '../../engine/loadModel.js';
import type { TensorInfo } from '../../engine/types.js';
import type { TfliteFile } from '../../tflite/readModel.js';
import type { LayerReport } from '../types.js';
import { shadowModel } from './shadowModel.js';

/** TensorFlow's QuantizationDebugger metrics for one quantized layer, averaged over the samples. */
type LayerStats = LayerReport;

interface Accumulator {
  readonly op: string;
  sums: number[];
  count: number;
  scale: number;
}

/**
 * Each quantized layer's output against its float twin fed the same
 * (dequantized) inputs, over the samples: the error each layer adds.
 */
const layerStats = async (
  floatFile: TfliteFile,
  int8Bytes: Uint8Array,
  layers: readonly { name: string; op: string }[],
  samples: readonly TypedArray[][],
): Promise<LayerStats[]> => {
  const { bytes, pairs } = shadowModel(floatFile.model, int8Bytes, layers);
  const model = await loadModel(bytes, { threads: 1 });
  const stats = pairs.map((pair): Accumulator => ({ op: pair.op, sums: [0, 0, 0, 0, 0], count: 0, scale: 0 }));
  try {
    for (const inputs of samples) {
      const feed = model.inputs.map((info, i) =>
        info.dtype === 'float32' ? inputs[i]! : quantizeInput(inputs[i]!, info),
      );
      model.run(feed, {
        consume: (outputs) => {
          pairs.forEach((pair, p) => {
            const quantization = model.outputs[pair.quantized]!.quantization;
            if (!quantization || model.outputs[pair.quantized]!.dtype !== 'int8') return;
            accumulate(
              stats[p]!,
              outputs[pair.quantized]!.data as Int8Array,
              outputs[pair.float]!.data as Float32Array,
              quantization.scale[0]!,
              quantization.zeroPoint[0] ?? 0,
            );
          });
        },
      });
    }
  } finally {
    model.dispose();
  }
  return pairs
    .map((pair, p) => ({ pair, a: stats[p]! }))
    .filter(({ a }) => a.count > 0)
    .map(({ pair, a }) => {
      const meanSquaredError = a.sums[3]! / a.count;
      return {
        name: pair.name,
        op: a.op,
        numElements: a.sums[4]!,
        stddev: a.sums[0]! / a.count,
        meanError: a.sums[1]! / a.count,
        maxAbsError: a.sums[2]! / a.count,
        meanSquaredError,
        scale: a.scale,
        rmseOverScale: Math.sqrt(meanSquaredError) / a.scale,
      };
    });
};

const accumulate = (a: Accumulator, ints: Int8Array, values: Float32Array, scale: number, zeroPoint: number): void => {
  let sum = 0;
  let squares = 0;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    const diff = (ints[i]! - zeroPoint) * scale - values[i]!;
    sum += diff;
    squares += diff * diff;
    maxAbs = Math.max(maxAbs, Math.abs(diff));
  }
  const n = values.length;
  const mean = sum / n;
  const mse = squares / n;
  a.sums = [
    a.sums[0]! + Math.sqrt(Math.max(0, mse - mean * mean)),
    a.sums[1]! + mean,
    a.sums[2]! + maxAbs,
    a.sums[3]! + mse,
    n,
  ];
  a.count++;
  a.scale = scale;
};

/** A float sample as the int8 model's integer input. */
const quantizeInput = (values: TypedArray, info: TensorInfo): TypedArray => {
  const scale = info.quantization?.scale[0] ?? 1;
  const zeroPoint = info.quantization?.zeroPoint[0] ?? 0;
  const [lo, hi] = info.dtype === 'uint8' ? [0, 255] : [-128, 127];
  const out = info.dtype === 'uint8' ? new Uint8Array(values.length) : new Int8Array(values.length);
  for (let i = 0; i < values.length; i++)
    out[i] = Math.min(hi, Math.max(lo, Math.round(Number(values[i]) / scale + zeroPoint)));
  return out;
};

export type { LayerStats };
export { layerStats, quantizeInput };
