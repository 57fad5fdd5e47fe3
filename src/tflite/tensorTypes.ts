import { TensorType } from './generated/reader/schema_generated.js';

// Bytes per element of the schema's fixed-width types; packed (INT4, INT2,
// UINT4) and variable (STRING, RESOURCE, VARIANT) types are absent.
const ELEMENT_BYTES: Readonly<Partial<Record<TensorType, number>>> = {
  [TensorType.FLOAT32]: 4,
  [TensorType.FLOAT16]: 2,
  [TensorType.INT32]: 4,
  [TensorType.UINT8]: 1,
  [TensorType.INT64]: 8,
  [TensorType.BOOL]: 1,
  [TensorType.INT16]: 2,
  [TensorType.COMPLEX64]: 8,
  [TensorType.INT8]: 1,
  [TensorType.FLOAT64]: 8,
  [TensorType.COMPLEX128]: 16,
  [TensorType.UINT64]: 8,
  [TensorType.UINT32]: 4,
  [TensorType.UINT16]: 2,
  [TensorType.BFLOAT16]: 2,
  [TensorType.FLOAT8_E4M3FN]: 1,
  [TensorType.FLOAT8_E5M2]: 1,
};

const schemaTypeBytes = (type: number): number | undefined => ELEMENT_BYTES[type as TensorType];
const schemaTypeName = (type: number): string => (TensorType[type] ?? `TYPE_${type}`).toLowerCase();

export { schemaTypeBytes, schemaTypeName };
