import type { Tensor } from '../engine/types.js';
import { InferenceError } from '../errors.js';
import { fromHalf } from '../float16.js';

/** An output named or numbered in model.json. */
const pickOutput = (outputs: readonly Tensor[], ref: string | number): Tensor => {
  const tensor = typeof ref === 'number' ? outputs[ref] : outputs.find((t) => t.name === ref);
  if (!tensor) throw new InferenceError(`the model has no output ${JSON.stringify(ref)}`);
  return tensor;
};

/** An output's values as real numbers, dequantized when the tensor is quantized. */
const realValues = (
  tensor: Tensor,
  quantization?: { scale: readonly number[]; zeroPoint: readonly number[] } | null,
): Float64Array => {
  const out = new Float64Array(tensor.data.length);
  const scale = quantization?.scale[0];
  const zeroPoint = quantization?.zeroPoint[0] ?? 0;
  for (let i = 0; i < out.length; i++) {
    const raw = tensor.dtype === 'float16' ? fromHalf(tensor.data[i] as number) : Number(tensor.data[i]);
    out[i] =
      scale !== undefined && (tensor.dtype === 'int8' || tensor.dtype === 'uint8' || tensor.dtype === 'int16')
        ? (raw - zeroPoint) * scale
        : raw;
  }
  return out;
};

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Applies a declared activation to scores. */
const activate = (values: Float64Array, activation: 'none' | 'sigmoid' | 'softmax'): Float64Array => {
  if (activation === 'none') return values;
  if (activation === 'sigmoid') return values.map(sigmoid);
  const max = values.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
};

const round4 = (value: number): number => Math.round(value * 10000) / 10000;
/** Pixel coordinates to a hundredth of a pixel. */
const round2 = (value: number): number => Math.round(value * 100) / 100;

export { activate, pickOutput, realValues, round2, round4, sigmoid };
