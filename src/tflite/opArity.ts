import { BuiltinOperator as Op } from './generated/reader/schema_generated.js';

/**
 * Inputs and outputs the TFLite 2.9 kernels expect for common builtins:
 * [min inputs, max inputs, outputs]. Most kernels check their arity, but not
 * all safely: DEPTHWISE_CONV_2D without a bias dereferences a null bias in
 * its float path. A model outside these bounds is refused before it runs.
 */
type Arity = readonly [minInputs: number, maxInputs: number, outputs: number];

const UNARY: Arity = [1, 1, 1];
const BINARY: Arity = [2, 2, 1];

const ARITY: ReadonlyMap<number, Arity> = new Map<number, Arity>([
  [Op.CONV_2D, [3, 3, 1]],
  [Op.DEPTHWISE_CONV_2D, [3, 3, 1]],
  [Op.TRANSPOSE_CONV, [3, 4, 1]],
  [Op.FULLY_CONNECTED, [2, 3, 1]],
  [Op.ADD, BINARY],
  [Op.SUB, BINARY],
  [Op.MUL, BINARY],
  [Op.DIV, BINARY],
  [Op.MAXIMUM, BINARY],
  [Op.MINIMUM, BINARY],
  [Op.SQUARED_DIFFERENCE, BINARY],
  [Op.PRELU, BINARY],
  [Op.RELU, UNARY],
  [Op.RELU6, UNARY],
  [Op.RELU_N1_TO_1, UNARY],
  [Op.LEAKY_RELU, UNARY],
  [Op.HARD_SWISH, UNARY],
  [Op.LOGISTIC, UNARY],
  [Op.TANH, UNARY],
  [Op.ELU, UNARY],
  [Op.ABS, UNARY],
  [Op.SQRT, UNARY],
  [Op.RSQRT, UNARY],
  [Op.EXP, UNARY],
  [Op.NEG, UNARY],
  [Op.FLOOR, UNARY],
  [Op.CEIL, UNARY],
  [Op.DEQUANTIZE, UNARY],
  [Op.QUANTIZE, UNARY],
  [Op.SOFTMAX, UNARY],
  [Op.LOG_SOFTMAX, UNARY],
  [Op.L2_NORMALIZATION, UNARY],
  [Op.MAX_POOL_2D, UNARY],
  [Op.AVERAGE_POOL_2D, UNARY],
  [Op.L2_POOL_2D, UNARY],
  [Op.CONCATENATION, [1, 1 << 16, 1]],
  [Op.RESHAPE, [1, 2, 1]],
  [Op.SQUEEZE, UNARY],
  [Op.PAD, BINARY],
  [Op.PADV2, [3, 3, 1]],
  [Op.MIRROR_PAD, BINARY],
  [Op.MEAN, BINARY],
  [Op.SUM, BINARY],
  [Op.REDUCE_MAX, BINARY],
  [Op.REDUCE_MIN, BINARY],
  [Op.RESIZE_BILINEAR, BINARY],
  [Op.RESIZE_NEAREST_NEIGHBOR, BINARY],
  [Op.TRANSPOSE, BINARY],
  [Op.GATHER, BINARY],
  [Op.STRIDED_SLICE, [4, 4, 1]],
  [Op.SLICE, [3, 3, 1]],
  [Op.SPACE_TO_DEPTH, UNARY],
  [Op.DEPTH_TO_SPACE, UNARY],
  [Op.CAST, UNARY],
  [Op.ARG_MAX, BINARY],
  [Op.ARG_MIN, BINARY],
]);

/** Why the op's inputs/outputs cannot be right for TFLite 2.9, or undefined. */
const arityProblem = (builtin: number, inputs: readonly number[], outputs: readonly number[]): string | undefined => {
  const arity = ARITY.get(builtin);
  if (!arity) return undefined;
  const [min, max, outputCount] = arity;
  if (inputs.length < min || inputs.length > max) {
    return `has ${inputs.length} inputs, expected ${min === max ? min : `${min} to ${max}`}`;
  }
  // Beyond the minimum an input may be optional (-1); below it, it may not.
  const missing = inputs.findIndex((input, i) => input === -1 && i < min);
  if (missing >= 0) return `lacks its required input ${missing}`;
  if (outputs.length !== outputCount || outputs.includes(-1))
    return `has ${outputs.length} outputs, expected ${outputCount}`;
  return undefined;
};

export { arityProblem };
