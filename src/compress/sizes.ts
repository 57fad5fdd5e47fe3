import { type TensorT, TensorType } from '../tflite/generated/schema_generated.js';
import { bufferBytes } from '../tflite/modelBuffers.js';
import type { TfliteFile } from '../tflite/readModel.js';
import { schemaTypeBytes, schemaTypeName } from '../tflite/tensorTypes.js';

/** Each constant buffer of the file once, with a tensor that uses it and its size in bytes. */
const forEachConstant = (file: TfliteFile, visit: (tensor: TensorT, bytes: number) => void): void => {
  const seen = new Set<number>();
  for (const subgraph of file.model.subgraphs) {
    for (const tensor of subgraph.tensors) {
      const bytes = bufferBytes(file.model.buffers[tensor.buffer]).length;
      if (bytes === 0 || seen.has(tensor.buffer)) continue;
      seen.add(tensor.buffer);
      visit(tensor, bytes);
    }
  }
};

/** Bytes of constant data by tensor type (float32, float16, int8, ...), each buffer counted once. */
const tensorBytesByType = (file: TfliteFile): Record<string, number> => {
  const totals: Record<string, number> = {};
  forEachConstant(file, (tensor, bytes) => {
    const type = schemaTypeName(tensor.type);
    totals[type] = (totals[type] ?? 0) + bytes;
  });
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
  forEachConstant(file, (tensor, bytes) => {
    const quantized = (tensor.quantization?.scale.length ?? 0) > 0;
    if (!narrowReal(tensor.type, quantized)) return;
    const width = schemaTypeBytes(tensor.type)!;
    extra += (bytes / width) * (4 - width);
  });
  return file.bytes + extra;
};

/** A byte count as people read it: KB, or MB past one. */
const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} KB`;

export { float32Bytes, formatBytes, tensorBytesByType };
