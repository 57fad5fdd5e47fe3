import type { TypedArray } from '../../src/dtypes.js';
import type { TensorInfo } from '../../src/engine/types.js';

/** A KServe v2 inference request body for float32 inputs, as a client would send it. */
const kserveRequest = (infos: readonly TensorInfo[], inputs: readonly TypedArray[]) => ({
  inputs: infos.map((info, i) => ({
    name: info.name,
    shape: info.shape,
    datatype: 'FP32',
    data: Array.from(inputs[i] as Float32Array),
  })),
});

export { kserveRequest };
