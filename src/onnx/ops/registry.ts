import { BuiltinOperator as Op, type OperatorT } from '../../tflite/generated/schema_generated.js';
import type { Translation } from '../translation.js';
import { conv2d, convolution2dTransposeBias, depthwiseConv2d } from './conv.js';
import { arithmetic, binary, clip, leakyRelu, simple } from './elementwise.js';
import { fullyConnected } from './fullyConnected.js';
import { averagePool2d, maxPool2d } from './pooling.js';
import { densifyOp, dequantizeOp, quantizeOp } from './quantize.js';
import { argExtreme, reduce, softmax } from './reduce.js';
import { resize } from './resize.js';
import { blockRearrange, concatenation, pad, reshape, transpose } from './shape.js';

type OpTranslator = (t: Translation, op: OperatorT) => void;

/** Builtin ops the translation knows, each with how it becomes ONNX (the README's op table says the same). */
const BUILTINS: ReadonlyMap<number, OpTranslator> = new Map<number, OpTranslator>([
  [Op.CONV_2D, conv2d],
  [Op.DEPTHWISE_CONV_2D, depthwiseConv2d],
  [Op.FULLY_CONNECTED, fullyConnected],
  [Op.AVERAGE_POOL_2D, averagePool2d],
  [Op.MAX_POOL_2D, maxPool2d],
  [Op.ADD, arithmetic('ADD')],
  [Op.SUB, arithmetic('SUB')],
  [Op.MUL, arithmetic('MUL')],
  [Op.DIV, arithmetic('DIV')],
  [Op.MAXIMUM, binary('Max')],
  [Op.MINIMUM, binary('Min')],
  [Op.RELU, simple('Relu')],
  [Op.RELU6, clip(0, 6)],
  [Op.RELU_N1_TO_1, clip(-1, 1)],
  [Op.LOGISTIC, simple('Sigmoid')],
  [Op.TANH, simple('Tanh')],
  [Op.HARD_SWISH, simple('HardSwish')],
  [Op.LEAKY_RELU, leakyRelu],
  [Op.RESHAPE, reshape],
  [Op.SQUEEZE, reshape],
  [Op.EXPAND_DIMS, reshape],
  [Op.CONCATENATION, concatenation],
  [Op.PAD, pad],
  [Op.PADV2, pad],
  [Op.TRANSPOSE, transpose],
  [Op.DEPTH_TO_SPACE, blockRearrange('DepthToSpace')],
  [Op.SPACE_TO_DEPTH, blockRearrange('SpaceToDepth')],
  [Op.MEAN, reduce('MEAN')],
  [Op.SUM, reduce('SUM')],
  [Op.REDUCE_MAX, reduce('REDUCE_MAX')],
  [Op.SOFTMAX, softmax],
  [Op.ARG_MAX, argExtreme('ArgMax')],
  [Op.ARG_MIN, argExtreme('ArgMin')],
  [Op.RESIZE_BILINEAR, resize('linear')],
  [Op.RESIZE_NEAREST_NEIGHBOR, resize('nearest')],
  [Op.QUANTIZE, quantizeOp],
  [Op.DEQUANTIZE, dequantizeOp],
  [Op.DENSIFY, densifyOp],
]);

/** MediaPipe's custom ops that have an ONNX equivalent. */
const CUSTOM: ReadonlyMap<string, OpTranslator> = new Map([['Convolution2DTransposeBias', convolution2dTransposeBias]]);

export type { OpTranslator };
export { BUILTINS, CUSTOM };
