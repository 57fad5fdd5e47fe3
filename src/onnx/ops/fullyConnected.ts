import { UnsupportedError } from '../../errors.js';
import {
  FullyConnectedOptionsT,
  FullyConnectedOptionsWeightsFormat,
  type OperatorT,
} from '../../tflite/generated/schema_generated.js';
import { attr } from '../graphBuilder.js';
import type { Translation } from '../translation.js';
import { biasOperand, weightsOperand } from '../weights.js';
import { dynamicallyQuantized, isHybrid } from './hybrid.js';

/**
 * FULLY_CONNECTED: the input flattened to [rows, K] in TFLite's order, times
 * the [O, K] weights transposed (Gemm transB), plus the bias; the result
 * reshaped to the output's shape (keep_num_dims). Quantized in QDQ form;
 * hybrid weights quantize each input row at run time as TFLite does
 * (asymmetrically with asymmetric_quantize_inputs, else symmetrically).
 */
const fullyConnected = (t: Translation, op: OperatorT): void => {
  const options = op.builtinOptions;
  if (!(options instanceof FullyConnectedOptionsT)) throw new UnsupportedError('FULLY_CONNECTED without its options');
  if (options.weightsFormat !== FullyConnectedOptionsWeightsFormat.DEFAULT)
    throw new UnsupportedError('FULLY_CONNECTED with shuffled weights');
  const [input, weights, bias] = [op.inputs[0]!, op.inputs[1]!, op.inputs[2] ?? -1];
  const output = op.outputs[0]!;
  const depth = t.shape(weights)[1]!;
  const rows = t.shape(input).reduce((a, b) => a * b, 1) / depth;
  const hint = t.hint(output);
  const hybrid = isHybrid(t, input, weights);
  const flat = (value: string) =>
    t.rank(input) === 2 && t.shape(input)[0] === rows
      ? value
      : t.graph.op('Reshape', [value, t.graph.int64s([rows, depth])], `${hint}_rows`);
  let x = flat(hybrid ? t.value(input) : t.float(input));
  if (hybrid) x = dynamicallyQuantized(t, x, [1], options.asymmetricQuantizeInputs, `${hint}_hybrid`);
  const inputs = [x, weightsOperand(t, weights, [0, 1], hybrid ? 'fold' : 'qdq')];
  if (bias >= 0) inputs.push(hybrid ? t.value(bias) : biasOperand(t, bias, input, weights));
  let result = t.graph.op('Gemm', inputs, hint, [attr.int('transB', 1)]);
  const outShape = t.shape(output);
  if (outShape.length !== 2 || outShape[0] !== rows)
    result = t.graph.op('Reshape', [result, t.graph.int64s(outShape)], `${hint}_shaped`);
  t.store(output, result, 'nhwc', options.fusedActivationFunction);
};

export { fullyConnected };
