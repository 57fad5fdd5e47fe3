import { UnsupportedError } from '../errors.js';
import { halvesToFloats } from '../float16.js';
import { type ModelT, type TensorT, TensorType } from '../tflite/generated/schema_generated.js';
import { bufferBytes } from '../tflite/modelBuffers.js';
import { schemaTypeName } from '../tflite/tensorTypes.js';
import { densify } from './densify.js';
import type { Constant } from './graphBuilder.js';
import { OnnxType } from './onnxProto.js';

/** A tensor's affine quantization: one scale per channel along `axis`, or one. */
interface QuantParams {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly axis: number;
}

const ONNX_TYPES: Readonly<Partial<Record<TensorType, OnnxType>>> = {
  [TensorType.FLOAT32]: OnnxType.FLOAT,
  [TensorType.FLOAT16]: OnnxType.FLOAT16,
  [TensorType.INT32]: OnnxType.INT32,
  [TensorType.UINT8]: OnnxType.UINT8,
  [TensorType.INT64]: OnnxType.INT64,
  [TensorType.BOOL]: OnnxType.BOOL,
  [TensorType.INT16]: OnnxType.INT16,
  [TensorType.INT8]: OnnxType.INT8,
};

const onnxTypeOf = (tensor: TensorT): OnnxType => {
  const type = ONNX_TYPES[tensor.type];
  if (type === undefined)
    throw new UnsupportedError(
      `tensor ${tensorName(tensor)} is ${schemaTypeName(tensor.type)}, which is not translated`,
    );
  return type;
};

const tensorName = (tensor: TensorT): string => JSON.stringify(String(tensor.name ?? ''));

/** The quantization TFLite applies to the tensor's values, or null (float, or min/max only). */
const quantParams = (tensor: TensorT): QuantParams | null => {
  const q = tensor.quantization;
  if (!q || q.scale.length === 0) return null;
  return { scale: q.scale, zeroPoint: q.zeroPoint.map(Number), axis: q.quantizedDimension };
};

const isQuantizedType = (tensor: TensorT): boolean =>
  tensor.type === TensorType.INT8 || tensor.type === TensorType.UINT8 || tensor.type === TensorType.INT16;

/** The tensor's constant values (FLOAT16 widened to float32, sparse ones made dense), or null for an activation. */
const constantData = (model: ModelT, tensor: TensorT): Constant | null => {
  const stored = storedData(model, tensor);
  return stored && tensor.sparsity ? densify(stored, tensor.shape, tensor.sparsity) : stored;
};

/** The buffer's values as stored (a sparse tensor's non-zero values only). */
const storedData = (model: ModelT, tensor: TensorT): Constant | null => {
  const bytes = bufferBytes(model.buffers[tensor.buffer]);
  if (bytes.length === 0) return null;
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset, byteLength } = aligned;
  switch (tensor.type) {
    case TensorType.FLOAT32:
      return new Float32Array(buffer, byteOffset, byteLength / 4);
    case TensorType.FLOAT16:
      return halvesToFloats(new Uint16Array(buffer, byteOffset, byteLength / 2));
    case TensorType.INT32:
      return new Int32Array(buffer, byteOffset, byteLength / 4);
    case TensorType.INT8:
      return new Int8Array(buffer, byteOffset, byteLength);
    case TensorType.UINT8:
    case TensorType.BOOL:
      return new Uint8Array(buffer, byteOffset, byteLength);
    case TensorType.INT64:
      return new BigInt64Array(buffer, byteOffset, byteLength / 8);
    default:
      throw new UnsupportedError(
        `constant ${tensorName(tensor)} is ${schemaTypeName(tensor.type)}, which is not translated`,
      );
  }
};

/** A small constant (an axis list, a shape, paddings) as plain numbers. */
const constantNumbers = (model: ModelT, tensor: TensorT): number[] => {
  const data = constantData(model, tensor);
  if (data === null) throw new UnsupportedError(`tensor ${tensorName(tensor)} must be a constant to be translated`);
  return Array.from(data as ArrayLike<number | bigint>, Number);
};

export type { QuantParams };
export { constantData, constantNumbers, isQuantizedType, onnxTypeOf, quantParams, tensorName };
