import { BuiltinOperator, type ModelT, type OperatorT, TensorType } from '../../tflite/generated/schema_generated.js';
import { builtinCode } from '../../tflite/opcodes.js';
import { readModel } from '../../tflite/readModel.js';
import { writeModel } from '../../tflite/writeModel.js';
import { addBuffer, addTensor, constantData, makeOp, nameOf, opcodeIndex } from '../graph.js';

/** A quantized op's output and its float twin's, as indices into the shadow model's outputs. */
interface ShadowPair {
  readonly name: string;
  readonly op: string;
  readonly quantized: number;
  readonly float: number;
}

const DEQUANTIZE_VERSION = 2;

/**
 * The int8 model with a float twin beside each quantized op, fed with the
 * op's own int8 inputs dequantized and the float model's weights: what
 * TensorFlow's quantization debugger does with NumericVerify ops. Comparing
 * each pair measures the error that layer adds, not what earlier layers
 * passed on, so one sensitive layer stands out instead of every layer after it.
 */
const shadowModel = (
  floatModel: ModelT,
  int8Bytes: Uint8Array,
  layers: readonly { name: string; op: string }[],
): { bytes: Uint8Array; pairs: ShadowPair[] } => {
  const file = readModel(int8Bytes);
  const model = file.model;
  const subgraph = model.subgraphs[0]!;
  const floatGraph = floatModel.subgraphs[0]!;
  const floatProducer = new Map<string, OperatorT>();
  for (const op of floatGraph.operators) {
    const output = op.outputs[0];
    if (output !== undefined && output >= 0) floatProducer.set(nameOf(floatGraph.tensors[output]!, output), op);
  }
  const producer = new Map<string, OperatorT>();
  for (const op of subgraph.operators) {
    const output = op.outputs[0];
    if (output !== undefined && output >= 0) producer.set(nameOf(subgraph.tensors[output]!, output), op);
  }
  const dequantized = new Map<number, number>();
  const dequantize = (tensor: number): number => {
    const source = subgraph.tensors[tensor]!;
    if (source.type === TensorType.FLOAT32) return tensor;
    let float = dequantized.get(tensor);
    if (float === undefined) {
      float = addTensor(subgraph, source, `${nameOf(source, tensor)}/dequantized`, TensorType.FLOAT32);
      subgraph.operators.push(
        makeOp(opcodeIndex(model, BuiltinOperator.DEQUANTIZE, DEQUANTIZE_VERSION), [tensor], [float]),
      );
      dequantized.set(tensor, float);
    }
    return float;
  };
  const pairs: ShadowPair[] = [];
  const outputs = [...subgraph.outputs];
  for (const layer of layers) {
    const quantizedOp = producer.get(layer.name);
    const floatOp = floatProducer.get(layer.name);
    if (!quantizedOp || !floatOp || floatOp.inputs.length !== quantizedOp.inputs.length) continue;
    const inputs = floatOp.inputs.map((floatInput, slot) => {
      if (floatInput < 0) return -1;
      const floatTensor = floatGraph.tensors[floatInput]!;
      const data = constantData(floatModel, floatTensor);
      if (data) {
        const copy = addTensor(subgraph, floatTensor, `${nameOf(floatTensor, floatInput)}/float`, floatTensor.type);
        subgraph.tensors[copy]!.buffer = addBuffer(model, data);
        return copy;
      }
      return dequantize(quantizedOp.inputs[slot]!);
    });
    const quantizedOutput = quantizedOp.outputs[0]!;
    const floatOutput = addTensor(
      subgraph,
      subgraph.tensors[quantizedOutput]!,
      `${layer.name}/float`,
      TensorType.FLOAT32,
    );
    const code = floatModel.operatorCodes[floatOp.opcodeIndex]!;
    const twin = makeOp(opcodeIndex(model, builtinCode(code), code.version), inputs, [floatOutput]);
    twin.builtinOptionsType = floatOp.builtinOptionsType;
    twin.builtinOptions = floatOp.builtinOptions;
    subgraph.operators.push(twin);
    pairs.push({ name: layer.name, op: layer.op, quantized: outputs.length, float: outputs.length + 1 });
    outputs.push(quantizedOutput, floatOutput);
  }
  subgraph.outputs = outputs;
  model.signatureDefs = [];
  return { bytes: writeModel(file), pairs };
};

export type { ShadowPair };
export { shadowModel };
