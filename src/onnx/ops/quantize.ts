import { UnsupportedError } from '../../errors.js';
import { type OperatorT, TensorType } from '../../tflite/generated/schema_generated.js';
import { attr } from '../graphBuilder.js';
import { OnnxType } from '../onnxProto.js';
import type { Translation } from '../translation.js';
import { realValues } from '../weights.js';

/**
 * DEQUANTIZE of a constant (float16 weights, int8 weights) is folded into a
 * float32 constant at translation; of an activation, (q - zeroPoint) · scale
 * in plain arithmetic (or a Cast from float16). Not a DequantizeLinear: ONNX
 * Runtime's WeightBiasQuantization pass quantizes the float weights of any
 * convolution or Gemm fed by one to int8, and the ops TFLite runs in float
 * between DEQUANTIZE and QUANTIZE (layers an int8 model keeps in float) would
 * then not answer as TFLite's do.
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
  const q = t.storedQuant(input);
  if (q === null || q.scale.length > 1) {
    t.define(output, t.float(input, layout), layout);
    return;
  }
  const g = t.graph;
  const hint = t.hint(output);
  const floats = g.op('Cast', [t.value(input, layout)], `${hint}_cast`, [attr.int('to', OnnxType.FLOAT)]);
  const centered = g.op('Sub', [floats, g.floats([q.zeroPoint[0] ?? 0], [])], `${hint}_centered`);
  t.define(output, g.op('Mul', [centered, g.floats([q.scale[0]!], [])], hint), layout);
};

/** DENSIFY of a sparse constant: densified at translation (constantData), its output that constant. */
const densifyOp = (t: Translation, op: OperatorT): void => {
  const data = t.data(op.inputs[0]!);
  if (data === null) throw new UnsupportedError('DENSIFY of a tensor that is not a constant');
  t.setConstant(op.outputs[0]!, data);
};

/** QUANTIZE of floats (QuantizeLinear), or requantization between integer parameters (uint8 ↔ int8). */
const quantizeOp = (t: Translation, op: OperatorT): void => {
  const [input, output] = [op.inputs[0]!, op.outputs[0]!];
  const layout = t.layoutOf(input);
  t.store(output, t.float(input, layout), layout);
};

export { densifyOp, dequantizeOp, quantizeOp };
