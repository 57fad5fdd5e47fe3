import { UnsupportedError } from '../../errors.js';
import {
  ActivationFunctionType,
  ConcatenationOptionsT,
  DepthToSpaceOptionsT,
  type OperatorT,
  SpaceToDepthOptionsT,
  TensorType,
} from '../../tflite/generated/schema_generated.js';
import { attr } from '../graphBuilder.js';
import { type Layout, nchwAxis, permute, TO_NCHW } from '../layout.js';
import { constantNumbers } from '../tfliteTensors.js';
import type { Translation } from '../translation.js';

/**
 * The op's input as integers when input and output share quantization
 * (moving values changes nothing then), else as real values; `store` writes
 * the result back the same way.
 */
const passThrough = (t: Translation, input: number, output: number) => {
  const direct = !t.isQuantized(input) || t.sameQuantization(input, output);
  return {
    direct,
    read: (layout: Layout) => (direct ? t.value(input, layout) : t.float(input, layout)),
    store: (value: string, layout: Layout, activation = ActivationFunctionType.NONE) =>
      direct ? t.storeIntegers(output, value, layout, activation) : t.store(output, value, layout, activation),
  };
};

/** RESHAPE and SQUEEZE (and EXPAND_DIMS): TFLite's row-major order over NHWC, to the output's static shape. */
const reshape = (t: Translation, op: OperatorT): void => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const io = passThrough(t, input, output);
  const shape = t.graph.int64s(t.shape(output), `${t.hint(output)}_shape`);
  io.store(t.graph.op('Reshape', [io.read('nhwc'), shape], t.hint(output)), 'nhwc');
};

const concatenation = (t: Translation, op: OperatorT): void => {
  const options = op.builtinOptions;
  if (!(options instanceof ConcatenationOptionsT)) throw new UnsupportedError('CONCATENATION without its options');
  const output = op.outputs[0]!;
  const rank = t.rank(output);
  const axis = options.axis < 0 ? options.axis + rank : options.axis;
  const layout: Layout =
    rank === 4 && op.inputs.every((i) => t.isConstant(i) || t.layoutOf(i) === 'nchw') ? 'nchw' : 'nhwc';
  const direct = op.inputs.every((i) => !t.isQuantized(i) || t.sameQuantization(i, output));
  const values = op.inputs.map((i) => (direct ? t.value(i, layout) : t.float(i, layout)));
  const joined = t.graph.op('Concat', values, t.hint(output), [
    attr.int('axis', layout === 'nchw' ? nchwAxis(axis) : axis),
  ]);
  if (direct) t.storeIntegers(output, joined, layout, options.fusedActivationFunction);
  else t.store(output, joined, layout, options.fusedActivationFunction);
};

/**
 * PAD and PADV2 with constant paddings ([rank, 2]). Quantized tensors pad
 * with the zero point (a real 0), as TFLite's kernel does; PADV2's value
 * is its own constant.
 */
const pad = (t: Translation, op: OperatorT): void => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const paddings = constantNumbers(t.model, t.tensor(op.inputs[1]!));
  const rank = t.rank(input);
  const layout = rank === 4 ? 'nchw' : 'nhwc';
  let befores = paddings.filter((_, i) => i % 2 === 0);
  let afters = paddings.filter((_, i) => i % 2 === 1);
  if (layout === 'nchw') [befores, afters] = [permute(befores, TO_NCHW), permute(afters, TO_NCHW)];
  const pads = t.graph.int64s([...befores, ...afters], `${t.hint(output)}_pads`);
  const io = passThrough(t, input, output);
  const inputs = [io.read(layout), pads];
  const valueIndex = op.inputs[2];
  if (valueIndex !== undefined && valueIndex >= 0) inputs.push(io.direct ? t.value(valueIndex) : t.float(valueIndex));
  else if (io.direct && t.isQuantized(input)) {
    const zero = t.storedQuant(input)!.zeroPoint[0] ?? 0;
    const int8 = t.storedType(input) === TensorType.INT8;
    inputs.push(t.graph.constant(int8 ? Int8Array.of(zero) : Uint8Array.of(zero), [], 'pad_zero'));
  }
  io.store(t.graph.op('Pad', inputs, t.hint(output), [attr.string('mode', 'constant')]), layout);
};

/** TFLite's DEPTH_TO_SPACE and SPACE_TO_DEPTH order channels as ONNX's DCR mode does. */
const blockRearrange = (onnxOp: 'DepthToSpace' | 'SpaceToDepth') => (t: Translation, op: OperatorT) => {
  const options = op.builtinOptions;
  if (!(options instanceof DepthToSpaceOptionsT || options instanceof SpaceToDepthOptionsT))
    throw new UnsupportedError(`${onnxOp} without its options`);
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const io = passThrough(t, input, output);
  const attributes = [attr.int('blocksize', options.blockSize)];
  if (onnxOp === 'DepthToSpace') attributes.push(attr.string('mode', 'DCR'));
  io.store(t.graph.op(onnxOp, [io.read('nchw')], t.hint(output), attributes), 'nchw');
};

/** TRANSPOSE with a constant permutation, on TFLite's axes. */
const transpose = (t: Translation, op: OperatorT): void => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const perm = constantNumbers(t.model, t.tensor(op.inputs[1]!));
  const io = passThrough(t, input, output);
  io.store(t.graph.op('Transpose', [io.read('nhwc')], t.hint(output), [attr.ints('perm', perm)]), 'nhwc');
};

export { blockRearrange, concatenation, pad, passThrough, reshape, transpose };
