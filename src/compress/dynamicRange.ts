import {
  BuiltinOperator,
  type ModelT,
  QuantizationParametersT,
  TensorType,
} from '../tflite/generated/schema_generated.js';
import { builtinCode } from '../tflite/opcodes.js';
import { expandFloat16 } from './expandFloat16.js';
import {
  addTensor,
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
import { type quantizeFloat16, quantizeSymmetricInt8 } from './quantMath.js';
import { constantToFloat16 } from './toFloat16.js';
import type { TransformResult } from './types.js';

/** Weights smaller than this stay float (kWeightsMinNumElementsDefault). */
const MIN_ELEMENTS = 1024;

/** The operators whose weights (input 1) become int8, and the axis of their output channels. */
const WEIGHTED: ReadonlyMap<number, number> = new Map([
  [BuiltinOperator.CONV_2D, 0],
  [BuiltinOperator.DEPTHWISE_CONV_2D, 3],
  [BuiltinOperator.FULLY_CONNECTED, 0],
]);

/** DEQUANTIZE version 2 reads per-tensor INT8, version 5 per-channel INT8 (op_version.cc). */
const DEQUANTIZE_INT8_VERSION = 2;
const DEQUANTIZE_INT8_PER_CHANNEL_VERSION = 5;

/**
 * Weights already converted, by tensor (and axis): a mixed-precision search
 * rewrites the same model many times, each time with a few layers moved
 * between int8 and float16.
 */
interface QuantizeCache {
  readonly int8: Map<string, ReturnType<typeof quantizeSymmetricInt8>>;
  readonly float16: Map<string, ReturnType<typeof quantizeFloat16>>;
}

const newQuantizeCache = (): QuantizeCache => ({ int8: new Map(), float16: new Map() });

/**
 * int8 weights, float compute: weights of at least 1,024 elements read by
 * CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED become symmetric int8 per
 * output channel, read through a DEQUANTIZE (v5 per channel). XNNPACK
 * unpacks them to float32 at load, as it does float16 weights, so the model
 * runs at float speed; TFLite's hybrid kernels (its dynamic-range
 * quantization) also quantize the activations on every run, which measured
 * here 6-16x slower and further from the original on every model tried.
 * FP16 constants are expanded first; weights named in `keepFloat16` (the
 * layers the fidelity guard found too sensitive) become float16 instead.
 */
const dynamicRange = (
  model: ModelT,
  keepFloat16: ReadonlySet<string> = new Set(),
  cache: QuantizeCache = newQuantizeCache(),
): TransformResult => {
  expandFloat16(model);
  const result: TransformResult = { tensors: [], skipped: [] };
  for (const subgraph of model.subgraphs) {
    const consumers = consumersOf(subgraph);
    const done = new Set<number>();
    for (const op of [...subgraph.operators]) {
      const axis = WEIGHTED.get(builtinCode(model.operatorCodes[op.opcodeIndex]!));
      const index = op.inputs[1];
      if (axis === undefined || index === undefined || index < 0 || done.has(index)) continue;
      done.add(index);
      const tensor = subgraph.tensors[index]!;
      const name = nameOf(tensor, index);
      const data = constantData(model, tensor);
      if (!data) continue;
      if (tensor.type !== TensorType.FLOAT32) {
        result.skipped.push({ name, reason: `already ${TensorType[tensor.type]?.toLowerCase()}: left as it is` });
        continue;
      }
      if (tensor.sparsity) {
        result.skipped.push({ name, reason: 'sparse: left as it is' });
        continue;
      }
      const values = new Float32Array(data.slice().buffer);
      if (values.length < MIN_ELEMENTS) continue;
      const readers = consumers.get(index) ?? [];
      if (keepFloat16.has(name)) {
        result.tensors.push(constantToFloat16(model, subgraph, index, readers, cache.float16));
        continue;
      }
      const perChannel = tensor.shape.length > axis ? axis : undefined;
      const cacheKey = `${name}@${perChannel ?? 'tensor'}`;
      const cached = cache.int8.get(cacheKey) ?? quantizeSymmetricInt8(values, tensor.shape, perChannel);
      cache.int8.set(cacheKey, cached);
      const { quantized, scales, stats } = cached;
      setConstant(model, tensor, TensorType.INT8, new Uint8Array(quantized.buffer));
      const quantization = new QuantizationParametersT();
      quantization.scale = scales;
      quantization.zeroPoint = scales.map(() => 0n);
      quantization.quantizedDimension = perChannel ?? 0;
      tensor.quantization = quantization;
      const dequantized = addTensor(subgraph, tensor, `${name}_dequantize`, TensorType.FLOAT32);
      for (const reader of readers) reader.op.inputs[reader.slot] = dequantized;
      subgraph.outputs = subgraph.outputs.map((t) => (t === index ? dequantized : t));
      const version = scales.length > 1 ? DEQUANTIZE_INT8_PER_CHANNEL_VERSION : DEQUANTIZE_INT8_VERSION;
      insertBeforeFirstReader(
        subgraph,
        dequantized,
        makeOp(opcodeIndex(model, BuiltinOperator.DEQUANTIZE, version), [index], [dequantized]),
      );
      result.tensors.push({
        name,
        consumer: [...new Set(readers.map((r) => opLabel(model, r.op)))].join(','),
        from: 'float32',
        to: scales.length > 1 ? `int8 (per-channel, axis ${perChannel})` : 'int8 (per-tensor)',
        elements: values.length,
        ...stats,
      });
    }
  }
  compact(model);
  return result;
};

export type { QuantizeCache };
export { dynamicRange, newQuantizeCache };
