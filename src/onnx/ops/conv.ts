import { UnsupportedError } from '../../errors.js';
import {
  Conv2DOptionsT,
  DepthwiseConv2DOptionsT,
  type OperatorT,
  Padding,
} from '../../tflite/generated/schema_generated.js';
import { attr } from '../graphBuilder.js';
import { padding1d, pads2d } from '../padding.js';
import type { Translation } from '../translation.js';
import { biasOperand, weightsOperand } from '../weights.js';
import { dynamicallyQuantized, isHybrid } from './hybrid.js';

/** OHWI (CONV_2D, TRANSPOSE_CONV weights) to OIHW. */
const OHWI_TO_OIHW = [0, 3, 1, 2];
/** DEPTHWISE_CONV_2D's [1, H, W, C·M] to a grouped convolution's [C·M, 1, H, W]. */
const DEPTHWISE_TO_OIHW = [3, 0, 1, 2];
/** MediaPipe's transposed convolution weights, OHWI, to ConvTranspose's [I, O, H, W]. */
const OHWI_TO_IOHW = [3, 0, 1, 2];

/**
 * The input as the convolution reads it, in NCHW: dequantized for a
 * quantized op, dynamically quantized the way TFLite's hybrid kernels do for
 * float input with int8 weights, as it is otherwise.
 */
const convInput = (t: Translation, op: OperatorT, hybridAsymmetric: boolean): string => {
  const [input, weights] = [op.inputs[0]!, op.inputs[1]!];
  if (!isHybrid(t, input, weights)) return t.float(input, 'nchw');
  return dynamicallyQuantized(t, t.value(input, 'nchw'), [1, 2, 3], hybridAsymmetric, `${t.hint(input)}_hybrid`);
};

const convolution = (t: Translation, op: OperatorT, depthwise: boolean): void => {
  const options = op.builtinOptions;
  if (!(options instanceof Conv2DOptionsT || options instanceof DepthwiseConv2DOptionsT))
    throw new UnsupportedError('a convolution without its options');
  const [input, weights, bias] = [op.inputs[0]!, op.inputs[1]!, op.inputs[2] ?? -1];
  const output = op.outputs[0]!;
  const wShape = t.shape(weights);
  const [kh, kw] = [wShape[1]!, wShape[2]!];
  const hybrid = isHybrid(t, input, weights);
  const wq = t.quant(weights);
  // Hybrid convolutions with per-channel weights quantize their input asymmetrically (EvalHybridPerChannel).
  const x = convInput(t, op, (wq?.scale.length ?? 0) > 1);
  const w = weightsOperand(t, weights, depthwise ? DEPTHWISE_TO_OIHW : OHWI_TO_OIHW, hybrid ? 'fold' : 'qdq');
  const inputs = [x, w];
  if (bias >= 0) inputs.push(hybrid ? t.value(bias) : biasOperand(t, bias, input, weights));
  const dilation = [options.dilationHFactor || 1, options.dilationWFactor || 1] as const;
  const stride = [options.strideH, options.strideW] as const;
  const attributes = [
    attr.ints('kernel_shape', [kh, kw]),
    attr.ints('strides', stride),
    attr.ints('dilations', dilation),
    attr.ints('pads', pads2d(options.padding, t.shape(input), [kh, kw], stride, dilation)),
    attr.int('group', depthwise ? t.shape(input)[3]! : 1),
  ];
  const result = t.graph.op('Conv', inputs, t.hint(output), attributes);
  t.store(output, result, 'nchw', options.fusedActivationFunction);
};

const conv2d = (t: Translation, op: OperatorT): void => convolution(t, op, false);
const depthwiseConv2d = (t: Translation, op: OperatorT): void => convolution(t, op, true);

/**
 * MediaPipe's Convolution2DTransposeBias: a transposed convolution plus bias.
 * Its custom options are TfLiteTransposeConvParams as raw int32s (padding
 * 1 SAME / 2 VALID, stride_width, stride_height); inputs are the input, the
 * OHWI weights and the bias. TFLite pads as for a convolution from the output
 * back to the input, the odd pixel after.
 */
const convolution2dTransposeBias = (t: Translation, op: OperatorT): void => {
  const bytes = Uint8Array.from(op.customOptions);
  if (bytes.length < 12) throw new UnsupportedError('Convolution2DTransposeBias without its parameters');
  const view = new DataView(bytes.buffer);
  const [paddingCode, strideW, strideH] = [view.getInt32(0, true), view.getInt32(4, true), view.getInt32(8, true)];
  const padding = paddingCode === 1 ? Padding.SAME : paddingCode === 2 ? Padding.VALID : undefined;
  if (padding === undefined || strideW < 1 || strideH < 1)
    throw new UnsupportedError(`Convolution2DTransposeBias with padding code ${paddingCode}`);
  const [input, weights, bias] = [op.inputs[0]!, op.inputs[1]!, op.inputs[2]!];
  const output = op.outputs[0]!;
  if (t.isQuantized(input) || t.isQuantized(weights))
    throw new UnsupportedError('a quantized Convolution2DTransposeBias');
  const [inShape, outShape, wShape] = [t.shape(input), t.shape(output), t.shape(weights)];
  const strides = [strideH, strideW];
  // ConvTranspose's full output is stride·(in − 1) + kernel; pads crop it to TFLite's output size.
  const dims = [1, 2].map((d, i) => {
    const [kernel, stride] = [wShape[d]!, strides[i]!];
    const [before] = padding1d(padding, outShape[d]!, kernel, stride);
    const after = stride * (inShape[d]! - 1) + kernel - before - outShape[d]!;
    return { before, after: Math.max(0, after), extra: Math.max(0, -after) };
  });
  const result = t.graph.op(
    'ConvTranspose',
    [t.float(input, 'nchw'), weightsOperand(t, weights, OHWI_TO_IOHW, 'fold'), t.value(bias)],
    t.hint(output),
    [
      attr.ints('kernel_shape', [wShape[1]!, wShape[2]!]),
      attr.ints('strides', strides),
      attr.ints('pads', [dims[0]!.before, dims[1]!.before, dims[0]!.after, dims[1]!.after]),
      attr.ints('output_padding', [dims[0]!.extra, dims[1]!.extra]),
    ],
  );
  t.store(output, result, 'nchw');
};

export { conv2d, convolution2dTransposeBias, depthwiseConv2d };
