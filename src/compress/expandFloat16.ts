import { halvesToFloats } from '../float16.js';
import { BuiltinOperator, type ModelT, type OperatorT, TensorType } from '../tflite/generated/schema_generated.js';
import { builtinCode } from '../tflite/opcodes.js';
import { compact, constantData, consumersOf, nameOf, opLabel, setConstant } from './graph.js';
import type { TransformResult } from './types.js';

/**
 * The float32 baseline: every FP16 constant that feeds a DEQUANTIZE becomes
 * the float32 constant the DEQUANTIZE would produce, and the DEQUANTIZE goes.
 */
const expandFloat16 = (model: ModelT): TransformResult => {
  const result: TransformResult = { tensors: [], skipped: [] };
  for (const subgraph of model.subgraphs) {
    const consumers = consumersOf(subgraph);
    const removed = new Set<OperatorT>();
    for (const op of subgraph.operators) {
      if (builtinCode(model.operatorCodes[op.opcodeIndex]!) !== BuiltinOperator.DEQUANTIZE) continue;
      const input = subgraph.tensors[op.inputs[0]!]!;
      const data = input.type === TensorType.FLOAT16 ? constantData(model, input) : undefined;
      if (!data) continue;
      const output = subgraph.tensors[op.outputs[0]!]!;
      const floats = halvesToFloats(new Uint16Array(data.slice().buffer));
      setConstant(model, output, TensorType.FLOAT32, new Uint8Array(floats.buffer));
      removed.add(op);
      result.tensors.push({
        name: nameOf(output, op.outputs[0]),
        consumer: [...new Set((consumers.get(op.outputs[0]!) ?? []).map((c) => opLabel(model, c.op)))].join(','),
        from: 'float16',
        to: 'float32',
        elements: floats.length,
        maxAbsError: 0,
        rmse: 0,
      });
    }
    subgraph.operators = subgraph.operators.filter((op) => !removed.has(op));
  }
  compact(model);
  return result;
};

export { expandFloat16 };
