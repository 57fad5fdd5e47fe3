import { UnsupportedError } from '../../errors.js';
import { type OperatorT, Pool2DOptionsT } from '../../tflite/generated/schema_generated.js';
import { attr } from '../graphBuilder.js';
import { pads2d } from '../padding.js';
import type { Translation } from '../translation.js';

const windowAttributes = (t: Translation, op: OperatorT, options: Pool2DOptionsT) => {
  const kernel = [options.filterHeight, options.filterWidth] as const;
  const stride = [options.strideH, options.strideW] as const;
  return [
    attr.ints('kernel_shape', kernel),
    attr.ints('strides', stride),
    attr.ints('pads', pads2d(options.padding, t.shape(op.inputs[0]!), kernel, stride)),
  ];
};

const poolOptions = (op: OperatorT): Pool2DOptionsT => {
  if (!(op.builtinOptions instanceof Pool2DOptionsT)) throw new UnsupportedError('a pool without its options');
  return op.builtinOptions;
};

/** Max pooling compares integers as they are when input and output share parameters (TFLite requires it). */
const maxPool2d = (t: Translation, op: OperatorT): void => {
  const options = poolOptions(op);
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const attributes = windowAttributes(t, op, options);
  if (t.isQuantized(input) && t.sameQuantization(input, output)) {
    const pooled = t.graph.op('MaxPool', [t.value(input, 'nchw')], t.hint(output), attributes);
    t.storeIntegers(output, pooled, 'nchw', options.fusedActivationFunction);
    return;
  }
  const pooled = t.graph.op('MaxPool', [t.float(input, 'nchw')], t.hint(output), attributes);
  t.store(output, pooled, 'nchw', options.fusedActivationFunction);
};

/** TFLite averages over the window's pixels inside the input only: count_include_pad 0. */
const averagePool2d = (t: Translation, op: OperatorT): void => {
  const options = poolOptions(op);
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const pooled = t.graph.op('AveragePool', [t.float(input, 'nchw')], t.hint(output), [
    ...windowAttributes(t, op, options),
    attr.int('count_include_pad', 0),
  ]);
  t.store(output, pooled, 'nchw', options.fusedActivationFunction);
};

export { averagePool2d, maxPool2d };
