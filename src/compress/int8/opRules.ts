import { BuiltinOperator as Op } from '../../tflite/generated/schema_generated.js';

/**
 * How each builtin is quantized to int8 (TFLite's quantization spec and
 * operator_property.cc), and the op version int8 needs (op_version.cc).
 *
 * - `weights`: input slots holding symmetric int8 weights, with the axis of
 *   their per-channel scales (undefined: per tensor); `bias`: the int32 bias slot.
 * - `output`: 'calibrated' (own range), 'same' (the input's parameters:
 *   pooling, reshaping, padding, resizing), or fixed parameters.
 * - `requantizeInputs`: inputs must share the output's parameters, since
 *   the kernel compares or copies raw int8 values without rescaling
 *   (CONCATENATION, MAXIMUM, MINIMUM); constant operands are quantized with
 *   the output's parameters directly.
 * - With `output: 'same'`, constant operands (PADV2's padding value) take the
 *   first input's parameters, which the kernel writes as they are.
 */
interface OpRule {
  readonly version: number;
  readonly weights?: Readonly<Record<number, number | undefined>>;
  readonly bias?: number;
  readonly output: 'calibrated' | 'same' | { readonly scale: number; readonly zeroPoint: number };
  readonly requantizeInputs?: boolean;
}

const CALIBRATED: OpRule = { version: 2, output: 'calibrated' };
const SAME: OpRule = { version: 2, output: 'same' };

const RULES: ReadonlyMap<number, OpRule> = new Map<number, OpRule>([
  [Op.CONV_2D, { version: 3, weights: { 1: 0 }, bias: 2, output: 'calibrated' }],
  [Op.DEPTHWISE_CONV_2D, { version: 3, weights: { 1: 3 }, bias: 2, output: 'calibrated' }],
  [Op.FULLY_CONNECTED, { version: 4, weights: { 1: undefined }, bias: 2, output: 'calibrated' }],
  [Op.ADD, CALIBRATED],
  [Op.SUB, CALIBRATED],
  [Op.MUL, CALIBRATED],
  [Op.MEAN, CALIBRATED],
  [Op.RELU, CALIBRATED],
  [Op.RELU6, CALIBRATED],
  [Op.LEAKY_RELU, CALIBRATED],
  [Op.HARD_SWISH, { version: 1, output: 'calibrated' }],
  [Op.MAXIMUM, { version: 2, output: 'calibrated', requantizeInputs: true }],
  [Op.MINIMUM, { version: 2, output: 'calibrated', requantizeInputs: true }],
  [Op.LOGISTIC, { version: 2, output: { scale: 1 / 256, zeroPoint: -128 } }],
  [Op.SOFTMAX, { version: 2, output: { scale: 1 / 256, zeroPoint: -128 } }],
  [Op.TANH, { version: 2, output: { scale: 1 / 128, zeroPoint: 0 } }],
  [Op.MAX_POOL_2D, SAME],
  [Op.AVERAGE_POOL_2D, SAME],
  [Op.PAD, SAME],
  [Op.PADV2, SAME],
  [Op.RESIZE_BILINEAR, SAME],
  [Op.RESIZE_NEAREST_NEIGHBOR, SAME],
  [Op.RESHAPE, { version: 1, output: 'same' }],
  [Op.SQUEEZE, { version: 1, output: 'same' }],
  [Op.TRANSPOSE, SAME],
  [Op.SPACE_TO_DEPTH, SAME],
  [Op.DEPTH_TO_SPACE, SAME],
  [Op.CONCATENATION, { version: 2, output: 'calibrated', requantizeInputs: true }],
]);

/** Inputs that are not tensors of values (shapes, axes, paddings, sizes) and stay as they are. */
const INDEX_INPUTS: ReadonlyMap<number, readonly number[]> = new Map([
  [Op.PAD, [1]],
  [Op.PADV2, [1]],
  [Op.RESHAPE, [1]],
  [Op.MEAN, [1]],
  [Op.RESIZE_BILINEAR, [1]],
  [Op.RESIZE_NEAREST_NEIGHBOR, [1]],
  [Op.TRANSPOSE, [1]],
]);

const ruleFor = (builtin: number): OpRule | undefined => RULES.get(builtin);
const isIndexInput = (builtin: number, slot: number): boolean => INDEX_INPUTS.get(builtin)?.includes(slot) ?? false;

export type { OpRule };
export { isIndexInput, ruleFor };
