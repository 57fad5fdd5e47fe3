import {
  ActivationFunctionType,
  AddOptionsT,
  BuiltinOperator,
  BuiltinOptions,
  Conv2DOptionsT,
  FullyConnectedOptionsT,
  ModelT,
  OperatorCodeT,
  OperatorT,
  Padding,
  QuantizationParametersT,
  ReducerOptionsT,
  SubGraphT,
  TensorT,
  TensorType,
  WhileOptionsT,
} from '../../src/tflite/generated/schema_generated.js';
import { ModelBuffer } from '../../src/tflite/modelBuffers.js';
import { setBuiltinCode } from '../../src/tflite/opcodes.js';
import { writeModel } from '../../src/tflite/writeModel.js';

interface TensorSpec {
  readonly name: string;
  readonly shape: number[];
  readonly type?: TensorType;
  /** Constant data; absent for activations. */
  readonly data?: Uint8Array;
  /** Affine quantization (one scale, or one per element of `quantizedDimension`). */
  readonly quantization?: { scale: number[]; zeroPoint: number[]; quantizedDimension?: number };
}

/** One op of a graph: its inputs and output by tensor name. */
interface OpSpec {
  readonly op: BuiltinOperator;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly options?: { type: BuiltinOptions; value: OperatorT['builtinOptions'] };
}

/** A subgraph: its tensors by name, its ops in order, its inputs (default: the first tensor) and outputs (default: the last op's). */
interface SubgraphSpec {
  readonly tensors: readonly TensorSpec[];
  readonly ops: readonly OpSpec[];
  readonly inputs?: readonly string[];
  readonly outputs?: readonly string[];
}

const floatBytes = (values: readonly number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);
const int32Bytes = (values: readonly number[]): Uint8Array => new Uint8Array(Int32Array.from(values).buffer);

/**
 * A real .tflite file holding one builtin op, written with the project's own
 * writer: tensors[0] is the model input, the last tensor its output.
 */
const singleOpModel = (
  op: BuiltinOperator,
  tensors: readonly TensorSpec[],
  options?: { type: BuiltinOptions; value: OperatorT['builtinOptions'] },
): Uint8Array =>
  graphModel(tensors, [
    {
      op,
      inputs: tensors.slice(0, -1).map((t) => t.name),
      output: tensors.at(-1)!.name,
      ...(options && { options }),
    },
  ]);

/** y = x·Wᵀ + b (FULLY_CONNECTED): runs at any batch size, unlike the MediaPipe models. */
const fullyConnectedModel = (weights: readonly (readonly number[])[], bias: readonly number[]): Uint8Array => {
  const options = new FullyConnectedOptionsT();
  options.fusedActivationFunction = ActivationFunctionType.NONE;
  return singleOpModel(
    BuiltinOperator.FULLY_CONNECTED,
    [
      { name: 'x', shape: [1, weights[0]!.length] },
      { name: 'w', shape: [weights.length, weights[0]!.length], data: floatBytes(weights.flat()) },
      { name: 'b', shape: [bias.length], data: floatBytes(bias) },
      { name: 'y', shape: [1, weights.length] },
    ],
    { type: BuiltinOptions.FullyConnectedOptions, value: options },
  );
};

/** RESHAPE to a constant shape: the batch cannot change, and TFLite says so at allocation. */
const fixedReshapeModel = (inputShape: number[], target: number[]): Uint8Array =>
  singleOpModel(BuiltinOperator.RESHAPE, [
    { name: 'x', shape: inputShape },
    { name: 'shape', shape: [target.length], type: TensorType.INT32, data: int32Bytes(target) },
    { name: 'y', shape: target },
  ]);

/**
 * A real .tflite file of builtin ops in sequence, written with the project's
 * writer: tensors by name, each op naming its inputs and output; the first
 * tensor is the model input, the last op's output the model output.
 */
const graphModel = (
  tensors: readonly TensorSpec[],
  ops: readonly OpSpec[],
  /** The model's outputs, by name (default: the last op's output). */
  outputs?: readonly string[],
): Uint8Array => subgraphsModel([{ tensors, ops, ...(outputs && { outputs }) }]);

/**
 * A real .tflite file of several subgraphs (subgraph 0 is the model; the
 * others are what its control-flow ops run), written with the project's writer.
 */
