import { type OperatorT, TensorType } from '../../tflite/generated/schema_generated.js';
import { attr } from '../graphBuilder.js';
import { OnnxType } from '../onnxProto.js';
import type { Translation } from '../translation.js';
import { realValues } from '../weights.js';

/**
 * DEQUANTIZE of a constant (float16 weights, int8 weights) is folded into a
 * float32 constant at translation; of an activation, a DequantizeLinear
 * (or a Cast from float16).
 */
const dequantizeOp = (t: Translation, op: OperatorT): void => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const data = t.data(input);
  if (data !== null) {
    const q = t.quant(input);
    t.setConstant(
      output,
      q === null
        ? Float32Array.from(data as ArrayLike<number>)
        : realValues(data as ArrayLike<number>, t.shape(input), q),
    );
    return;
  }
  const layout = t.layoutOf(input);
  if (t.tensor(input).type === TensorType.FLOAT16) {
    const cast = t.graph.op('Cast', [t.value(input, layout)], t.hint(output), [attr.int('to', OnnxType.FLOAT)]);
    t.define(output, cast, layout);
    return;
  }
  t.define(output, t.float(input, layout), layout);
};

/** QUANTIZE of floats (QuantizeLinear), or requantization between integer parameters (uint8 ↔ int8). */
const quantizeOp = (t: Translation, op: OperatorT): void => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const layout = t.layoutOf(input);
  t.store(output, t.float(input, layout), layout);
};

export { dequantizeOp, quantizeOp };
