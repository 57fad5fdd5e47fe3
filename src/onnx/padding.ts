import { Padding } from '../tflite/generated/schema_generated.js';

/**
 * TFLite's padding for one spatial dimension (ComputePaddingWithOffset):
 * SAME pads so that out = ceil(in / stride), the odd pixel going after;
 * VALID pads nothing. Returns [before, after].
 */
const padding1d = (
  padding: Padding,
  inSize: number,
  kernel: number,
  stride: number,
  dilation = 1,
): [number, number] => {
  const effective = (kernel - 1) * dilation + 1;
  const out =
    padding === Padding.SAME
      ? Math.floor((inSize + stride - 1) / stride)
      : Math.floor((inSize - effective + stride) / stride);
  const total = Math.max((out - 1) * stride + effective - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
};

/** ONNX `pads` ([top, left, bottom, right]) for a 2-D window over an NHWC input of `shape`. */
const pads2d = (
  padding: Padding,
  shape: readonly number[],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number] = [1, 1],
): number[] => {
  const [top, bottom] = padding1d(padding, shape[1]!, kernel[0], stride[0], dilation[0]);
  const [left, right] = padding1d(padding, shape[2]!, kernel[1], stride[1], dilation[1]);
  return [top, left, bottom, right];
};

export { padding1d, pads2d };