const subgraphsModel = (subgraphs: readonly SubgraphSpec[]): Uint8Array => {
  const model = new ModelT();
  model.version = 3;
  model.description = 'tflite-serverless test model';
  model.buffers = [new ModelBuffer()];
  const codes = [...new Set(subgraphs.flatMap((spec) => spec.ops.map((o) => o.op)))];
  model.operatorCodes = codes.map((op) => {
    const code = new OperatorCodeT();
    setBuiltinCode(code, op);
    code.version = 1;
    return code;
  });
  model.subgraphs = subgraphs.map((spec, n) => {
    const subgraph = new SubGraphT();
    const index = new Map(spec.tensors.map((tensor, i) => [tensor.name, i]));
    subgraph.tensors = spec.tensors.map((tensorSpec) => {
      const tensor = new TensorT();
      tensor.name = tensorSpec.name;
      tensor.shape = tensorSpec.shape;
      tensor.type = tensorSpec.type ?? TensorType.FLOAT32;
      if (tensorSpec.data) {
        model.buffers.push(new ModelBuffer(tensorSpec.data));
        tensor.buffer = model.buffers.length - 1;
      }
      const q = tensorSpec.quantization;
      if (q)
        tensor.quantization = new QuantizationParametersT(
          [],
          [],
          q.scale,
          q.zeroPoint.map(BigInt),
          undefined,
          null,
          q.quantizedDimension ?? 0,
        );
      return tensor;
    });
    subgraph.operators = spec.ops.map((o) => {
      const operator = new OperatorT();
      operator.opcodeIndex = codes.indexOf(o.op);
      operator.inputs = o.inputs.map((name) => index.get(name)!);
      operator.outputs = [index.get(o.output)!];
      if (o.options) {
        operator.builtinOptionsType = o.options.type;
        operator.builtinOptions = o.options.value;
      }
      return operator;
    });
    subgraph.inputs = (spec.inputs ?? [spec.tensors[0]!.name]).map((name) => index.get(name)!);
    subgraph.outputs = (spec.outputs ?? [spec.ops.at(-1)!.output]).map((name) => index.get(name)!);
    subgraph.name = n === 0 ? 'main' : `subgraph_${n}`;
    return subgraph;
  });
  return writeModel({ model, trailer: new Uint8Array(0) });
};

/**
 * A WHILE loop counting x up to 10 (x < 10, x + step), with the subgraphs its
 * options name: 1 is the condition and 2 the body as a converter writes
 * them; another cond or body (0, the model itself) makes the loops the
 * hostile probe found, which TFLite 2.9 recurses through until it crashes.
 * A step of 0 is a loop no validation can tell from a good one, and that
 * never ends.
 */
const whileModel = (cond = 1, body = 2, step = 1): Uint8Array => {
  const loop = new WhileOptionsT();
  loop.condSubgraphIndex = cond;
  loop.bodySubgraphIndex = body;
  return subgraphsModel([
    {
      tensors: [
        { name: 'x', shape: [1] },
        { name: 'y', shape: [1] },
      ],
      ops: [
        {
          op: BuiltinOperator.WHILE,
          inputs: ['x'],
          output: 'y',
          options: { type: BuiltinOptions.WhileOptions, value: loop },
        },
      ],
    },
    {
      tensors: [
        { name: 'a', shape: [1] },
        { name: 'limit', shape: [1], data: floatBytes([10]) },
        { name: 'more', shape: [], type: TensorType.BOOL },
      ],
      ops: [{ op: BuiltinOperator.LESS, inputs: ['a', 'limit'], output: 'more' }],
    },
    {
      tensors: [
        { name: 'b', shape: [1] },
        { name: 'one', shape: [1], data: floatBytes([step]) },
        { name: 'next', shape: [1] },
      ],
      ops: [{ op: BuiltinOperator.ADD, inputs: ['b', 'one'], output: 'next' }],
    },
  ]);
};

/**
 * y = x + c on int8 tensors (x and c of scale 0.02, y of 0.04, zero points
 * 0), with `scale` and `zeroPoint` in place of x's: the quantized ADD the
 * probe found TFLite 2.9 aborting the process on, given a bad scale.
 */
const quantizedAddModel = (scale = 0.02, zeroPoint = 0): Uint8Array => {
  const add = new AddOptionsT();
  add.fusedActivationFunction = ActivationFunctionType.NONE;
  return singleOpModel(
    BuiltinOperator.ADD,
    [
      { name: 'x', shape: [1, 4], type: TensorType.INT8, quantization: { scale: [scale], zeroPoint: [zeroPoint] } },
      {
        name: 'c',
        shape: [1, 4],
        type: TensorType.INT8,
        data: new Uint8Array(Int8Array.from([10, 20, 30, 40]).buffer),
        quantization: { scale: [0.02], zeroPoint: [0] },
      },
      { name: 'y', shape: [1, 4], type: TensorType.INT8, quantization: { scale: [0.04], zeroPoint: [0] } },
    ],
    { type: BuiltinOptions.AddOptions, value: add },
  );
};

