import { cTypeName, type DType, dtypeFromCType, viewAs } from '../dtypes.js';
import { UnsupportedError } from '../errors.js';
import type { QuantizationParametersT } from '../tflite/generated/schema_generated.js';
import type { Quantization, Tensor, TensorInfo } from './types.js';

interface RawInfo {
  readonly name: string;
  /** TfLiteType / LiteRT ElementType (same numbering). */
  readonly type: number;
  readonly shape: readonly number[];
  readonly quantization?: { scale: readonly number[]; zeroPoint: readonly number[]; quantizedDimension: number };
}

const toQuantization = (raw: RawInfo['quantization']): Quantization | null =>
  raw && raw.scale.length > 0
    ? { scale: [...raw.scale], zeroPoint: [...raw.zeroPoint], quantizedDimension: raw.quantizedDimension }
    : null;

/** The engine-neutral description; refuses tensors whose type no engine here exchanges. */
const toTensorInfo = (raw: RawInfo, kind: 'input' | 'output'): TensorInfo => {
  const dtype = dtypeFromCType(raw.type);
  if (dtype === undefined) {
    throw new UnsupportedError(
      `${kind} ${JSON.stringify(raw.name)} is a ${cTypeName(raw.type)} tensor; ${cTypeName(raw.type)} tensors are not supported`,
    );
  }
  return { name: raw.name, dtype, shape: [...raw.shape], quantization: toQuantization(raw.quantization) };
};

const toTensor = (
  info: TensorInfo,
  dtype: DType,
  shape: readonly number[],
  bytes: ArrayBuffer | Uint8Array,
): Tensor => {
  return { name: info.name, dtype, shape: [...shape], data: viewAs(dtype, bytes) };
};

/** A flatbuffer tensor's affine quantization as TensorInfo holds it (null without scales). */
const schemaQuantization = (q: QuantizationParametersT | null): Quantization | null =>
  q && q.scale.length > 0
    ? { scale: [...q.scale], zeroPoint: q.zeroPoint.map(Number), quantizedDimension: q.quantizedDimension }
    : null;

export type { RawInfo };
export { schemaQuantization, toTensor, toTensorInfo };
