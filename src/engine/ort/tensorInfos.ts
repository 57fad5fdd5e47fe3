import { dtypeFromSchemaType } from '../../dtypes.js';
import { UnsupportedError } from '../../errors.js';
import type { SubGraphT } from '../../tflite/generated/schema_generated.js';
import { flatText } from '../../tflite/metadata.js';
import { schemaTypeName } from '../../tflite/tensorTypes.js';
import { schemaQuantization } from '../tensorInfo.js';
import type { TensorInfo } from '../types.js';

/**
 * The model's inputs or outputs as the native engine describes them (name,
 * dtype, declared shape, affine quantization), read from the file: what the
 * caller sees does not depend on the engine.
 */
const tensorInfos = (subgraph: SubGraphT, indices: readonly number[], kind: 'input' | 'output'): TensorInfo[] =>
  indices.map((index) => {
    const tensor = subgraph.tensors[index]!;
    const name = flatText(tensor.name) ?? '';
    const dtype = dtypeFromSchemaType(tensor.type);
    if (dtype === undefined)
      throw new UnsupportedError(
        `${kind} ${JSON.stringify(name)} is a ${schemaTypeName(tensor.type)} tensor; ${schemaTypeName(tensor.type)} tensors are not supported`,
      );
    return { name, dtype, shape: [...tensor.shape], quantization: schemaQuantization(tensor.quantization) };
  });

export { tensorInfos };
