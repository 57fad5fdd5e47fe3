import {
  type AttributeProto,
  AttributeType,
  encodeModel,
  type NodeProto,
  OnnxType,
  type TensorProto,
  type ValueInfoProto,
} from './onnxProto.js';

/** The ONNX opset the translation writes (ONNX 1.12; ONNX Runtime has run it since 1.13). */
const OPSET = 17;
const IR_VERSION = 8;

/** Node attributes, each with its protobuf type. */
const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f }),
  ints: (name: string, ints: readonly number[]): AttributeProto => ({ name, type: AttributeType.INTS, ints }),
  string: (name: string, value: string): AttributeProto => ({
    name,
    type: AttributeType.STRING,
    s: new TextEncoder().encode(value),
  }),
};

type Constant = Float32Array | Int32Array | Int8Array | Uint8Array | BigInt64Array;

const typeOfConstant = (data: Constant): OnnxType => {
  if (data instanceof Float32Array) return OnnxType.FLOAT;
  if (data instanceof Int32Array) return OnnxType.INT32;
  if (data instanceof Int8Array) return OnnxType.INT8;
  if (data instanceof BigInt64Array) return OnnxType.INT64;
  return OnnxType.UINT8;
};

const valueInfo = (name: string, elemType: OnnxType, dims: readonly number[]): ValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } },
});

/**
 * Collects an ONNX graph: nodes in order, initializers (identical constants
 * stored once), and the graph's inputs and outputs; names are made unique.
 */
class GraphBuilder {
  readonly #nodes: NodeProto[] = [];
  readonly #initializers: TensorProto[] = [];
  readonly #inputs: ValueInfoProto[] = [];
  readonly #outputs: ValueInfoProto[] = [];
  readonly #names = new Set<string>();
  readonly #constants = new Map<string, string>();

  /** `base`, or `base_2`, `base_3`... whichever is not taken yet. */
  public uniqueName(base: string): string {
    const clean = base.length > 0 ? base : 'value';
    let name = clean;
    for (let n = 2; this.#names.has(name); n++) name = `${clean}_${n}`;
    this.#names.add(name);
    return name;
  }

  public get nodeCount(): number {
    return this.#nodes.length;
  }

  /** Adds a node; returns the names of its `outputs` outputs (named after `hint`). */
  public node(
    opType: string,
    inputs: readonly string[],
    hint: string,
    attributes: readonly AttributeProto[] = [],
    outputs = 1,
  ): string[] {
    const names = Array.from({ length: outputs }, (_, i) => this.uniqueName(outputs > 1 ? `${hint}:${i}` : hint));
    this.#nodes.push({
      name: this.uniqueName(`${opType}/${hint}`),
      opType,
      input: inputs,
      output: names,
      attribute: attributes,
    });
    return names;
  }

  /** `node` for the usual single output. */
  public op(
    opType: string,
    inputs: readonly string[],
    hint: string,
    attributes: readonly AttributeProto[] = [],
  ): string {
    return this.node(opType, inputs, hint, attributes)[0]!;
  }

  /** A constant, stored once however often it is asked for with the same type, shape and bytes. */
  public constant(data: Constant, dims: readonly number[], hint: string): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const dataType = typeOfConstant(data);
    // Small constants (scales, zero points, shapes) repeat; weights seldom do and are not worth hashing.
    const key = bytes.length <= 256 ? `${dataType}|${dims.join(',')}|${bytes.join(',')}` : undefined;
    const known = key === undefined ? undefined : this.#constants.get(key);
    if (known !== undefined) return known;
    const name = this.uniqueName(hint);
    this.#initializers.push({ name, dims, dataType, rawData: bytes });
    if (key !== undefined) this.#constants.set(key, name);
    return name;
  }

  public floats(values: readonly number[], dims: readonly number[] = [values.length], hint = 'const'): string {
    return this.constant(Float32Array.from(values), dims, hint);
  }

  public int64s(values: readonly number[], hint = 'shape'): string {
    return this.constant(
      BigInt64Array.from(values, (v) => BigInt(v)),
      [values.length],
      hint,
    );
  }

  public input(name: string, elemType: OnnxType, dims: readonly number[]): void {
    this.#names.add(name);
    this.#inputs.push(valueInfo(name, elemType, dims));
  }

  public output(name: string, elemType: OnnxType, dims: readonly number[]): void {
    this.#outputs.push(valueInfo(name, elemType, dims));
  }

  public encode(graphName: string, producerVersion: string): Uint8Array {
    return encodeModel({
      irVersion: IR_VERSION,
      producerName: 'tflite-serverless',
      producerVersion,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: graphName,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
  }
}

export type { Constant };
export { attr, GraphBuilder, OPSET };
