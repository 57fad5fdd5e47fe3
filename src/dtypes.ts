/**
 * The tensor element types the engines exchange with callers, and how each
 * is spelled by the TFLite C API, the flatbuffer schema and KServe v2.
 */
type DType = 'float32' | 'float16' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

type TypedArray = Float32Array | Uint16Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

interface DTypeSpec {
  readonly bytes: number;
  /** float16 travels as raw IEEE halves in a Uint16Array; bool as 0/1 bytes. */
  readonly array: {
    new (length: number): TypedArray;
    new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  };
  readonly kserve: string;
  /** TfLiteType in tensorflow/lite/c/c_api_types.h (LiteRT's ElementType matches it). */
  readonly cType: number;
  /** TensorType in schema.fbs. */
  readonly schemaType: number;
}

const DTYPES: Readonly<Record<DType, DTypeSpec>> = {
  float32: { bytes: 4, array: Float32Array, kserve: 'FP32', cType: 1, schemaType: 0 },
  float16: { bytes: 2, array: Uint16Array, kserve: 'FP16', cType: 10, schemaType: 1 },
  int32: { bytes: 4, array: Int32Array, kserve: 'INT32', cType: 2, schemaType: 2 },
  uint8: { bytes: 1, array: Uint8Array, kserve: 'UINT8', cType: 3, schemaType: 3 },
  int64: { bytes: 8, array: BigInt64Array, kserve: 'INT64', cType: 4, schemaType: 4 },
  bool: { bytes: 1, array: Uint8Array, kserve: 'BOOL', cType: 6, schemaType: 6 },
  int16: { bytes: 2, array: Int16Array, kserve: 'INT16', cType: 7, schemaType: 7 },
  int8: { bytes: 1, array: Int8Array, kserve: 'INT8', cType: 9, schemaType: 9 },
};

/** TfLiteType names for the types no engine here exchanges (for error messages). */
const OTHER_C_TYPES: Readonly<Record<number, string>> = {
  0: 'notype',
  5: 'string',
  8: 'complex64',
  11: 'float64',
  12: 'complex128',
  13: 'uint64',
  14: 'resource',
  15: 'variant',
  16: 'uint32',
  17: 'uint16',
};

const DTYPE_NAMES = Object.keys(DTYPES) as DType[];
const byCType = new Map(DTYPE_NAMES.map((name) => [DTYPES[name].cType, name]));
const bySchemaType = new Map(DTYPE_NAMES.map((name) => [DTYPES[name].schemaType, name]));
const byKserve = new Map(DTYPE_NAMES.map((name) => [DTYPES[name].kserve, name]));

const dtypeFromCType = (cType: number): DType | undefined => byCType.get(cType);
const dtypeFromSchemaType = (schemaType: number): DType | undefined => bySchemaType.get(schemaType);
const dtypeFromKserve = (datatype: string): DType | undefined => byKserve.get(datatype);
const cTypeName = (cType: number): string => byCType.get(cType) ?? OTHER_C_TYPES[cType] ?? `type ${cType}`;

const elementCount = (shape: readonly number[]): number => shape.reduce((product, dim) => product * dim, 1);

/** A zero-filled array of `dtype` with `length` elements. */
const allocate = (dtype: DType, length: number): TypedArray => new DTYPES[dtype].array(length);

/** Views `bytes` as `dtype` (copying only when the alignment requires it). */
const viewAs = (dtype: DType, bytes: ArrayBuffer | Uint8Array): TypedArray => {
  const spec = DTYPES[dtype];
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const aligned = view.byteOffset % spec.bytes === 0 ? view : view.slice();
  return new spec.array(aligned.buffer, aligned.byteOffset, aligned.byteLength / spec.bytes);
};

/** The same typed array seen as bytes. */
const asBytes = (array: TypedArray): Uint8Array => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

export type { DType, DTypeSpec, TypedArray };
export {
  allocate,
  asBytes,
  cTypeName,
  DTYPE_NAMES,
  DTYPES,
  dtypeFromCType,
  dtypeFromKserve,
  dtypeFromSchemaType,
  elementCount,
  viewAs,
};
