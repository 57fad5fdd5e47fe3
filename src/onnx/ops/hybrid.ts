import { attr } from '../graphBuilder.js';
import type { Translation } from '../translation.js';

/** Keeps a zero range from dividing by zero: TFLite quantizes an all-zero input to zeros. */
const TINY = 1e-30;

/**
 * TFLite's hybrid (dynamic-range) kernels quantize their float input to int8
 * at run time, per batch item or row, before the integer product with the
 * int8 weights. The same rounding is reproduced in floats so that the
 * translated op answers as TFLite does, not as the float model would:
 * asymmetric (AsymmetricQuantizeFloats: range widened to include 0, scale
 * (max - min) / 255, zero point from the minimum) or symmetric
 * (SymmetricQuantizeFloats: scale max|x| / 127). The result is the input as
 * the kernel sees it, (q - zeroPoint) * scale, for a float op to consume.
 */
const dynamicallyQuantized = (
  t: Translation,
  input: string,
  axes: readonly number[],
  asymmetric: boolean,
  hint: string,
): string => {
  const g = t.graph;
  const reduce = (op: string, value: string) => g.op(op, [value], `${hint}_${op}`, [attr.ints('axes', axes)]);
  const scalar = (v: number) => g.floats([v], []);
  const round = (value: string, low: number, high: number) =>
    g.op('Clip', [g.op('Round', [value], `${hint}_round`), scalar(low), scalar(high)], `${hint}_q`);
  if (!asymmetric) {
    const range = reduce('ReduceMax', g.op('Abs', [input], `${hint}_abs`));
    const scale = g.op('Max', [g.op('Div', [range, scalar(127)], `${hint}_scale`), scalar(TINY)], `${hint}_scale`);
    const inverse = g.op('Reciprocal', [scale], `${hint}_inverse`);
    const q = round(g.op('Mul', [input, inverse], `${hint}_scaled`), -127, 127);
    return g.op('Mul', [q, scale], `${hint}_dynamic`);
  }
  const min = g.op('Min', [reduce('ReduceMin', input), scalar(0)], `${hint}_min`);
  const max = g.op('Max', [reduce('ReduceMax', input), scalar(0)], `${hint}_max`);
  const span = g.op('Div', [g.op('Sub', [max, min], `${hint}_span`), scalar(255)], `${hint}_scale`);
  const scale = g.op('Max', [span, scalar(TINY)], `${hint}_scale`);
  const zeroPoint = round(
    g.op('Sub', [scalar(-128), g.op('Div', [min, scale], `${hint}_min_scaled`)], `${hint}_zp`),
    -128,
    127,
  );
  const inverse = g.op('Reciprocal', [scale], `${hint}_inverse`);
  const q = round(
    g.op('Add', [zeroPoint, g.op('Mul', [input, inverse], `${hint}_scaled`)], `${hint}_shifted`),
    -128,
    127,
  );
  return g.op('Mul', [g.op('Sub', [q, zeroPoint], `${hint}_centered`), scale], `${hint}_dynamic`);
};

/** Whether an op reads float activations with integer weights (TFLite's hybrid kernels). */
const isHybrid = (t: Translation, input: number, weights: number): boolean =>
  !t.isQuantized(input) && t.isQuantized(weights);

export { dynamicallyQuantized, isHybrid };
