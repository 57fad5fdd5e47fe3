import type { TypedArray } from '../../src/dtypes.js';

/**
 * max |a − b| over the tensor, relative to the tensor's largest magnitude:
 * 1e-3 means no element is off by more than 0.1% of the output's range.
 * Element-wise relative error would be meaningless for values near zero
 * (a segmentation logit of 0.01 next to one of 1,500).
 */
const maxRelativeError = (actual: TypedArray, expected: TypedArray): number => {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const b = Number(expected[i]);
    worst = Math.max(worst, Math.abs(Number(actual[i]) - b));
    scale = Math.max(scale, Math.abs(b));
  }
  return worst / Math.max(scale, Number.MIN_VALUE);
};

export { maxRelativeError };
