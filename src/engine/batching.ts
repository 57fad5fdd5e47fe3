import { allocate, asBytes, type TypedArray } from '../dtypes.js';
import { InputError } from '../errors.js';
import type { Tensor } from './types.js';

/** Item `index` of a batch of `batch` along dimension 0. */
const itemOf = (array: TypedArray, batch: number, index: number): TypedArray => {
  const size = array.length / batch;
  return array.subarray(index * size, (index + 1) * size) as TypedArray;
};

/**
 * Stacks the outputs of a batch run one item at a time: for models whose
 * graph fixes the batch (a RESHAPE to a constant shape), which would
 * otherwise run the whole batch as one item and answer with the wrong shape.
 * Each item's outputs are copied as they are added, since engines reuse
 * their output buffers from run to run.
 */
const itemStacker = (batch: number) => {
  let stacked: { tensor: Tensor; data: TypedArray }[] | undefined;
  return {
    add(index: number, outputs: readonly Tensor[]): void {
      stacked ??= outputs.map((tensor) => ({ tensor, data: allocate(tensor.dtype, tensor.data.length * batch) }));
      outputs.forEach((output, o) => {
        asBytes(stacked![o]!.data).set(asBytes(output.data), index * output.data.byteLength);
      });
    },
    /** The stacked outputs: [batch, ...] where an item's own batch dimension was 1. */
    done(): Tensor[] {
      return stacked!.map(({ tensor, data }) => ({
        name: tensor.name,
        dtype: tensor.dtype,
        shape: tensor.shape[0] === 1 ? [batch, ...tensor.shape.slice(1)] : [batch, ...tensor.shape],
        data,
      }));
    },
  };
};

/** A batch size a caller asks resizeBatch for: a positive integer. */
const checkBatch = (batch: number): void => {
  if (!Number.isInteger(batch) || batch < 1) throw new InputError(`batch must be a positive integer, got ${batch}`);
};

export { checkBatch, itemOf, itemStacker };
