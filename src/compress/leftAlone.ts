import { TensorType } from '../tflite/generated/schema_generated.js';
import { builtinCode, CUSTOM } from '../tflite/opcodes.js';
import type { TfliteFile } from '../tflite/readModel.js';
import { constantData, nameOf } from './graph.js';
import type { TensorSkipped } from './types.js';

/** Constants left as they are: already quantized, or sparse. */
const untouched = (file: TfliteFile): TensorSkipped[] => {
  const skipped: TensorSkipped[] = [];
  file.model.subgraphs.forEach((subgraph) => {
    subgraph.tensors.forEach((tensor, index) => {
      if (!constantData(file.model, tensor)) return;
      if (tensor.sparsity) skipped.push({ name: nameOf(tensor, index), reason: 'sparse: left as it is' });
      else if ((tensor.quantization?.scale.length ?? 0) > 0 && tensor.type !== TensorType.FLOAT32) {
        skipped.push({
          name: nameOf(tensor, index),
          reason: `already quantized (${TensorType[tensor.type]?.toLowerCase()}): left as it is`,
        });
      }
    });
  });
  return skipped;
};

/** The custom operators the model uses, by name (kept as they are). */
const customOps = (file: TfliteFile): string[] =>
  file.model.operatorCodes.filter((code) => builtinCode(code) === CUSTOM).map((code) => String(code.customCode));

export { customOps, untouched };
