import { UnsupportedError } from '../errors.js';
import { TensorType } from '../tflite/generated/schema_generated.js';
import { permute, transposeData } from './layout.js';
import { dequantize } from './quantization.js';
import type { QuantParams } from './tfliteTensors.js';
import type { Translation } from './translation.js';

/** Real values of a quantized constant: (q - zeroPoint) * scale, per channel along q.axis. */
const realValues = (data: ArrayLike<number>, shape: readonly number[], q: QuantParams): Float32Array => {
  const out = new Float32Array(data.length);
  const inner = shape.slice(q.axis + 1).reduce((a, b) => a * b, 1);
  const channels = q.scale.length > 1 ? shape[q.axis]! : 1;
  for (let i = 0; i < data.length; i++) {
    const c = channels > 1 ? Math.floor(i / inner) % channels : 0;
    out[i] = (data[i]! - (q.zeroPoint[c] ?? q.zeroPoint[0] ?? 0)) * q.scale[c]!;
  }
  return out;
};

/**
 * A constant operand (weights) transposed into ONNX's order by `perm`:
 * float as it is; quantized either as its integers behind a
 * DequantizeLinear along the permuted channel axis (the QDQ form ONNX Runtime
 * fuses into QLinearConv / QGemm), or, for hybrid ops whose input stays float,
 * folded to float32 at translation time.
 */
const weightsOperand = (t: Translation, index: number, perm: readonly number[], mode: 'qdq' | 'fold'): string => {
  const data = t.data(index);
  if (data === null) throw new UnsupportedError(`the weights ${t.hint(index)} are not a constant`);
  const q = t.quant(index);
  const hint = t.hint(index);
  if (q === null) return t.constantPermuted(index, perm, hint);
  const shape = t.shape(index);
  if (mode === 'fold') {
    const real = realValues(data as ArrayLike<number>, shape, q);
    return t.graph.constant(transposeData(real, shape, perm), permute(shape, perm), `${hint}_real`);
  }
  const integers = t.constantPermuted(index, perm, hint);
  return dequantize(t.graph, integers, q, t.tensor(index).type, hint, perm.indexOf(q.axis));
};

/**
 * A bias: float as it is; int32 through DequantizeLinear at its own scales
 * (input scale × weight scale per channel, which TFLite requires of it and
 * which is used when the file gives none).
 */
const biasOperand = (t: Translation, index: number, input: number, weights: number): string => {
  if (t.tensor(index).type === TensorType.FLOAT32) return t.value(index);
  const [qi, qw] = [t.quant(input), t.quant(weights)];
  const q =
    t.quant(index) ?? (qi && qw ? { scale: qw.scale.map((s) => s * qi.scale[0]!), zeroPoint: [0], axis: 0 } : null);
  if (q === null) throw new UnsupportedError(`the integer bias ${t.hint(index)} has no scale`);
  return dequantize(t.graph, t.value(index), { ...q, axis: 0 }, t.tensor(index).type, t.hint(index), 0);
};

export { biasOperand, realValues, weightsOperand };
