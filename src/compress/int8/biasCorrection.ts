import { BuiltinOperator } from '../../tflite/generated/schema_generated.js';

/**
 * Empirical bias correction (Nagel et al., "Data-Free Quantization", 2019):
 * rounding weights to int8 shifts each output channel's mean by
 * Σ (dequantized weight − weight) × E[input channel]. Subtracting that shift
 * from the float bias, before the bias is quantized, removes the systematic
 * part of the weights' error; only the random part remains. It matters most
 * for depthwise layers, whose few taps per channel do not average it away.
 *
 * Returns the per-output-channel shift, or undefined when the input's
 * channels do not line up with the weights (an FC that flattens a feature map).
 */
const weightRoundingShift = (
  builtin: BuiltinOperator,
  weights: Float32Array,
  shape: readonly number[],
  quantized: Int8Array,
  scales: readonly number[],
  inputMeans: Float64Array,
): Float64Array | undefined => {
  const inputs = inputMeans.length;
  if (builtin === BuiltinOperator.DEPTHWISE_CONV_2D) {
    // [1, H, W, C × multiplier], one scale per output channel (the last axis).
    const channels = shape[3]!;
    const multiplier = channels / inputs;
    if (!Number.isInteger(multiplier)) return undefined;
    const shift = new Float64Array(channels);
    for (let i = 0; i < weights.length; i++) {
      const c = i % channels;
      shift[c]! += (quantized[i]! * scales[c]! - weights[i]!) * inputMeans[Math.floor(c / multiplier)]!;
    }
    return shift;
  }
  // CONV_2D [O, H, W, I] and FULLY_CONNECTED [O, I]: input channel innermost.
  const outputs = shape[0]!;
  const perOutput = weights.length / outputs;
  if (shape[shape.length - 1] !== inputs) return undefined;
  const shift = new Float64Array(outputs);
  for (let i = 0; i < weights.length; i++) {
    const o = Math.floor(i / perOutput);
    const scale = scales.length === 1 ? scales[0]! : scales[o]!;
    shift[o]! += (quantized[i]! * scale - weights[i]!) * inputMeans[i % inputs]!;
  }
  return shift;
};

export { weightRoundingShift };
