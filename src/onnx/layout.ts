import type { Constant } from './graphBuilder.js';

/**
 * TFLite is NHWC; ONNX's convolutions and pools are NCHW. A 4-D value lives
 * in either layout inside the translated graph ('nhwc' is TFLite's own, and
 * every other rank only has that one); transposes are inserted where a value
 * is needed in the layout it does not have yet, which is at the graph's
 * edges and around ops that work on TFLite's axes (reshape, fully connected).
 */
type Layout = 'nhwc' | 'nchw';

const TO_NCHW = [0, 3, 1, 2] as const;
const TO_NHWC = [0, 2, 3, 1] as const;

/** Where NHWC axis `axis` (0..3) sits in NCHW. */
const nchwAxis = (axis: number): number => [0, 2, 3, 1][axis]!;

const permute = <T>(values: readonly T[], perm: readonly number[]): T[] => perm.map((p) => values[p]!);

/** A row-major array of `shape` transposed by `perm` (output dim i is input dim perm[i]). */
const transposeData = <T extends Constant>(data: T, shape: readonly number[], perm: readonly number[]): T => {
  const rank = shape.length;
  const outShape = permute(shape, perm);
  const inStrides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) inStrides[d] = inStrides[d + 1]! * shape[d + 1]!;
  const strides = permute(inStrides, perm);
  const out = new (data.constructor as new (length: number) => T)(data.length);
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < data.length; i++) {
    (out as unknown as number[])[i] = (data as unknown as number[])[source]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      source += strides[d]!;
      if (index[d]! < outShape[d]!) break;
      source -= strides[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
  return out;
};

export type { Layout };
export { nchwAxis, permute, TO_NCHW, TO_NHWC, transposeData };
