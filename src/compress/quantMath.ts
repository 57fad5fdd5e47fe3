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
  // Elements run in blocks of `inner` per channel, channel after channel, repeated: walk them so, no division per element.
  const forEachChannelRun = (visit: (channel: number, start: number, end: number) => void): void => {
    for (let start = 0, channel = 0; start < values.length; start += inner, channel = (channel + 1) % channels)
      visit(channel, start, Math.min(start + inner, values.length));
  };
  const maxAbs = new Float64Array(channels);
  forEachChannelRun((channel, start, end) => {
    let max = maxAbs[channel]!;
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(values[i]!));
    maxAbs[channel] = max;
  });
  const scales = Array.from(maxAbs, (m) => (m === 0 ? 1 : m / 127));
  // Scales are stored as float32 in the file: measure the error with those.
  const stored = Float32Array.from(scales);
  const quantized = new Int8Array(values.length);
  let max = 0;
  let squares = 0;
  forEachChannelRun((channel, start, end) => {
    const scale = scales[channel]!;
    const storedScale = stored[channel]!;
    for (let i = start; i < end; i++) {
      const q = Math.max(-127, Math.min(127, roundHalfAway(values[i]! / scale)));
      quantized[i] = q;
      const error = Math.abs(values[i]! - q * storedScale);
      max = Math.max(max, error);
      squares += error * error;
    }
  });
  return {
    quantized,
    scales: Array.from(stored),
    stats: { maxAbsError: max, rmse: values.length > 0 ? Math.sqrt(squares / values.length) : 0 },
  };
};

export type { ErrorStats };
export { errorStats, quantizeFloat16, quantizeSymmetricInt8, roundHalfAway };