/**
 * A model with an image input whose outputs are fixed values, whatever the
 * image (MEAN, then FULLY_CONNECTED with zero weights and the values as bias,
 * then RESHAPE): the interface of a real model with a known answer, so where
 * the post-processing puts it can be worked out by hand.
 */
const fixedAnswerModel = (
  inputShape: number[],
  outputs: readonly { name: string; values: readonly number[]; shape: number[] }[],
): Uint8Array => {
  const mean = new ReducerOptionsT();
  mean.keepDims = false;
  const fc = new FullyConnectedOptionsT();
  fc.fusedActivationFunction = ActivationFunctionType.NONE;
  const channels = inputShape.at(-1)!;
  return graphModel(
    [
      { name: 'image', shape: inputShape },
      { name: 'axes', shape: [2], type: TensorType.INT32, data: int32Bytes([1, 2]) },
      { name: 'means', shape: [1, channels] },
      ...outputs.flatMap((o) => [
        {
          name: `${o.name}_w`,
          shape: [o.values.length, channels],
          data: floatBytes(new Array(o.values.length * channels).fill(0)),
        },
        { name: `${o.name}_b`, shape: [o.values.length], data: floatBytes(o.values) },
        { name: `${o.name}_flat`, shape: [1, o.values.length] },
        { name: `${o.name}_shape`, shape: [o.shape.length], type: TensorType.INT32, data: int32Bytes(o.shape) },
        { name: o.name, shape: o.shape },
      ]),
    ],
    [
      {
        op: BuiltinOperator.MEAN,
        inputs: ['image', 'axes'],
        output: 'means',
        options: { type: BuiltinOptions.ReducerOptions, value: mean },
      },
      ...outputs.flatMap((o) => [
        {
          op: BuiltinOperator.FULLY_CONNECTED,
          inputs: ['means', `${o.name}_w`, `${o.name}_b`],
          output: `${o.name}_flat`,
          options: { type: BuiltinOptions.FullyConnectedOptions, value: fc },
        },
        { op: BuiltinOperator.RESHAPE, inputs: [`${o.name}_flat`, `${o.name}_shape`], output: o.name },
      ]),
    ],
    outputs.map((o) => o.name),
  );
};

/**
 * A chain of int8 1x1 convolutions over a [1, 4, 4, 1] int8 input of scale 1
 * (zero points 0, no bias): each multiplies by one (a weight of 1 / its
 * `weightScale`, quantized) and writes a tensor of scale `outputScale`. Its
 * requantization scale, input scale × weight scale / output scale, is what
 * XNNPACK 2.9 refuses outside [2^-32, 256): at 512 it builds no runtime for
 * that convolution, which TFLite's built-in kernels run.
 */
const int8ConvChain = (
  layers: readonly { readonly weightScale: number; readonly outputScale: number }[],
): Uint8Array => {
  const options = new Conv2DOptionsT();
  options.padding = Padding.SAME;
  options.strideW = 1;
  options.strideH = 1;
  options.dilationWFactor = 1;
  options.dilationHFactor = 1;
  options.fusedActivationFunction = ActivationFunctionType.NONE;
  const scales = [1, ...layers.map((layer) => layer.outputScale)];
  return graphModel(
    [
      { name: 'x', shape: [1, 4, 4, 1], type: TensorType.INT8, quantization: { scale: [1], zeroPoint: [0] } },
      ...layers.flatMap((layer, i) => [
        {
          name: `w${i}`,
          shape: [1, 1, 1, 1],
          type: TensorType.INT8,
          quantization: { scale: [layer.weightScale], zeroPoint: [0] },
          data: new Uint8Array(Int8Array.of(Math.round(1 / layer.weightScale)).buffer),
        },
        {
          name: `b${i}`,
          shape: [1],
          type: TensorType.INT32,
          quantization: { scale: [scales[i]! * layer.weightScale], zeroPoint: [0] },
          data: int32Bytes([0]),
        },
        {
          name: `y${i}`,
          shape: [1, 4, 4, 1],
          type: TensorType.INT8,
          quantization: { scale: [layer.outputScale], zeroPoint: [0] },
        },
      ]),
    ],
    layers.map((_, i) => ({
      op: BuiltinOperator.CONV_2D,
      inputs: [i === 0 ? 'x' : `y${i - 1}`, `w${i}`, `b${i}`],
      output: `y${i}`,
      options: { type: BuiltinOptions.Conv2DOptions, value: options },
    })),
  );
};

export {
  fixedAnswerModel,
  fixedReshapeModel,
  floatBytes,
  fullyConnectedModel,
  graphModel,
  int8ConvChain,
  int32Bytes,
  quantizedAddModel,
  singleOpModel,
  subgraphsModel,
  whileModel,
};
