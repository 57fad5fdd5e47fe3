import {
  BuiltinOptions,
  DepthwiseConv2DOptions,
  BuiltinOperator as Op,
  type Operator,
  type SubGraph,
  TensorType,
} from './generated/reader/schema_generated.js';

/**
 * The options table TFLite 2.9 reads for these ops. Without it (or with
 * another table) it runs them with zeroed parameters: a stride of 0, which
 * it divides by (SIGFPE), or subgraph 0 as the body of a WHILE.
 */
const REQUIRED_OPTIONS: ReadonlyMap<number, BuiltinOptions> = new Map([
  [Op.CONV_2D, BuiltinOptions.Conv2DOptions],
  [Op.DEPTHWISE_CONV_2D, BuiltinOptions.DepthwiseConv2DOptions],
  [Op.AVERAGE_POOL_2D, BuiltinOptions.Pool2DOptions],
  [Op.MAX_POOL_2D, BuiltinOptions.Pool2DOptions],
  [Op.L2_POOL_2D, BuiltinOptions.Pool2DOptions],
  [Op.TRANSPOSE_CONV, BuiltinOptions.TransposeConvOptions],
  [Op.CONV_3D, BuiltinOptions.Conv3DOptions],
  [Op.CONV_3D_TRANSPOSE, BuiltinOptions.Conv3DOptions],
  [Op.WHILE, BuiltinOptions.WhileOptions],
  [Op.IF, BuiltinOptions.IfOptions],
  [Op.CALL_ONCE, BuiltinOptions.CallOnceOptions],
]);

/**
 * ADD and SUB on quantized tensors rescale both inputs to twice the larger
 * input scale, shifted left by 20 bits (15 for int16), and TFLite 2.9 aborts
 * the process (TFLITE_CHECK in QuantizeMultiplierSmallerThanOneExp) unless
 * that is below the output's scale: the inputs' scales may be at most
 * 2^19 (2^14) times the output's.
 */
const ADD_LEFT_SHIFT: Readonly<Partial<Record<TensorType, number>>> = {
  [TensorType.INT8]: 20,
  [TensorType.UINT8]: 20,
  [TensorType.INT16]: 15,
};

const scaleOf = (subgraph: SubGraph, index: number): number | undefined => {
  const quantization = subgraph.tensors(index)?.quantization();
  return quantization && quantization.scaleLength() > 0 ? quantization.scale(0)! : undefined;
};

const shapeOf = (subgraph: SubGraph, index: number): number[] => {
  const tensor = subgraph.tensors(index);
  return tensor ? Array.from({ length: tensor.shapeLength() }, (_, d) => tensor.shape(d)!) : [];
};

const addScalesProblem = (subgraph: SubGraph, inputs: readonly number[], output: number): string | undefined => {
  const shift = ADD_LEFT_SHIFT[subgraph.tensors(output)?.type() as TensorType];
  const outputScale = scaleOf(subgraph, output);
  const inputScales = inputs.map((input) => scaleOf(subgraph, input));
  if (shift === undefined || outputScale === undefined || inputScales.some((s) => s === undefined)) return undefined;
  const largest = Math.max(...(inputScales as number[]));
  if ((2 * largest) / (2 ** shift * outputScale) < 1) return undefined;
  // float32 scales, shown as they were written.
  const shown = (scale: number): number => Number(scale.toPrecision(6));
  return `adds an input of scale ${shown(largest)} into an output of scale ${shown(outputScale)}; TFLite 2.9 aborts on inputs over ${2 ** (shift - 1)} times the output's scale`;
};

/** DEPTHWISE_CONV_2D's multiplier: TFLite 2.9's quantized kernels write depth_multiplier outputs per input channel. */
const depthwiseProblem = (subgraph: SubGraph, op: Operator, inputs: readonly number[]): string | undefined => {
  const options = op.builtinOptions(new DepthwiseConv2DOptions()) as DepthwiseConv2DOptions | null;
  const multiplier = options?.depthMultiplier() ?? 0;
  const channels = shapeOf(subgraph, inputs[0]!).at(-1) ?? 0;
  const filterChannels = shapeOf(subgraph, inputs[1]!).at(-1) ?? 0;
  if (multiplier === 0 || channels <= 0 || filterChannels <= 0 || multiplier * channels === filterChannels)
    return undefined;
  return `has depthMultiplier ${multiplier} for ${channels} input channels, but its filter has ${filterChannels} output channels`;
};

/**
 * What TFLite 2.9's kernels assume of an op's options and tensors without
 * checking it: a model that breaks one of these kills the process (SIGFPE,
 * SIGABRT) or writes past its tensors. Checked after the op's indices and
 * arity, so every tensor named exists. Returns the problem, or undefined.
 */
const kernelProblem = (
  builtin: number,
  subgraph: SubGraph,
  op: Operator,
  inputs: readonly number[],
  outputs: readonly number[],
): string | undefined => {
  const required = REQUIRED_OPTIONS.get(builtin);
  if (required !== undefined) {
    const type = op.builtinOptionsType();
    const zeroed = '(TFLite 2.9 would run it with zeroed parameters)';
    if (type !== required && type !== BuiltinOptions.NONE)
      return `has ${BuiltinOptions[type] ?? `options of type ${type}`} instead of its ${BuiltinOptions[required]} ${zeroed}`;
    if (type !== required || !op.builtinOptions({ bb: null, bb_pos: 0 }))
      return `has no ${BuiltinOptions[required]} ${zeroed}`;
  }
  if ((builtin === Op.ADD || builtin === Op.SUB) && inputs.length === 2 && outputs.length === 1)
    return addScalesProblem(subgraph, inputs, outputs[0]!);
  if (builtin === Op.DEPTHWISE_CONV_2D && inputs.length >= 2) return depthwiseProblem(subgraph, op, inputs);
  return undefined;
};

export { kernelProblem };
