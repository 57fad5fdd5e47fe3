import {
  BuiltinOperator,
  BuiltinOptions,
  FullyConnectedOptionsT,
  type ModelT,
  QuantizationParametersT,
  TensorType,
} from '../tflite/generated/schema_generated.js';
import { builtinCode } from '../tflite/opcodes.js';
import { expandFloat16 } from './expandFloat16.js';
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
import { type quantizeFloat16, quantizeSymmetricInt8 } from './quantMath.js';
import { constantToFloat16 } from './toFloat16.js';
import type { TransformResult } from './types.js';

/** Weights smaller than this stay float (kWeightsMinNumElementsDefault). */
const MIN_ELEMENTS = 1024;

/**
 * Hybrid kernels that take int8 weights with float activations, the axis of
 * their per-channel scales, and the op versions they need (op_version.cc:
 * CONV_2D 5 per-channel / 2 per-tensor, DEPTHWISE_CONV_2D 6 / 4,
 * FULLY_CONNECTED 9 with asymmetric_quantize_inputs).
 */
const HYBRID: ReadonlyMap<number, { axis?: number; perChannel: number; perTensor: number }> = new Map([
  [BuiltinOperator.CONV_2D, { axis: 0, perChannel: 5, perTensor: 2 }],
  [BuiltinOperator.DEPTHWISE_CONV_2D, { axis: 3, perChannel: 6, perTensor: 4 }],
  [BuiltinOperator.FULLY_CONNECTED, { perChannel: 9, perTensor: 9 }],
]);

/** DEQUANTIZE version 2 reads per-tensor INT8. */
const DEQUANTIZE_INT8_VERSION = 2;

/**
 * Dynamic-range quantization (TFLite's QuantizeWeights): weights of at least
 * 1,024 elements read by CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED become
 * symmetric int8, per channel where the kernel supports it; other readers of
 * such a weight get a DEQUANTIZE. Biases stay float32. FP16 constants are
 * expanded first. Weights named in `keepFloat16` (the layers the fidelity
 * search found too sensitive) become float16 instead: mixed precision.
 */
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
      const kind = builtinCode(model.operatorCodes[op.opcodeIndex]!);
      if (!HYBRID.has(kind)) continue;
      const index = op.inputs[1]!;
      if (index < 0 || done.has(index)) continue;
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
      const hybrid = (reader: Consumer) =>
        reader.slot === 1 && HYBRID.has(builtinCode(model.operatorCodes[reader.op.opcodeIndex]!));
      const hybridReaders = readers.filter(hybrid);
      const otherReaders = readers.filter((reader) => !hybrid(reader));
      const kinds = new Set(hybridReaders.map((r) => builtinCode(model.operatorCodes[r.op.opcodeIndex]!)));
      // Per channel only when every reader takes it so; DEQUANTIZE (and mixed kernels) want one scale.
      const axis =
        otherReaders.length === 0 && kinds.size === 1 && tensor.shape.length === 4 ? HYBRID.get(kind)!.axis : undefined;
      const cacheKey = `${name}@${axis ?? 'tensor'}`;
      const cached = cache.int8.get(cacheKey) ?? quantizeSymmetricInt8(values, tensor.shape, axis);
      cache.int8.set(cacheKey, cached);
      const { quantized, scales, stats } = cached;
      setConstant(model, tensor, TensorType.INT8, new Uint8Array(quantized.buffer));
      const quantization = new QuantizationParametersT();
      quantization.scale = scales;
      quantization.zeroPoint = scales.map(() => 0n);
      quantization.quantizedDimension = axis ?? 0;
      tensor.quantization = quantization;
      for (const reader of hybridReaders) {
        const readerKind = builtinCode(model.operatorCodes[reader.op.opcodeIndex]!);
        const versions = HYBRID.get(readerKind)!;
        opcodeIndex(model, readerKind, axis === undefined ? versions.perTensor : versions.perChannel);
        if (readerKind === BuiltinOperator.FULLY_CONNECTED) {
          const options =
            reader.op.builtinOptions instanceof FullyConnectedOptionsT
              ? reader.op.builtinOptions
              : new FullyConnectedOptionsT();
          options.asymmetricQuantizeInputs = true;
          reader.op.builtinOptionsType = BuiltinOptions.FullyConnectedOptions;
          reader.op.builtinOptions = options;
        }
      }
      if (otherReaders.length > 0) {
        const dequantized = addTensor(subgraph, tensor, `${name}_dequantize`, TensorType.FLOAT32);
        for (const reader of otherReaders) reader.op.inputs[reader.slot] = dequantized;
        insertBeforeFirstReader(
          subgraph,
          dequantized,
          makeOp(opcodeIndex(model, BuiltinOperator.DEQUANTIZE, DEQUANTIZE_INT8_VERSION), [index], [dequantized]),
        );
      }
      result.tensors.push({
        name,
        consumer: [...new Set(readers.map((r) => opLabel(model, r.op)))].join(','),
        from: 'float32',
        to: axis === undefined ? 'int8 (per-tensor)' : `int8 (per-channel, axis ${axis})`,
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
