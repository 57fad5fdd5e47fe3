import { BuiltinOperator, type ModelT, type SubGraphT, TensorType } from '../tflite/generated/schema_generated.js';
import {
  addTensor,
  type Consumer,
  compact,
  constantData,
  consumersOf,
  insertBeforeFirstReader,
  makeOp,
  nameOf,
  opcodeIndex,
  opLabel,
  setConstant,
} from './graph.js';
import { quantizeFloat16 } from './quantMath.js';
import type { TensorChange, TransformResult } from './types.js';

/** DEQUANTIZE version 3 reads FLOAT16 (op_version.cc). */
const DEQUANTIZE_FP16_VERSION = 3;

// What a float16 constant costs beyond its data: the new tensor (its table,
// shape and a name one "_dequantize" longer) and the DEQUANTIZE operator.
const TENSOR_OVERHEAD_BYTES = 120;

/** Whether halving a constant saves more bytes than its DEQUANTIZE costs. */
const worthHalving = (elements: number, name: string): boolean =>
  2 * elements > TENSOR_OVERHEAD_BYTES + name.length + 11;

/**
 * Rewrites one float32 constant as float16 read through a new DEQUANTIZE
 * (v3) placed before its first reader.
 */
const constantToFloat16 = (
  model: ModelT,
  subgraph: SubGraphT,
  index: number,
  readers: readonly Consumer[],
  /** Conversions by tensor name, for callers that rewrite one model many times. */
  cache?: Map<string, ReturnType<typeof quantizeFloat16>>,
): TensorChange => {
  const tensor = subgraph.tensors[index]!;
  const name = nameOf(tensor, index);
  const values = new Float32Array(constantData(model, tensor)!.slice().buffer);
  const converted = cache?.get(name) ?? quantizeFloat16(values);
  cache?.set(name, converted);
  const { halves, stats } = converted;
  const dequantized = addTensor(subgraph, tensor, `${name}_dequantize`, TensorType.FLOAT32);
  setConstant(model, tensor, TensorType.FLOAT16, new Uint8Array(halves.buffer));
  for (const reader of readers) reader.op.inputs[reader.slot] = dequantized;
  subgraph.outputs = subgraph.outputs.map((t) => (t === index ? dequantized : t));
  insertBeforeFirstReader(
    subgraph,
    dequantized,
    makeOp(opcodeIndex(model, BuiltinOperator.DEQUANTIZE, DEQUANTIZE_FP16_VERSION), [index], [dequantized]),
  );
  return {
    name,
    consumer: [...new Set(readers.map((r) => opLabel(model, r.op)))].join(','),
    from: 'float32',
    to: 'float16',
    elements: values.length,
    ...stats,
  };
};

/**
 * Float16 weights: every float32 constant becomes float16, with a DEQUANTIZE
 * (v3) before its first reader, as TFLite's QuantizeWeightsFloat16 does, but
 * for constants so small that the DEQUANTIZE would cost more bytes than it
 * saves (scalars, short biases). XNNPACK unpacks float16 weights to float32 at
 * load, so inference stays at float speed.
 */
const toFloat16 = (model: ModelT): TransformResult => {
  const result: TransformResult = { tensors: [], skipped: [] };
  for (const subgraph of model.subgraphs) {
    const consumers = consumersOf(subgraph);
    const count = subgraph.tensors.length;
    for (let index = 0; index < count; index++) {
      const tensor = subgraph.tensors[index]!;
      if (tensor.type !== TensorType.FLOAT32 || !constantData(model, tensor)) continue;
      if (tensor.sparsity) {
        result.skipped.push({ name: nameOf(tensor, index), reason: 'sparse: left as it is' });
        continue;
      }
      const readers = consumers.get(index) ?? [];
      const elements = constantData(model, tensor)!.length / 4;
      if (readers.length > 0 && worthHalving(elements, nameOf(tensor, index))) {
        result.tensors.push(constantToFloat16(model, subgraph, index, readers));
      }
    }
  }
  compact(model);
  return result;
};

export { constantToFloat16, toFloat16 };
