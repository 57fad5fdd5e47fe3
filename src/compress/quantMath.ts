import { fromHalf, toHalf } from '../float16.js';

/** Round half away from zero, as C's round() (JS Math.round differs on negative halves). */
const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

interface ErrorStats {
  readonly maxAbsError: number;
  readonly rmse: number;
}

const errorStats = (original: Float32Array, approximation: (i: number) => number): ErrorStats => {
  let max = 0;
  let squares = 0;
  for (let i = 0; i < original.length; i++) {
    const error = Math.abs(original[i]! - approximation(i));
    max = Math.max(max, error);
    squares += error * error;
  }
  return { maxAbsError: max, rmse: original.length > 0 ? Math.sqrt(squares / original.length) : 0 };
};

/** float32 → float16 halves (round to nearest even), with the rounding error. */
const quantizeFloat16 = (values: Float32Array): { halves: Uint16Array; stats: ErrorStats } => {
  const halves = Uint16Array.from(values, toHalf);
  return { halves, stats: errorStats(values, (i) => fromHalf(halves[i]!)) };
};

/**
 * Symmetric int8 (zero point 0, range [-127, 127], scale = max|w| / 127) per
 * channel along `axis`, or per tensor when axis is undefined; a channel of
 * zeros gets scale 1 (TFLite's SymmetricQuantizeFloats).
 */
const quantizeSymmetricInt8 = (
  values: Float32Array,
  shape: readonly number[],
  axis?: number,
): { quantized: Int8Array; scales: number[]; stats: ErrorStats } => {
  const channels = axis === undefined ? 1 : shape[axis]!;
  const inner = axis === undefined ? values.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)]!, Math.abs(values[i]!));
  const scales = Array.from(maxAbs, (m) => (m === 0 ? 1 : m / 127));
  const quantized = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfAway(values[i]! / scales[channelOf(i)]!);
    quantized[i] = Math.max(-127, Math.min(127, q));
  }
  // Scales are stored as float32 in the file: measure the error with those.
  const stored = Float32Array.from(scales);
  return {
    quantized,
    scales: Array.from(stored),
    stats: errorStats(values, (i) => quantized[i]! * stored[channelOf(i)]!),
  };
};

export type { ErrorStats };
export { errorStats, quantizeFloat16, quantizeSymmetricInt8, roundHalfAway };
