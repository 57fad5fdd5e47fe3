import {
  DimensionType,
  Int32Vector,
  SparseIndexVector,
  type SparsityParameters,
  Uint8Vector,
  Uint16Vector,
} from './generated/reader/schema_generated.js';
import { vectorOf } from './vectorOf.js';

/** An index vector of a sparse level, whichever of the three widths it is stored in. */
const indexValues = (
  read: (table: Int32Vector | Uint16Vector | Uint8Vector) => Int32Vector | Uint16Vector | Uint8Vector | null,
  type: SparseIndexVector,
): readonly number[] | undefined => {
  const table =
    type === SparseIndexVector.Int32Vector
      ? read(new Int32Vector())
      : type === SparseIndexVector.Uint16Vector
        ? read(new Uint16Vector())
        : type === SparseIndexVector.Uint8Vector
          ? read(new Uint8Vector())
          : null;
  if (!table) return undefined;
  return vectorOf(table.valuesLength(), (i) => table.values(i));
};

const isPermutation = (order: readonly number[]): boolean =>
  order.every((value) => Number.isInteger(value) && value >= 0 && value < order.length) &&
  new Set(order).size === order.length;

/**
 * Checks a sparse tensor's TACO description (SparsityParameters) the way
 * TFLite's FormatConverter will walk it to densify the tensor: every level's
 * size, every segment and index within range, and as many stored values as
 * the walk will read. TFLite 2.9 trusts these fields, and a damaged index
 * makes DENSIFY write outside the dense tensor.
 *
 * Returns a description of the first problem, or undefined.
 */
const checkSparsity = (
  shape: readonly number[],
  sparsity: SparsityParameters,
  storedBytes: number,
  elementBytes: number,
): string | undefined => {
  const rank = shape.length;
  const traversalOrder = vectorOf(sparsity.traversalOrderLength(), (i) => sparsity.traversalOrder(i));
  const blockMap = vectorOf(sparsity.blockMapLength(), (i) => sparsity.blockMap(i));
  const dimMetadata = vectorOf(sparsity.dimMetadataLength(), (i) => sparsity.dimMetadata(i));
  const levels = traversalOrder.length;
  if (levels < rank || !isPermutation(traversalOrder))
    return `traversal order [${traversalOrder}] is not a permutation of 0..${levels - 1}`;
  if (blockMap.length !== levels - rank)
    return `block map has ${blockMap.length} entries for ${levels - rank} block dimensions`;
  if (!blockMap.every((d) => Number.isInteger(d) && d >= 0 && d < rank) || new Set(blockMap).size !== blockMap.length) {
    return `block map [${blockMap}] names dimensions outside 0..${rank - 1}`;
  }
  if (dimMetadata.length !== levels) return `${dimMetadata.length} dimension metadata entries for ${levels} levels`;
  // Each block dimension's size is the dense size of its metadata entry.
  const blockSize = (b: number): number => dimMetadata[rank + b]?.denseSize() ?? 0;
  const blocked = shape.map((dim, d) => {
    const b = blockMap.indexOf(d);
    return b < 0 ? dim : dim / blockSize(b);
  });
  for (let b = 0; b < blockMap.length; b++) {
    const size = blockSize(b);
    if (!Number.isInteger(size) || size < 1 || !Number.isInteger(blocked[blockMap[b]!]!)) {
      return `block size ${size} does not divide dimension ${blockMap[b]} of shape [${shape}]`;
    }
  }
  let positions = 1;
  for (let level = 0; level < levels; level++) {
    const dim = traversalOrder[level]!;
    const expected = dim < rank ? blocked[dim]! : blockSize(dim - rank);
    const meta = dimMetadata[level]!;
    if (meta.format() === DimensionType.DENSE) {
      if (meta.denseSize() !== expected)
        return `level ${level} is dense of size ${meta.denseSize()}, expected ${expected}`;
      positions *= expected;
      continue;
    }
    const segments = indexValues((table) => meta.arraySegments(table), meta.arraySegmentsType());
    const indices = indexValues((table) => meta.arrayIndices(table), meta.arrayIndicesType());
    if (!segments || !indices) return `sparse level ${level} lacks its segments or indices`;
    if (segments.length !== positions + 1)
      return `sparse level ${level} has ${segments.length} segments for ${positions} parents`;
    if (segments[0] !== 0 || segments[positions] !== indices.length)
      return `sparse level ${level}'s segments do not span its ${indices.length} indices`;
    for (let i = 1; i < segments.length; i++) {
      if (segments[i]! < segments[i - 1]!) return `sparse level ${level}'s segments decrease at ${i}`;
    }
    const bad = indices.findIndex((index) => !Number.isInteger(index) || index < 0 || index >= expected);
    if (bad >= 0) return `sparse level ${level} index ${indices[bad]} is outside 0..${expected - 1}`;
    positions = indices.length;
  }
  if (positions * elementBytes !== storedBytes) {
    return `the sparse structure stores ${positions} values but the buffer holds ${storedBytes / elementBytes}`;
  }
  return undefined;
};

export { checkSparsity };
