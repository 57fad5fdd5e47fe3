import { UnsupportedError } from '../../errors.js';
import {
  ArgMaxOptionsT,
  ArgMinOptionsT,
  type OperatorT,
  ReducerOptionsT,
  SoftmaxOptionsT,
  TensorType,
} from '../../tflite/generated/schema_generated.js';
import { attr } from '../graphBuilder.js';
import { type Layout, nchwAxis } from '../layout.js';
import { OnnxType } from '../onnxProto.js';
import { constantNumbers } from '../tfliteTensors.js';
import type { Translation } from '../translation.js';

/** Axes as the ONNX value holds them: TFLite's (NHWC, negative from the end) mapped to NCHW for a 4-D value there. */
const onnxAxes = (axes: readonly number[], rank: number, layout: Layout): number[] =>
  axes.map((a) => (a < 0 ? a + rank : a)).map((a) => (layout === 'nchw' ? nchwAxis(a) : a));

/**
 * After dropping `reduced` TFLite axes from an NCHW value, the permutation
 * that puts what remains in TFLite's order (identity, most often: reducing
 * H and W leaves [N, C] either way).
 */
const remainingOrder = (reduced: readonly number[]): number[] => {
  const kept = [0, 3, 1, 2].filter((a) => !reduced.includes(a));
  return kept.map((_, i) => i).sort((x, y) => kept[x]! - kept[y]!);
};

/** The reduction's result, in TFLite's layout when its rank dropped, and the layout it is in. */
const reduceAcross = (
  t: Translation,
  onnxOp: string,
  input: string,
  axes: readonly number[],
  keepDims: boolean,
  layout: Layout,
  hint: string,
  extra: ReturnType<typeof attr.int>[] = [],
): { value: string; layout: Layout } => {
  const normalized = axes.map((a) => (a < 0 ? a + 4 : a));
  const reduced = t.graph.op(onnxOp, [input], hint, [
    ...(onnxOp.startsWith('Arg')
      ? [attr.int('axis', onnxAxes(axes, 4, layout)[0]!)]
      : [attr.ints('axes', onnxAxes(axes, 4, layout))]),
    attr.int('keepdims', keepDims ? 1 : 0),
    ...extra,
  ]);
  if (layout === 'nhwc' || keepDims) return { value: reduced, layout };
  const order = remainingOrder(normalized);
  if (order.every((p, i) => p === i)) return { value: reduced, layout: 'nhwc' };
  return { value: t.graph.op('Transpose', [reduced], `${hint}_nhwc`, [attr.ints('perm', order)]), layout: 'nhwc' };
};

const REDUCERS: Readonly<Record<string, string>> = { MEAN: 'ReduceMean', SUM: 'ReduceSum', REDUCE_MAX: 'ReduceMax' };

/** MEAN, SUM, REDUCE_MAX over constant axes, in real values. */
const reduce = (name: keyof typeof REDUCERS) => (t: Translation, op: OperatorT) => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const axes = constantNumbers(t.model, t.tensor(op.inputs[1]!));
  const keepDims = op.builtinOptions instanceof ReducerOptionsT && op.builtinOptions.keepDims;
  const rank = t.rank(input);
  const layout = rank === 4 ? t.layoutOf(input) : 'nhwc';
  const result =
    rank === 4
      ? reduceAcross(t, REDUCERS[name]!, t.float(input, layout), axes, keepDims, layout, t.hint(output))
      : {
          value: t.graph.op(REDUCERS[name]!, [t.float(input)], t.hint(output), [
            attr.ints('axes', onnxAxes(axes, rank, 'nhwc')),
            attr.int('keepdims', keepDims ? 1 : 0),
          ]),
          layout: 'nhwc' as Layout,
        };
  t.store(output, result.value, result.layout);
};

/** SOFTMAX over the last axis, softmax(beta · x); over the channels of an NCHW value. */
const softmax = (t: Translation, op: OperatorT): void => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const beta = op.builtinOptions instanceof SoftmaxOptionsT ? op.builtinOptions.beta : 1;
  const rank = t.rank(input);
  const layout = rank === 4 ? t.layoutOf(input) : 'nhwc';
  let x = t.float(input, layout);
  if (beta !== 1) x = t.graph.op('Mul', [x, t.graph.floats([beta], [])], `${t.hint(output)}_beta`);
  const axis = layout === 'nchw' ? 1 : rank - 1;
  t.store(output, t.graph.op('Softmax', [x], t.hint(output), [attr.int('axis', axis)]), layout);
};

/**
 * ARG_MAX / ARG_MIN over a constant axis: the first index of the extreme,
 * as both runtimes pick; integers compare as they are (the scale is
 * positive). ONNX answers int64; an int32 output is cast.
 */
const argExtreme = (onnxOp: 'ArgMax' | 'ArgMin') => (t: Translation, op: OperatorT) => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const axis = constantNumbers(t.model, t.tensor(op.inputs[1]!))[0]!;
  const options = op.builtinOptions;
  if (!(options instanceof ArgMaxOptionsT || options instanceof ArgMinOptionsT))
    throw new UnsupportedError(`${onnxOp} without its options`);
  const rank = t.rank(input);
  const layout = rank === 4 ? t.layoutOf(input) : 'nhwc';
  const source = t.value(input, layout);
  const result =
    rank === 4
      ? reduceAcross(t, onnxOp, source, [axis], false, layout, t.hint(output))
      : {
          value: t.graph.op(onnxOp, [source], t.hint(output), [
            attr.int('axis', axis < 0 ? axis + rank : axis),
            attr.int('keepdims', 0),
          ]),
          layout: 'nhwc' as Layout,
        };
  const value =
    options.outputType === TensorType.INT32
      ? t.graph.op('Cast', [result.value], `${t.hint(output)}_int32`, [attr.int('to', OnnxType.INT32)])
      : result.value;
  t.define(output, value, result.layout);
};

export { argExtreme, reduce, softmax };
