import { DimensionType, type SparsityParametersT } from '../tflite/generated/schema_generated.js';
import type { Constant } from './graphBuilder.js';

/**
 * A sparse constant (TFLite's TACO description: levels in traversal order,
 * DENSE or SPARSE_CSR, optional blocks) made dense, as TFLite's DENSIFY does
 * at run time (FormatConverter::SparseToDense): each stored value, in order,
 * lands at the original index its level indices spell. The file was
 * validated (validateSparsity) before: every segment and index is in range.
 */
const densify = <T extends Constant>(stored: T, shape: readonly number[], sparsity: SparsityParametersT): T => {
  const rank = shape.length;
  const { traversalOrder, blockMap, dimMetadata } = sparsity;
  const levels = traversalOrder.length;
  // A block dimension's size is the dense size of the level that walks it.
  const blockSize = blockMap.map((_, b) => dimMetadata[traversalOrder.indexOf(rank + b)]!.denseSize);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const dense = new (stored.constructor as new (length: number) => T)(shape.reduce((a, b) => a * b, 1));
  const indices = new Array<number>(levels).fill(0);
  let next = 0;
  const original = new Array<number>(rank).fill(0);
  const place = (): void => {
    for (let level = 0; level < rank; level++) original[traversalOrder[level]!] = indices[level]!;
    for (let level = rank; level < levels; level++) {
      const block = traversalOrder[level]! - rank;
      const dim = blockMap[block]!;
      original[dim] = original[dim]! * blockSize[block]! + indices[level]!;
    }
    let flat = 0;
    for (let d = 0; d < rank; d++) flat += original[d]! * strides[d]!;
    (dense as unknown as number[])[flat] = (stored as unknown as number[])[next++]!;
  };
  const walk = (level: number, parent: number): void => {
    if (level === levels) {
      place();
      return;
    }
    const meta = dimMetadata[level]!;
    if (meta.format === DimensionType.DENSE) {
      for (let i = 0; i < meta.denseSize; i++) {
        indices[level] = i;
        walk(level + 1, parent * meta.denseSize + i);
      }
      return;
    }
    const segments = meta.arraySegments!.values;
    const positions = meta.arrayIndices!.values;
    for (let i = segments[parent]!; i < segments[parent + 1]!; i++) {
      indices[level] = positions[i]!;
      walk(level + 1, i);
    }
  };
  walk(0, 0);
  return dense;
};

export { densify };
