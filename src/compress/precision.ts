import { BuiltinOperator, type OperatorT, type TensorT, TensorType } from '../tflite/generated/schema_generated.js';
import { builtinCode } from '../tflite/opcodes.js';
import type { TfliteFile } from '../tflite/readModel.js';
import { schemaTypeName } from '../tflite/tensorTypes.js';
import { compact, constantData, consumersOf, setConstant } from './graph.js';
import type { CompressMode, ModelPrecision } from './types.js';

const INTEGER = new Set<number>([TensorType.INT8, TensorType.UINT8, TensorType.INT16]);

const quantized = (tensor: { type: number; quantization: { scale: number[] } | null }): boolean =>
  INTEGER.has(tensor.type) && (tensor.quantization?.scale.length ?? 0) > 0;

/**
 * What a model already is, from its tensors: full-integer when most
 * operators compute in quantized integers (activations, not only weights),
 * dynamic-range when its weights are quantized integers and its activations
 * float, float16 when float16 constants outweigh float32 ones.
 */
const modelPrecision = (file: TfliteFile): ModelPrecision => {
  const { model } = file;
  const bytes = { float32: 0, float16: 0, integer: 0 };
  const activations = { integer: 0, float: 0 };
  const integerTypes = new Set<string>();
  for (const subgraph of model.subgraphs) {
    for (const op of subgraph.operators) {
      for (const output of op.outputs) {
        const tensor = subgraph.tensors[output];
        if (!tensor) continue;
        if (quantized(tensor)) {
          activations.integer++;
          integerTypes.add(schemaTypeName(tensor.type));
        } else if (tensor.type === TensorType.FLOAT32 || tensor.type === TensorType.FLOAT16) activations.float++;
      }
    }
    for (const tensor of subgraph.tensors) {
      const data = constantData(model, tensor);
      if (!data) continue;
      if (tensor.type === TensorType.FLOAT32) bytes.float32 += data.length;
      else if (tensor.type === TensorType.FLOAT16) bytes.float16 += data.length;
      else if (quantized(tensor)) bytes.integer += data.length;
    }
  }
  if (activations.integer > activations.float) {
    const types = [...integerTypes].join(' and ');
    return { kind: 'full-integer', description: `full-integer ${types} (weights and activations quantized)` };
  }
  if (bytes.integer > bytes.float32 + bytes.float16)
    return { kind: 'dynamic-range', description: 'dynamic-range (int8 weights, float activations)' };
  if (bytes.float16 > bytes.float32)
    return { kind: 'float16', description: 'float16 (weights read through DEQUANTIZE, float activations)' };
  return { kind: 'float32', description: 'float32 (weights and activations)' };
};

/** Why a mode has nothing to rewrite in a model of this precision. */
const nothingToDo = (mode: CompressMode, precision: ModelPrecision): string => {
  const already = `The model is already ${precision.description}`;
  switch (mode) {
    case 'float32':
      return `${already}; it has no float16 constants to expand, so there is no float32 baseline to write.`;
    case 'float16':
      return `${already}; it has no float32 constants large enough to pay for a float16 copy.`;
    case 'dynamic':
      return `${already}; it has no float32 CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED weights of 1,024 elements or more to quantize.`;
    case 'int8':
      return `${already}; full-integer int8 would have nothing left to quantize.`;
  }
};

/** What tfls compress can still do for a model of this precision. */
const stillPossible = (precision: ModelPrecision): string => {
  switch (precision.kind) {
    case 'full-integer':
      return 'No mode makes it smaller: its weights are 8-bit already. tfls eval --data DIR measures its accuracy on your own labeled photos, and tfls inspect shows which engine serves it.';
    case 'dynamic-range':
      return '--mode int8 --calibration DIR makes it full-integer (the same weights, integer activations), which XNNPACK runs with its int8 kernels.';
    case 'float16':
      return '--mode dynamic or --mode int8 --calibration DIR shrink it about 2x more; the report measures what each costs in fidelity and speed.';
    case 'float32':
      return '--mode float16 halves it and runs at float speed on XNNPACK; --mode dynamic and --mode int8 shrink it about 4x.';
  }
};

/** The real values a quantized constant stands for: (q - zero point) x scale, per channel. */
const realValuesOf = (tensor: TensorT, data: Uint8Array): Float32Array => {
  const q = tensor.quantization!;
  const axis = q.scale.length > 1 ? q.quantizedDimension : -1;
  const values = tensor.type === TensorType.INT8 ? new Int8Array(data.buffer, data.byteOffset, data.length) : data;
  const inner = axis < 0 ? values.length : tensor.shape.slice(axis + 1).reduce((n, d) => n * d, 1);
  const channels = axis < 0 ? 1 : (tensor.shape[axis] ?? 1);
  const floats = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const channel = axis < 0 ? 0 : Math.floor(i / inner) % channels;
    floats[i] = (values[i]! - Number(q.zeroPoint[channel] ?? 0)) * q.scale[channel]!;
  }
  return floats;
};

/**
 * Float weights back for a dynamic-range model, so that full-integer
 * quantization can start from them: a quantized constant read through a
 * DEQUANTIZE becomes the float32 constant the DEQUANTIZE produces (the
 * DEQUANTIZE goes), one read directly by a hybrid kernel becomes float32 in
 * place. Per-channel symmetric weights quantize back to the same values.
 */
const dequantizeWeights = (file: TfliteFile): void => {
  const { model } = file;
  for (const subgraph of model.subgraphs) {
    const consumers = consumersOf(subgraph);
    const removed = new Set<OperatorT>();
    subgraph.tensors.forEach((tensor, index) => {
      const data = constantData(model, tensor);
      if (!data || !quantized(tensor) || tensor.type === TensorType.INT16) return;
      const floats = new Uint8Array(realValuesOf(tensor, data).buffer);
      const readers = consumers.get(index) ?? [];
      const dequantizing = readers.filter(
        (r) => builtinCode(model.operatorCodes[r.op.opcodeIndex]!) === BuiltinOperator.DEQUANTIZE,
      );
      for (const { op } of dequantizing) {
        setConstant(model, subgraph.tensors[op.outputs[0]!]!, TensorType.FLOAT32, floats);
        removed.add(op);
      }
      if (dequantizing.length < readers.length) {
        tensor.quantization = null;
        setConstant(model, tensor, TensorType.FLOAT32, floats);
      }
    });
    subgraph.operators = subgraph.operators.filter((op) => !removed.has(op));
  }
  compact(model);
};

export { dequantizeWeights, modelPrecision, nothingToDo, stillPossible };
