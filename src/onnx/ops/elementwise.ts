import { UnsupportedError } from '../../errors.js';
import {
  ActivationFunctionType,
  AddOptionsT,
  DivOptionsT,
  LeakyReluOptionsT,
  MulOptionsT,
  type OperatorT,
  SubOptionsT,
  TensorType,
} from '../../tflite/generated/schema_generated.js';
import { attr } from '../graphBuilder.js';
import { type Layout, permute, TO_NCHW, transposeData } from '../layout.js';
import { dequantize } from '../quantization.js';
import type { Translation } from '../translation.js';

/**
 * An operand of a broadcasting op in `layout`. A lower-rank constant meeting
 * an NCHW operand is broadcast as TFLite aligns it (trailing axes, so a
 * per-channel [C] is [1, 1, 1, C] in NHWC) and then permuted, so [C] becomes
 * [C, 1, 1].
 */
const operand = (t: Translation, index: number, layout: Layout): string => {
  if (layout === 'nhwc' || t.rank(index) === 4) return t.float(index, layout);
  const data = t.data(index)!;
  const shape = [...new Array<number>(4 - t.rank(index)).fill(1), ...t.shape(index)];
  const hint = `${t.hint(index)}_nchw`;
  const q = t.storedQuant(index);
  const type = t.storedType(index);
  const stored = type === TensorType.UINT8 && data instanceof Int8Array ? Uint8Array.from(data, (v) => v + 128) : data;
  const constant = t.graph.constant(transposeData(stored, shape, TO_NCHW), permute(shape, TO_NCHW), hint);
  if (q === null) return constant;
  if (q.scale.length > 1) throw new UnsupportedError(`per-channel quantized operand ${t.hint(index)}`);
  return dequantize(t.graph, constant, q, type, hint);
};

/** NCHW when a 4-D operand already is and every lower-rank operand is a constant that can follow. */
const layoutFor = (t: Translation, inputs: readonly number[]): Layout => {
  const anyNchw = inputs.some((i) => t.rank(i) === 4 && !t.isConstant(i) && t.layoutOf(i) === 'nchw');
  const lowerRankActivations = inputs.some((i) => t.rank(i) < 4 && !t.isConstant(i));
  return anyNchw && !lowerRankActivations ? 'nchw' : 'nhwc';
};

const BINARY: Readonly<Record<string, string>> = { ADD: 'Add', SUB: 'Sub', MUL: 'Mul', DIV: 'Div' };

const fusedActivation = (op: OperatorT): ActivationFunctionType => {
  const options = op.builtinOptions;
  return options instanceof AddOptionsT ||
    options instanceof SubOptionsT ||
    options instanceof MulOptionsT ||
    options instanceof DivOptionsT
    ? options.fusedActivationFunction
    : ActivationFunctionType.NONE;
};

/** ADD, SUB, MUL, DIV and others that broadcast two operands, in real values, with the fused activation. */
const binary =
  (onnxOp: string) =>
  (t: Translation, op: OperatorT): void => {
    const [a, b] = [op.inputs[0]!, op.inputs[1]!];
    const output = op.outputs[0]!;
    const layout = t.rank(output) === 4 ? layoutFor(t, [a, b]) : 'nhwc';
    const result = t.graph.op(onnxOp, [operand(t, a, layout), operand(t, b, layout)], t.hint(output));
    t.store(output, result, layout, fusedActivation(op));
  };

const arithmetic = (name: keyof typeof BINARY) => binary(BINARY[name]!);

/** An op applied value by value, in whatever layout its input already has. */
const unary =
  (build: (t: Translation, input: string, hint: string, op: OperatorT) => string) =>
  (t: Translation, op: OperatorT): void => {
    const [input, output] = [op.inputs[0]!, op.outputs[0]!];
    const layout = t.layoutOf(input);
    t.store(output, build(t, t.float(input, layout), t.hint(output), op), layout);
  };

const simple = (onnxOp: string) => unary((t, input, hint) => t.graph.op(onnxOp, [input], hint));

const clip = (low: number, high: number) =>
  unary((t, input, hint) => t.graph.op('Clip', [input, t.graph.floats([low], []), t.graph.floats([high], [])], hint));

const leakyRelu = unary((t, input, hint, op) => {
  const alpha = op.builtinOptions instanceof LeakyReluOptionsT ? op.builtinOptions.alpha : 0.2;
  return t.graph.op('LeakyRelu', [input], hint, [attr.float('alpha', alpha)]);
});

export { arithmetic, binary, clip, leakyRelu, simple };
