import protobuf from 'protobufjs/light.js';

/**
 * The slice of ONNX's protobuf schema (onnx.proto, IR version 8) that the
 * translation writes, described to protobufjs by field number: the wire
 * format is all that ONNX Runtime reads, so nothing here needs the .proto
 * file or generated code. Field names are camelCase (protobufjs' object
 * keys); ids and types are the schema's.
 */
const field = (id: number, type: string, repeated = false) => ({ id, type, ...(repeated && { rule: 'repeated' }) });

const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        OperatorSetIdProto: { fields: { domain: field(1, 'string'), version: field(2, 'int64') } },
        TensorProto: {
          fields: {
            dims: field(1, 'int64', true),
            dataType: field(2, 'int32'),
            name: field(8, 'string'),
            rawData: field(9, 'bytes'),
          },
        },
        AttributeProto: {
          fields: {
            name: field(1, 'string'),
            f: field(2, 'float'),
            i: field(3, 'int64'),
            s: field(4, 'bytes'),
            t: field(5, 'TensorProto'),
            floats: field(7, 'float', true),
            ints: field(8, 'int64', true),
            type: field(20, 'int32'),
          },
        },
        NodeProto: {
          fields: {
            input: field(1, 'string', true),
            output: field(2, 'string', true),
            name: field(3, 'string'),
            opType: field(4, 'string'),
            attribute: field(5, 'AttributeProto', true),
            domain: field(7, 'string'),
          },
        },
        Dimension: { fields: { dimValue: field(1, 'int64'), dimParam: field(2, 'string') } },
        TensorShapeProto: { fields: { dim: field(1, 'Dimension', true) } },
        TensorTypeProto: { fields: { elemType: field(1, 'int32'), shape: field(2, 'TensorShapeProto') } },
        TypeProto: { fields: { tensorType: field(1, 'TensorTypeProto') } },
        ValueInfoProto: { fields: { name: field(1, 'string'), type: field(2, 'TypeProto') } },
        GraphProto: {
          fields: {
            node: field(1, 'NodeProto', true),
            name: field(2, 'string'),
            initializer: field(5, 'TensorProto', true),
            docString: field(10, 'string'),
            input: field(11, 'ValueInfoProto', true),
            output: field(12, 'ValueInfoProto', true),
          },
        },
        StringStringEntryProto: { fields: { key: field(1, 'string'), value: field(2, 'string') } },
        ModelProto: {
          fields: {
            irVersion: field(1, 'int64'),
            producerName: field(2, 'string'),
            producerVersion: field(3, 'string'),
            docString: field(6, 'string'),
            graph: field(7, 'GraphProto'),
            opsetImport: field(8, 'OperatorSetIdProto', true),
            metadataProps: field(14, 'StringStringEntryProto', true),
          },
        },
      },
    },
  },
};

/** TensorProto.DataType. */
const OnnxType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;
type OnnxType = (typeof OnnxType)[keyof typeof OnnxType];

/** AttributeProto.AttributeType. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

interface TensorProto {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: OnnxType;
  /** Little-endian values, as raw_data holds them. */
  readonly rawData: Uint8Array;
}

interface AttributeProto {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly t?: TensorProto;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
}

interface NodeProto {
  readonly name: string;
  readonly opType: string;
  readonly domain?: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly attribute: readonly AttributeProto[];
}

interface ValueInfoProto {
  readonly name: string;
  readonly type: {
    readonly tensorType: { readonly elemType: OnnxType; readonly shape: { dim: { dimValue: number }[] } };
  };
}

interface GraphProto {
  readonly name: string;
  readonly node: readonly NodeProto[];
  readonly initializer: readonly TensorProto[];
  readonly input: readonly ValueInfoProto[];
  readonly output: readonly ValueInfoProto[];
}

interface ModelProto {
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly opsetImport: readonly { readonly domain: string; readonly version: number }[];
  readonly graph: GraphProto;
}

let modelType: protobuf.Type | undefined;

/** The model as ONNX protobuf bytes. */
const encodeModel = (model: ModelProto): Uint8Array => {
  modelType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto');
  return modelType.encode(model as unknown as Record<string, unknown>).finish();
};

/** Decodes bytes written by encodeModel (tests and tools read the graph back). */
const decodeModel = (bytes: Uint8Array): ModelProto => {
  modelType ??= protobuf.Root.fromJSON(SCHEMA).lookupType('onnx.ModelProto');
  return modelType.toObject(modelType.decode(bytes), { longs: Number, defaults: false, arrays: true }) as ModelProto;
};

export type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto };
export { AttributeType, decodeModel, encodeModel, OnnxType };
