import { type Tensor, TensorType } from './generated/reader/schema_generated.js';

/**
 * No real model's quantization is this coarse (an int8 tensor would span
 * +-2^31); TFLite 2.9 aborts on scales far below it (a scale of 1e10 on an
 * int8 activation fails a TFLITE_CHECK while the interpreter is created).
 */
const MAX_SCALE = 2 ** 24;

/** The values a zero point may take: those of the tensor's own integer type. */
const ZERO_POINT_RANGE: Readonly<Partial<Record<TensorType, readonly [bigint, bigint]>>> = {
  [TensorType.INT8]: [-128n, 127n],
  [TensorType.UINT8]: [0n, 255n],
  [TensorType.INT16]: [-32768n, 32767n],
  [TensorType.UINT16]: [0n, 65535n],
  [TensorType.INT32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [TensorType.UINT32]: [0n, 2n ** 32n - 1n],
  [TensorType.INT4]: [-8n, 7n],
  [TensorType.UINT4]: [0n, 15n],
  [TensorType.INT2]: [-2n, 1n],
};

/**
 * Why a tensor's affine quantization cannot be what TFLite computes with,
 * or undefined: every scale finite, positive and at most 2^24 (TFLite 2.9
 * aborts the process on 0, negative, NaN, infinite and huge scales); zero
 * points inside the tensor type's range; and per-axis parameters along a
 * dimension the tensor has, one per element of it (or one for the tensor).
 */
const quantizationProblem = (tensor: Tensor, shape: readonly number[]): string | undefined => {
  const quantization = tensor.quantization();
  const scales = quantization?.scaleLength() ?? 0;
  if (!quantization || scales === 0) return undefined;
  for (let i = 0; i < scales; i++) {
    const scale = quantization.scale(i)!;
    if (!(scale > 0 && scale <= MAX_SCALE))
      return `has quantization scale ${Number(scale.toPrecision(6))} (a scale must be over 0 and at most 2^24)`;
  }
  const zeroPoints = quantization.zeroPointLength();
  if (zeroPoints > 0 && zeroPoints !== scales) return `has ${scales} quantization scales but ${zeroPoints} zero points`;
  const range = ZERO_POINT_RANGE[tensor.type() as TensorType];
  for (let i = 0; range && i < zeroPoints; i++) {
    const zeroPoint = quantization.zeroPoint(i)!;
    if (zeroPoint < range[0] || zeroPoint > range[1])
      return `has zero point ${zeroPoint}, outside its type's ${range[0]}..${range[1]}`;
  }
  const dimension = quantization.quantizedDimension();
  if (shape.length > 0 && !(dimension >= 0 && dimension < shape.length))
    return `has quantized dimension ${dimension}, outside 0..${shape.length - 1}`;
  if (scales > 1 && shape[dimension] !== scales)
    return `has ${scales} per-channel scales for ${shape[dimension]} channels`;
  return undefined;
};

export { quantizationProblem };
