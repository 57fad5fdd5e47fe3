import { ModelFormatError } from '../errors.js';
import { type ModelFile, malformed } from '../tflite/openModel.js';
import { schemaTypeBytes } from '../tflite/tensorTypes.js';

const MB = 1024 * 1024;
const size = (bytes: number): string => (bytes >= MB ? `${Math.round(bytes / MB)} MB` : `${bytes} bytes`);

/**
 * What the model's non-constant tensors declare, in bytes, summed over every
 * subgraph: the same measure the native engine checks after allocating,
 * computed from the file before any engine allocates (a dynamic dimension
 * counts as 1, as at load).
 */
const declaredTensorBytes = (file: ModelFile): number => {
  const { root } = file;
  let total = 0;
  for (let s = 0; s < root.subgraphsLength(); s++) {
    const subgraph = root.subgraphs(s)!;
    for (let t = 0; t < subgraph.tensorsLength(); t++) {
      const tensor = subgraph.tensors(t)!;
      const buffer = root.buffers(tensor.buffer());
      if ((buffer?.dataLength() ?? 0) > 0 || (buffer?.size() ?? 0n) > 0n) continue;
      let elements = 1;
      for (let d = 0; d < tensor.shapeLength(); d++) elements *= Math.max(1, tensor.shape(d)!);
      total += elements * (schemaTypeBytes(tensor.type()) ?? 1);
    }
  }
  return total;
};

/**
 * Refuses, before either engine allocates, a model whose tensors would take
 * `maxBytes` or more. A format error, not a load error: no engine is worth
 * trying, so `auto` does not fall back to WASM and fill its heap instead.
 */
const checkTensorBudget = (file: ModelFile, maxBytes: number): void => {
  let bytes: number;
  try {
    bytes = declaredTensorBytes(file);
  } catch (error) {
    // The reads share the file's read budget with validation: a hostile file may exhaust it here.
    throw malformed(error);
  }
  if (bytes >= maxBytes)
    throw new ModelFormatError(
      `the model's tensors would take ${size(bytes)}, at or over the limit of ${size(maxBytes)}`,
    );
};

export { checkTensorBudget };
