import { UnsupportedError } from '../errors.js';
import { ActivationFunctionType, type TensorT, TensorType } from '../tflite/generated/schema_generated.js';
import { attr, type GraphBuilder } from './graphBuilder.js';
import { type QuantParams, tensorName } from './tfliteTensors.js';

const RANGES: Readonly<Partial<Record<TensorType, readonly [number, number]>>> = {
  [TensorType.INT8]: [-128, 127],
  [TensorType.UINT8]: [0, 255],
};

/** The integer range of a quantized tensor's type. */
const integerRange = (type: TensorType, tensor: TensorT): readonly [number, number] => {
  const range = RANGES[type];
  if (range === undefined)
    throw new UnsupportedError(
      `quantized tensor ${tensorName(tensor)} is not int8 or uint8 (16-bit quantization is not translated)`,
    );
  return range;
};

/** Scale and zero point as DequantizeLinear/QuantizeLinear take them: scalars, or vectors along `axis`. */
const scaleAndZeroPoint = (
  graph: GraphBuilder,
  q: QuantParams,
  type: TensorType,
  hint: string,
): { scale: string; zeroPoint: string; perAxis: boolean } => {
  const perAxis = q.scale.length > 1;
  const dims = perAxis ? [q.scale.length] : [];
  const zeroPoints = q.zeroPoint.length === q.scale.length ? q.zeroPoint : q.scale.map(() => q.zeroPoint[0] ?? 0);
  const zeroData =
    type === TensorType.INT8
      ? Int8Array.from(zeroPoints)
      : type === TensorType.UINT8
        ? Uint8Array.from(zeroPoints)
        : Int32Array.from(zeroPoints);
  return {
    scale: graph.constant(Float32Array.from(q.scale), dims, `${hint}_scale`),
    zeroPoint: graph.constant(zeroData, dims, `${hint}_zero_point`),
    perAxis,
  };
};

/** Integers to float: (q - zeroPoint) * scale, per tensor or along `axis` of the ONNX value. */
const dequantize = (
  graph: GraphBuilder,
  value: string,
  q: QuantParams,
  type: TensorType,
  hint: string,
  axis = q.axis,
): string => {
  const { scale, zeroPoint, perAxis } = scaleAndZeroPoint(graph, q, type, hint);
  return graph.op(
    'DequantizeLinear',
    [value, scale, zeroPoint],
    `${hint}_float`,
    perAxis ? [attr.int('axis', axis)] : [],
  );
};

/** Float to integers of `type` with parameters `q` (per tensor) for `tensor`. */
const quantize = (
  graph: GraphBuilder,
  value: string,
  tensor: TensorT,
  type: TensorType,
  q: QuantParams,
  hint: string,
): string => {
  integerRange(type, tensor);
  if (q.scale.length > 1)
    throw new UnsupportedError(`activation ${tensorName(tensor)} is quantized per channel, which is not translated`);
  const { scale, zeroPoint } = scaleAndZeroPoint(graph, q, type, hint);
  return graph.op('QuantizeLinear', [value, scale, zeroPoint], hint);
};

/** TfLiteRound: half away from zero. */
const roundAway = (value: number): number => Math.sign(value) * Math.round(Math.abs(value));

/**
 * The clamp TFLite's quantized kernels apply for a fused activation
 * (CalculateActivationRangeQuantized), or null when it keeps the type's
 * whole range: then it changes nothing and no node is needed.
 */
const quantizedClamp = (
  tensor: TensorT,
  type: TensorType,
  q: QuantParams,
  activation: ActivationFunctionType,
): readonly [number, number] | null => {
  const [qmin, qmax] = integerRange(type, tensor);
  const at = (real: number): number => q.zeroPoint[0]! + roundAway(real / q.scale[0]!);
  let range: [number, number];
  switch (activation) {
    case ActivationFunctionType.NONE:
      return null;
    case ActivationFunctionType.RELU:
      range = [Math.max(qmin, at(0)), qmax];
      break;
    case ActivationFunctionType.RELU6:
      range = [Math.max(qmin, at(0)), Math.min(qmax, at(6))];
      break;
    case ActivationFunctionType.RELU_N1_TO_1:
      range = [Math.max(qmin, at(-1)), Math.min(qmax, at(1))];
      break;
    default:
      throw new UnsupportedError(`fused activation ${ActivationFunctionType[activation]} on a quantized op`);
  }
  return range[0] === qmin && range[1] === qmax ? null : range;
};

/** A float fused activation as its ONNX node (none for NONE). */
const floatActivation = (
  graph: GraphBuilder,
  value: string,
  activation: ActivationFunctionType,
  hint: string,
): string => {
  switch (activation) {
    case ActivationFunctionType.NONE:
      return value;
    case ActivationFunctionType.RELU:
      return graph.op('Relu', [value], hint);
    case ActivationFunctionType.RELU6:
      return graph.op('Clip', [value, graph.floats([0], []), graph.floats([6], [])], hint);
    case ActivationFunctionType.RELU_N1_TO_1:
      return graph.op('Clip', [value, graph.floats([-1], []), graph.floats([1], [])], hint);
    case ActivationFunctionType.TANH:
      return graph.op('Tanh', [value], hint);
    default:
      throw new UnsupportedError(`fused activation ${ActivationFunctionType[activation]}`);
  }
};

export { dequantize, floatActivation, quantize, quantizedClamp };
