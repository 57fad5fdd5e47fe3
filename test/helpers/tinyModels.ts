import {
  ActivationFunctionType,
  BuiltinOperator,
  BuiltinOptions,
  FullyConnectedOptionsT,
  ModelT,
  OperatorCodeT,
  OperatorT,
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
  /** Affine quantization: one scale per channel along `axis`, or one. */
  readonly quantization?: { readonly scale: number[]; readonly zeroPoint: number[]; readonly axis?: number };
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
    if (spec.quantization) {
      const q = new QuantizationParametersT();
      q.scale = spec.quantization.scale;
      q.zeroPoint = spec.quantization.zeroPoint.map(BigInt);
      q.quantizedDimension = spec.quantization.axis ?? 0;
      tensor.quantization = q;
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

export { fixedAnswerModel, fixedReshapeModel, floatBytes, fullyConnectedModel, graphModel, int32Bytes, singleOpModel };
