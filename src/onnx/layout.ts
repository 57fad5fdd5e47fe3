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
  const inStrides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) inStrides[d] = inStrides[d + 1]! * shape[d + 1]!;
  // Ranks below 4 are padded with leading unit dimensions: one set of loops serves all (weights are 4-D).
  const pad = 4 - rank;
  const dims = [...new Array<number>(Math.max(0, pad)).fill(1), ...permute(shape, perm)];
  const strides = [...new Array<number>(Math.max(0, pad)).fill(0), ...permute(inStrides, perm)];
  const out = new (data.constructor as new (length: number) => T)(data.length);
  const [from, to] = [data as unknown as number[], out as unknown as number[]];
  if (rank > 4) {
    // Not met in TFLite models' weights; a plain walk.
    const index = new Array<number>(rank).fill(0);
    const [outShape, outStrides] = [permute(shape, perm), permute(inStrides, perm)];
    let source = 0;
    for (let i = 0; i < data.length; i++) {
      to[i] = from[source]!;
      for (let d = rank - 1; d >= 0; d--) {
        index[d]!++;
        source += outStrides[d]!;
        if (index[d]! < outShape[d]!) break;
        source -= outStrides[d]! * outShape[d]!;
        index[d] = 0;
      }
    }
    return out;
  }
  const [d0, d1, d2, d3] = dims as [number, number, number, number];
  const [s0, s1, s2, s3] = strides as [number, number, number, number];
  let i = 0;
  for (let a = 0; a < d0; a++)
    for (let b = 0; b < d1; b++)
      for (let c = 0; c < d2; c++) {
        const base = a * s0 + b * s1 + c * s2;
        for (let e = 0; e < d3; e++) to[i++] = from[base + e * s3]!;
      }
  return out;
};

export type { Layout };
export { nchwAxis, permute, TO_NCHW, TO_NHWC, transposeData };
