import { TensorType } from '../tflite/generated/schema_generated.js';
import { bufferBytes } from '../tflite/modelBuffers.js';
import type { TfliteFile } from '../tflite/readModel.js';
import { schemaTypeBytes, schemaTypeName } from '../tflite/tensorTypes.js';

/** Bytes of constant data by tensor type (float32, float16, int8, ...), each buffer counted once. */
const tensorBytesByType = (file: TfliteFile): Record<string, number> => {
  const totals: Record<string, number> = {};
  const seen = new Set<number>();
  for (const subgraph of file.model.subgraphs) {
    for (const tensor of subgraph.tensors) {
      const bytes = bufferBytes(file.model.buffers[tensor.buffer]).length;
      if (bytes === 0 || seen.has(tensor.buffer)) continue;
      seen.add(tensor.buffer);
      const type = schemaTypeName(tensor.type);
      totals[type] = (totals[type] ?? 0) + bytes;
    }
  }
  return totals;
};

/** Real numbers stored in fewer than 4 bytes: float16, and quantized integers (which dequantize to reals). */
const narrowReal = (type: TensorType, quantized: boolean): boolean =>
  type === TensorType.FLOAT16 ||
  type === TensorType.BFLOAT16 ||
  (quantized && (type === TensorType.INT8 || type === TensorType.UINT8 || type === TensorType.INT16));

/**
 * The file's size with every real-valued constant stored as float32: the
 * baseline compression ratios are measured against, whatever precision the
 * file given already uses (the MediaPipe models ship float16).
 */
const float32Bytes = (file: TfliteFile): number => {
  let extra = 0;
  const seen = new Set<number>();
  for (const subgraph of file.model.subgraphs) {
    for (const tensor of subgraph.tensors) {
      const bytes = bufferBytes(file.model.buffers[tensor.buffer]).length;
      if (bytes === 0 || seen.has(tensor.buffer)) continue;
      seen.add(tensor.buffer);
      const quantized = (tensor.quantization?.scale.length ?? 0) > 0;
      if (!narrowReal(tensor.type, quantized)) continue;
      const width = schemaTypeBytes(tensor.type)!;
      extra += (bytes / width) * (4 - width);
    }
  }
  return file.bytes + extra;
};

export { float32Bytes, tensorBytesByType };
