import {
  ActivationFunctionType,
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
  /** Per-tensor affine quantization (zero point 0). */
  readonly scale?: number;
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
  ops: readonly {
    readonly op: BuiltinOperator;
    readonly inputs: readonly string[];
    readonly output: string;
    readonly options?: { type: BuiltinOptions; value: OperatorT['builtinOptions'] };
  }[],
  /** The model's outputs, by name (default: the last op's output). */
  outputs?: readonly string[],
): Uint8Array => {
  const model = new ModelT();
  model.version = 3;
  model.description = 'tflite-serverless test model';
  model.buffers = [new ModelBuffer()];
  const codes = [...new Set(ops.map((o) => o.op))];
  model.operatorCodes = codes.map((op) => {
    const code = new OperatorCodeT();
    setBuiltinCode(code, op);
    code.version = 1;
    return code;
  });
  const subgraph = new SubGraphT();
  const index = new Map(tensors.map((spec, i) => [spec.name, i]));
  subgraph.tensors = tensors.map((spec) => {
    const tensor = new TensorT();
    tensor.name = spec.name;
    tensor.shape = spec.shape;
    tensor.type = spec.type ?? TensorType.FLOAT32;
    if (spec.data) {
      model.buffers.push(new ModelBuffer(spec.data));
      tensor.buffer = model.buffers.length - 1;
    }
    if (spec.scale !== undefined) {
      tensor.quantization = new QuantizationParametersT();
      tensor.quantization.scale = [spec.scale];
      tensor.quantization.zeroPoint = [0n];
    }
    return tensor;
  });
  subgraph.operators = ops.map((o) => {
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
  subgraph.inputs = [0];
  subgraph.outputs = (outputs ?? [ops.at(-1)!.output]).map((name) => index.get(name)!);
  subgraph.name = 'main';
  model.subgraphs = [subgraph];
  return writeModel({ model, trailer: new Uint8Array(0) });
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
      { name: 'x', shape: [1, 4, 4, 1], type: TensorType.INT8, scale: 1 },
      ...layers.flatMap((layer, i) => [
        {
          name: `w${i}`,
          shape: [1, 1, 1, 1],
          type: TensorType.INT8,
          scale: layer.weightScale,
          data: new Uint8Array(Int8Array.of(Math.round(1 / layer.weightScale)).buffer),
        },
        {
          name: `b${i}`,
          shape: [1],
          type: TensorType.INT32,
          scale: scales[i]! * layer.weightScale,
          data: int32Bytes([0]),
        },
        { name: `y${i}`, shape: [1, 4, 4, 1], type: TensorType.INT8, scale: layer.outputScale },
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
  singleOpModel,
};
